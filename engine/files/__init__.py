"""Files the engine writes or reads beside user data: atomic writes (files and
folders), the one table writer (JSONL/JSON/CSV/Parquet), permissions, temp-file
clean-up, and safe reads of small metadata files."""
