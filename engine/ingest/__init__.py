"""Reading preference data in: JSON, JSONL, CSV, Parquet, HF datasets directories.

`read_pairs` turns a file into PreferencePairs (for training straight from a
file); `import_files` (in `importer`) loads files into a store. Neither imports
torch or datasets.
"""

from duelist.engine.ingest.columns import JUDGED_SHAPES, SHAPES, ColumnMap
from duelist.engine.ingest.items import FileInfo, Item, ReadOptions, iter_items
from duelist.engine.ingest.pairs import read_pairs
from duelist.engine.ingest.readers import FORMATS, detect_format, iter_rows

__all__ = [
    "FORMATS", "JUDGED_SHAPES", "SHAPES", "ColumnMap", "FileInfo", "Item", "ReadOptions",
    "detect_format", "iter_items", "iter_rows", "read_pairs",
]
