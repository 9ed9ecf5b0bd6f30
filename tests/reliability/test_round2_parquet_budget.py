"""Round two, item 8 (Parquet with 2 MB texts): memory bounded by a fixed budget.

pyarrow decodes a row group's text columns whole, so the budget has two parts
(engine/ingest/parquet_budget.py): a row group over the read budget is refused in
one line before anything is decoded, and batches hold about 4 MB, however big the
rows. Peak-RSS figures: bench/memory_bench.py (BENCHMARKS.md)."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from duelist.engine.ingest import parquet_budget, readers
from duelist.store import Store

from reliability._cli import run


def _write(path: Path, n: int, text_bytes: int, **kw) -> Path:
    rows = [{"prompt": f"question {i}", "chosen": os.urandom(text_bytes // 2).hex(),
             "rejected": os.urandom(text_bytes // 2).hex()} for i in range(n)]
    pq.write_table(pa.Table.from_pylist(rows), str(path), **kw)
    return path


def test_a_row_group_over_the_read_budget_is_refused_in_one_line(
        tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _write(tmp_path / "big.parquet", 4, 1 << 20, compression="none")  # one 8 MB group
    monkeypatch.setattr(parquet_budget, "ROW_GROUP_BUDGET", 4 << 20)
    db = tmp_path / "x.db"
    code, out, err = run(capsys, "import", "--db", db, data)
    assert code == 2, (out, err)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "big.parquet" in lines[0] and "row group 1 of 1" in lines[0]
    assert "read budget" in lines[0] and "row_group_size" in lines[0]
    if db.exists():
        with Store.open(db) as store:
            assert store.count_comparisons() == 0


def test_the_same_data_in_small_row_groups_is_read(
        tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _write(tmp_path / "small.parquet", 4, 1 << 20, compression="none", row_group_size=1)
    monkeypatch.setattr(parquet_budget, "ROW_GROUP_BUDGET", 4 << 20)
    code, out, err = run(capsys, "import", "--db", tmp_path / "x.db", data)
    assert code == 0, err
    assert "4 comparisons added" in out


@pytest.mark.parametrize("text_bytes, most", [(2 << 20, 2), (1 << 20, 4), (1000, 8192)])
def test_a_batch_holds_about_4_mb_whatever_the_row_size(
        tmp_path: Path, text_bytes: int, most: int, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _write(tmp_path / "t.parquet", 10, text_bytes, compression="zstd")
    asked: list[int] = []
    real = pq.ParquetFile.iter_batches

    def spy(self, batch_size=65536, *args, **kw):  # what the reader asks pyarrow for
        asked.append(batch_size)
        return real(self, batch_size, *args, **kw)

    monkeypatch.setattr(pq.ParquetFile, "iter_batches", spy)
    rows = [r for _, r in readers.iter_parquet(data)]
    assert len(rows) == 10 and rows[3]["prompt"] == "question 3"
    assert asked and 1 <= asked[0] <= most, asked
