"""Round two, items 5, 6, 7 (model metadata), 9 and 11 (read-only media, ensembles):
files that a model dir or a dataset dir names are opened only if regular, inside
their folder, and small; they fail in one line, never hang or crash."""

from __future__ import annotations

import json
import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from reliability._cli import run, write_rows
from reliability._dbstate import content_dump, read_only

ROW = {"prompt": "p", "chosen": "good", "rejected": "bad"}


@pytest.fixture(autouse=True)
def no_hang() -> Iterator[None]:
    """A hang (a FIFO opened for reading) fails the test instead of blocking the suite."""
    def fire(*_: object) -> None:
        raise TimeoutError("hung")
    old = signal.signal(signal.SIGALRM, fire)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tiny_models import build_bert

    return build_bert(tmp_path_factory.mktemp("r2-files") / "m")


def _copy(model: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "model"
    shutil.copytree(model, dst)
    return dst


def _score(capsys, model: Path, tmp_path: Path, *flags: str) -> tuple[int, str]:
    src = write_rows(tmp_path / "in.jsonl", [ROW])
    code, _, err = run(capsys, "score", "--model", model, "--no-progress", *flags, src,
                       tmp_path / "out.jsonl")
    return code, err


# ---------------------------------------------------------------- item 5: --db
@pytest.mark.parametrize("command", ["stats", "import", "export"])
def test_fifo_as_db_fails_in_one_line(command: str, tmp_path: Path, capsys) -> None:
    fifo = tmp_path / "duelist.db"
    os.mkfifo(fifo)
    data = write_rows(tmp_path / "in.jsonl", [ROW])
    argv = {"stats": ["stats", "--db", fifo], "import": ["import", "--db", fifo, data],
            "export": ["export", "--db", fifo, tmp_path / "o.jsonl"]}[command]
    code, _, err = run(capsys, *argv)
    assert code == 2 and "not a regular file" in err and err.count("\n") == 1


# ---------------------------------------------------------------- item 5: model metadata
@pytest.mark.parametrize("name", ["duelist.json", "calibration.json"])
@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "outside", "huge"])
def test_model_metadata_that_is_not_a_small_regular_file_inside_is_refused(
        name: str, kind: str, model: Path, tmp_path: Path, capsys) -> None:
    m = _copy(model, tmp_path)
    target = m / name
    target.unlink(missing_ok=True)
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "dev-zero":
        target.symlink_to("/dev/zero")
    elif kind == "outside":
        (tmp_path / "secret.json").write_text('{"temperature": 1.0}')
        target.symlink_to(tmp_path / "secret.json")
    else:
        target.write_text('{"temperature": 1.0, "pad": "' + "x" * (5 << 20) + '"}')
    flags = ["--calibrated"] if name == "calibration.json" else []
    code, err = _score(capsys, m, tmp_path, *flags)
    assert code == 2 and name in err and err.count("\n") == 1, err


# ---------------------------------------------------------------- item 7: bad duelist.json
@pytest.mark.parametrize("meta", [{"encoding": {"max_length": "abc"}},
                                  {"encoding": {"max_length": 2}},
                                  {"encoding": {"max_length": 1.5}},
                                  {"encoding": ["max_length", 128]},
                                  ["not", "an", "object"],
                                  "{not json"])
def test_bad_duelist_json_is_one_line(meta: object, model: Path, tmp_path: Path, capsys) -> None:
    m = _copy(model, tmp_path)
    (m / "duelist.json").write_text(meta if isinstance(meta, str) else json.dumps(meta))
    code, err = _score(capsys, m, tmp_path)
    assert code == 2 and "duelist.json" in err and err.count("\n") == 1, err


def test_max_length_beyond_the_model_positions_is_clamped(model: Path, tmp_path: Path,
                                                           capsys) -> None:
    m = _copy(model, tmp_path)
    meta = json.loads((m / "duelist.json").read_text()) if (m / "duelist.json").exists() else {}
    meta["encoding"] = {**meta.get("encoding", {}), "max_length": 100_000}
    (m / "duelist.json").write_text(json.dumps(meta))
    src = write_rows(tmp_path / "in.jsonl", [{**ROW, "chosen": "word " * 3000}])
    code, _, err = run(capsys, "score", "--model", m, "--no-progress", src, tmp_path / "o.jsonl")
    assert code == 0, err


# ---------------------------------------------------------------- item 6: no tokenizer
def test_model_dir_without_tokenizer_files_is_refused(model: Path, tmp_path: Path, capsys) -> None:
    m = _copy(model, tmp_path)
    for f in m.iterdir():
        if f.name.startswith(("tokenizer", "vocab", "special_tokens", "merges")):
            f.unlink()
    code, err = _score(capsys, m, tmp_path)
    assert code == 2 and "no tokenizer files" in err, err


# ---------------------------------------------------------------- item 11: ensembles
@pytest.mark.parametrize("member", ["/etc", "../../outside-model", "/tmp"])
def test_ensemble_member_outside_its_folder_is_refused(member: str, model: Path, tmp_path: Path,
                                                       capsys) -> None:
    project = tmp_path / "project"
    project.mkdir()
    ens = project / "ens"
    ens.mkdir()
    (ens / "ensemble.json").write_text(json.dumps({"members": [member], "aggregate": "mean"}))
    shutil.copytree(model, tmp_path / "outside-model")
    code, err = _score(capsys, ens, tmp_path)
    assert code == 2 and "outside" in err, err


