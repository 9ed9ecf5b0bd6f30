"""Round two, items 4, 7 (score output) and 11 (stale temp files): `score` keeps every
input column in every format, refuses to overwrite one, checks that OUT can be
written before the model loads, and streams (scores equal to a one-chunk run)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from duelist.engine.scoring import score_file

from reliability._cli import run, write_rows
from reliability._dbstate import read_only

ROWS = [{"prompt": "p1", "chosen": "good", "rejected": "bad"},
        {"prompt": "p2", "chosen": "nice", "rejected": "meh", "late": "only here", "n": 3},
        {"prompt": "p3", "chosen": "yes", "rejected": "no", "n": None}]


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tiny_models import build_bert

    return build_bert(tmp_path_factory.mktemp("r2-score") / "m")


def _read(path: Path) -> list[dict]:
    if path.suffix == ".parquet":
        return pq.read_table(str(path)).to_pylist()
    if path.suffix == ".json":
        return json.loads(path.read_text())
    if path.suffix == ".csv":
        import csv

        with path.open(newline="") as fh:
            return list(csv.DictReader(fh))
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize("src_ext", ["jsonl", "parquet"])
@pytest.mark.parametrize("out_ext", ["jsonl", "json", "csv", "parquet"])
def test_every_input_column_is_kept_in_every_format(src_ext: str, out_ext: str, model: Path,
                                                    tmp_path: Path, capsys) -> None:
    src = tmp_path / f"in.{src_ext}"
    if src_ext == "parquet":
        pq.write_table(pa.Table.from_pylist(ROWS, schema=pa.schema(
            [("prompt", pa.string()), ("chosen", pa.string()), ("rejected", pa.string()),
             ("late", pa.string()), ("n", pa.int64())])), str(src))
    else:
        write_rows(src, ROWS)
    out = tmp_path / f"out.{out_ext}"
    code, _, err = run(capsys, "score", "--model", model, "--no-progress", src, out)
    assert code == 0, err
    back = _read(out)
    assert len(back) == 3
    keys = set().union(*back)
    for col in ("prompt", "chosen", "rejected", "late", "n", "reward_chosen",
                "p_chosen_over_rejected"):
        assert col in keys, (col, back)
    for given, got in zip(ROWS, back, strict=True):  # every input value is still there
        for k, v in given.items():
            if v is not None:
                assert str(got[k]) == str(v), (k, got)


@pytest.mark.parametrize("clash", ["p_chosen_over_rejected", "reward_chosen", "reward_rejected"])
@pytest.mark.parametrize("where", [0, 2])
def test_an_existing_output_column_is_refused_in_any_row(clash: str, where: int, model: Path,
                                                         tmp_path: Path, capsys) -> None:
    rows = [dict(r) for r in ROWS]
    rows[where][clash] = 0.5
    src = write_rows(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out.jsonl"
    code, _, err = run(capsys, "score", "--model", model, src, out)
    assert code == 2 and clash in err and "overwritten" in err
    assert not out.exists()


def test_unwritable_output_fails_before_the_model_loads(tmp_path: Path, capsys) -> None:
    src = write_rows(tmp_path / "in.jsonl", ROWS)
    (tmp_path / "outdir").mkdir()
    missing_model = tmp_path / "no-model"  # a model error would mean OUT was checked too late
    for out in (tmp_path / "outdir", tmp_path / "gone" / "o.jsonl"):
        code, _, err = run(capsys, "score", "--model", missing_model, src, out)
        assert code == 2 and "cannot write" in err and "no-model" not in err, err


def test_read_only_output_folder_fails_before_scoring(tmp_path: Path, capsys) -> None:
    src = write_rows(tmp_path / "in.jsonl", ROWS)
    ro = tmp_path / "ro"
    ro.mkdir()
    with read_only(ro):
        code, _, err = run(capsys, "score", "--model", tmp_path / "no-model", src, ro / "o.jsonl")
    assert code == 2 and "cannot write" in err


@pytest.mark.parametrize("values", [[1, "a"], ["a", {"k": 1}], [[1], "x"], [True, "x"]])
def test_parquet_output_with_mixed_passthrough_types_fails_before_the_model_loads(
        values: list, tmp_path: Path, capsys) -> None:
    rows = [{**ROWS[0], "mixed": values[0]}, *([{**ROWS[1]}] * 300),
            {**ROWS[2], "mixed": values[1]}]
    src = write_rows(tmp_path / "in.jsonl", rows)
    code, _, err = run(capsys, "score", "--model", tmp_path / "no-model", src,
                       tmp_path / "o.parquet")
    assert code == 2 and "mixed" in err and "different types" in err, err


def test_chunked_scoring_matches_one_chunk(model: Path, tmp_path: Path, capsys,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUELIST_SCORE_PRECISION", "fp32")
    rows = [{"prompt": f"p{i}", "chosen": f"good {i} " * (i % 7 + 1), "rejected": f"bad {i}"}
            for i in range(70)]
    src = write_rows(tmp_path / "in.jsonl", rows)
    outs = []
    for chunk in (16, 10_000):
        monkeypatch.setattr(score_file, "CHUNK_ROWS", chunk)
        out = tmp_path / f"o{chunk}.jsonl"
        assert run(capsys, "score", "--model", model, "--no-progress", src, out)[0] == 0
        outs.append(_read(out))
    assert [r["prompt"] for r in outs[0]] == [r["prompt"] for r in rows]
    for a, b in zip(*outs, strict=True):
        assert a["reward_chosen"] == pytest.approx(b["reward_chosen"], abs=1e-5)


def _stale(folder: Path, name: str) -> list[Path]:
    dead = folder / f".{name}.tmp-999999-abc"  # pid 999999: not running
    legacy_export = folder / f".{name}.tmp-k2j3h4"
    legacy_score = folder / f".{name}.x8y7z6.tmp"
    for p in (dead, legacy_export, legacy_score):
        p.write_bytes(b"x" * 1000)
    old = time.time() - 3600
    for p in (legacy_export, legacy_score):
        os.utime(p, (old, old))
    live = folder / f".{name}.tmp-{os.getpid()}-live"  # a live writer's file stays
    live.write_bytes(b"x")
    return [dead, legacy_export, legacy_score, live]


def test_score_sweeps_temp_files_of_killed_runs(model: Path, tmp_path: Path, capsys) -> None:
    src = write_rows(tmp_path / "in.jsonl", ROWS)
    *gone, live = _stale(tmp_path, "o.jsonl")
    assert run(capsys, "score", "--model", model, "--no-progress", src, tmp_path / "o.jsonl")[0] == 0
    assert not any(p.exists() for p in gone) and live.exists()


def test_export_sweeps_temp_files_of_killed_runs(tmp_path: Path, capsys) -> None:
    db = tmp_path / "x.db"
    src = write_rows(tmp_path / "in.jsonl", ROWS)
    assert run(capsys, "import", "--db", db, src)[0] == 0
    *gone, live = _stale(tmp_path, "e.jsonl")
    assert run(capsys, "export", "--db", db, tmp_path / "e.jsonl")[0] == 0
    assert not any(p.exists() for p in gone) and live.exists()
