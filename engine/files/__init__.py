"""Files the engine writes or reads beside user data: atomic writes, permissions,
temp-file clean-up, and safe reads of small metadata files."""
