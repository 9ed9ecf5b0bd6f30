"""Writers for test inputs in every import format, from plain row dicts."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

FORMATS = ("jsonl", "json", "csv", "parquet", "hf")


def write_rows(path: Path, rows: list[dict[str, Any]], fmt: str) -> Path:
    """Write `rows` as `fmt`; CSV cells holding lists/dicts become JSON text."""
    if fmt == "jsonl":
        path = path.with_suffix(".jsonl")
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    elif fmt == "json":
        path = path.with_suffix(".json")
        path.write_text(json.dumps(rows, ensure_ascii=False, indent=2), "utf-8")
    elif fmt == "csv":
        path = path.with_suffix(".csv")
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            for r in rows:
                writer.writerow({k: json.dumps(v) if isinstance(v, (list, dict)) else v
                                 for k, v in r.items()})
    elif fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = path.with_suffix(".parquet")
        pq.write_table(pa.Table.from_pylist(rows), str(path))
    elif fmt == "hf":
        import datasets

        datasets.disable_progress_bars()
        datasets.Dataset.from_list(rows).save_to_disk(str(path))
    else:
        raise ValueError(fmt)
    return path


def dump(db_path: Path) -> list[tuple]:
    """Every row of every Duelist table, for 'database unchanged' assertions."""
    import sqlite3

    conn = sqlite3.connect(db_path)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        out: list[tuple] = []
        for t in tables:
            out.append(("table", t))
            out.extend(conn.execute(f'SELECT * FROM "{t}" ORDER BY rowid').fetchall())
        return out
    finally:
        conn.close()
