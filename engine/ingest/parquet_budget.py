"""Reading Parquet inside a fixed memory budget.

Why: what pyarrow holds while it reads depends on how the file was written, not
on how few rows we ask for. Measured (pyarrow 26, `bench/memory_bench.py`):

1. pyarrow decodes a row group's text columns whole, even when asked for one row
   at a time (`iter_batches(batch_size=1)` on a row group of ten 2 MB texts held
   all 20 MB of the column). Memory is therefore at least the biggest row group,
   decoded: a row group over `ROW_GROUP_BUDGET` is refused in one line, from the
   footer, before anything is decoded (it used to read until memory ran out).
2. On top of that, each batch is converted to Python objects: rows are asked for
   so that one batch holds about `BATCH_BYTES` (a row of two 2 MB texts is worth
   many rows of short ones; 8,192 rows of them would be 32 GB).
3. Column chunks are read through a small buffer (`buffer_size`, no pre-buffering)
   rather than loaded compressed and whole first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from duelist.engine.errors import InputError

READ_BUFFER = 1 << 20  # bytes of a column chunk read at a time
BATCH_BYTES = 4 << 20  # decoded bytes per batch, about (a batch is at least one row)
MAX_BATCH_ROWS = 8192
ROW_GROUP_BUDGET = 1 << 30  # decoded bytes of one row group (pyarrow holds it whole)


def open_parquet(path: Path) -> Any:
    """A `pq.ParquetFile` that reads column chunks through a small buffer (3. above)."""
    import pyarrow.parquet as pq

    return pq.ParquetFile(str(path), buffer_size=READ_BUFFER, pre_buffer=False)


def batch_rows(pf: Any) -> int:
    """Rows per batch so that a batch holds about `BATCH_BYTES` of decoded data."""
    meta = pf.metadata
    size = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    per_row = size / max(1, meta.num_rows)
    return max(1, min(MAX_BATCH_ROWS, int(BATCH_BYTES / max(1.0, per_row))))


def check_row_groups(pf: Any, path: Path, budget: int | None = None) -> None:
    """Refuse, before decoding anything, a row group bigger than `budget` decoded
    (default `ROW_GROUP_BUDGET`)."""
    budget = ROW_GROUP_BUDGET if budget is None else budget
    meta = pf.metadata
    for g in range(meta.num_row_groups):
        size = meta.row_group(g).total_byte_size
        if size > budget:
            raise InputError(
                f"row group {g + 1} of {meta.num_row_groups} is {size / 2**20:,.0f} MB decoded, "
                f"over the {budget / 2**20:,.0f} MB read budget (a row group is decoded whole); "
                "write the file with smaller row groups (pyarrow: row_group_size=...)",
                path=str(path))