# ---------------------------------------------------------------- item 5/7: HF datasets dirs
def _hf_dir(tmp_path: Path, files: list[object]) -> Path:
    d = tmp_path / "ds"
    d.mkdir()
    table = pa.Table.from_pylist([ROW])
    with pa.OSFile(str(d / "data-00000-of-00001.arrow"), "wb") as sink, \
            pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    (d / "state.json").write_text(json.dumps({"_data_files": [{"filename": f} for f in files]}))
    return d


@pytest.mark.parametrize("filename", ["../../../../etc/passwd", "/etc/passwd", "fifo", "link",
                                      ".", "", 7])
def test_state_json_naming_an_unsafe_file_is_refused(filename: object, tmp_path: Path,
                                                     capsys) -> None:
    d = _hf_dir(tmp_path, [filename])
    os.mkfifo(d / "fifo")
    (d / "link").symlink_to("/etc/passwd")
    code, _, err = run(capsys, "import", "--db", tmp_path / "x.db", d)
    assert code == 2 and "state.json" in err and err.count("\n") == 1, err
    assert not (tmp_path / "x.db").exists()


def test_state_json_that_is_a_fifo_is_refused(tmp_path: Path, capsys) -> None:
    d = _hf_dir(tmp_path, ["data-00000-of-00001.arrow"])
    (d / "state.json").unlink()
    os.mkfifo(d / "state.json")
    code, _, err = run(capsys, "import", "--db", tmp_path / "x.db", d)
    assert code == 2 and "state.json" in err, err


@pytest.mark.parametrize("splits", [["."], [".."], ["train", "."], ["/etc"], [None], "train"])
def test_dataset_dict_with_bad_splits_is_one_line(splits: object, tmp_path: Path, capsys) -> None:
    d = _hf_dir(tmp_path, ["data-00000-of-00001.arrow"])
    train = d / "train"
    train.mkdir()
    (d / "data-00000-of-00001.arrow").rename(train / "data-00000-of-00001.arrow")
    (d / "state.json").rename(train / "state.json")
    (d / "dataset_dict.json").write_text(json.dumps({"splits": splits}))
    code, _, err = run(capsys, "import", "--db", tmp_path / "x.db", d)
    assert code == 2 and "dataset_dict.json" in err and err.count("\n") == 1, err


def test_a_good_dataset_dict_still_imports(tmp_path: Path, capsys) -> None:
    d = _hf_dir(tmp_path, ["data-00000-of-00001.arrow"])
    train = d / "train"
    train.mkdir()
    (d / "data-00000-of-00001.arrow").rename(train / "data-00000-of-00001.arrow")
    (d / "state.json").rename(train / "state.json")
    (d / "dataset_dict.json").write_text(json.dumps({"splits": ["train"]}))
    code, out, err = run(capsys, "import", "--db", tmp_path / "x.db", d)
    assert code == 0 and "1 comparison added" in out, err


# ---------------------------------------------------------------- item 9: duplicate columns
@pytest.mark.parametrize("dup", ["prompt", "chosen", "extra"])
def test_parquet_with_duplicate_column_names_is_refused(dup: str, tmp_path: Path, capsys) -> None:
    names = ["prompt", "chosen", "rejected", "extra", dup]
    table = pa.Table.from_arrays([pa.array([f"v{i}"]) for i in range(len(names))], names=names)
    pq.write_table(table, str(tmp_path / "d.parquet"))
    code, _, err = run(capsys, "import", "--db", tmp_path / "x.db", tmp_path / "d.parquet")
    assert code == 2 and "twice" in err and dup in err, err


def test_hf_arrow_with_duplicate_column_names_is_refused(tmp_path: Path, capsys) -> None:
    d = _hf_dir(tmp_path, ["dup.arrow"])
    table = pa.Table.from_arrays([pa.array(["p"]), pa.array(["a"]), pa.array(["b"]),
                                  pa.array(["c"])], names=["prompt", "chosen", "rejected", "chosen"])
    with pa.OSFile(str(d / "dup.arrow"), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    code, _, err = run(capsys, "import", "--db", tmp_path / "x.db", d)
    assert code == 2 and "twice" in err and "chosen" in err, err


# ---------------------------------------------------------------- item 11: read-only media
def test_stats_and_export_read_a_database_on_read_only_media(tmp_path: Path, capsys) -> None:
    media = tmp_path / "media"
    media.mkdir()
    db = media / "duelist.db"
    assert run(capsys, "import", "--db", db, write_rows(tmp_path / "in.jsonl",
                                                        [{**ROW, "rejected": "bad"}]))[0] == 0
    before = content_dump(db)
    with read_only(db, media):
        code, out, err = run(capsys, "stats", "--db", db)
        assert code == 0 and "comparisons" in out, err
        code, out, err = run(capsys, "export", "--db", db, tmp_path / "e.jsonl")
        assert code == 0, err
    assert content_dump(db) == before
