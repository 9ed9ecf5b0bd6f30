"""Round two, item 1: `--project-name` can never replace a file or write through a
symbolic link outside the project folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from duelist.engine.errors import DuelistError, ParamsError
from duelist.engine.files.atomic import atomic_dir
from duelist.engine.training.params import RewardParams

from reliability._cli import run


@pytest.mark.parametrize("name", ["duelist.db", "data/pairs.jsonl", "notes.txt",
                                  "duelist.db/", "./duelist.db"])
def test_project_name_naming_an_existing_file_is_refused(name: str, tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    for f in ("duelist.db", "data/pairs.jsonl", "notes.txt"):
        (tmp_path / f).write_bytes(b"precious")
    with pytest.raises(ParamsError) as err:
        RewardParams(project_name=name, project_root=str(tmp_path))
    assert "existing file" in str(err.value) or "not a directory" in str(err.value)


def test_run_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "model.run").write_text("x")
    with pytest.raises(ParamsError):
        RewardParams(project_name="model", project_root=str(tmp_path))


@pytest.mark.parametrize("name", ["link/model", "link", "sub/link/deeper"])
def test_project_name_through_a_symlink_outside_is_refused(name: str, tmp_path: Path) -> None:
    root, outside = tmp_path / "project", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "sub").mkdir()
    (root / "link").symlink_to(outside)
    (root / "sub" / "link").symlink_to(outside)
    with pytest.raises(ParamsError) as err:
        RewardParams(project_name=name, project_root=str(root))
    assert "outside the project folder" in str(err.value)


def test_symlink_inside_the_project_is_fine(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "alias").symlink_to(tmp_path / "models")
    params = RewardParams(project_name="alias/m", project_root=str(tmp_path))
    assert params.output_dir == (tmp_path / "models" / "m").resolve()


def test_atomic_dir_never_replaces_a_file(tmp_path: Path) -> None:
    db = tmp_path / "duelist.db"
    db.write_bytes(b"precious")
    with pytest.raises(DuelistError), atomic_dir(db) as tmp:
        (tmp / "config.json").write_text("{}")
    assert db.read_bytes() == b"precious"
    assert [p.name for p in tmp_path.iterdir()] == ["duelist.db"]


def test_train_cli_with_the_database_as_project_name_keeps_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.jsonl").write_text('{"prompt": "p", "chosen": "a", "rejected": "b"}\n')
    code, _, err = run(capsys, "import", "--db", "duelist.db", "p.jsonl")
    assert code == 0
    before = (tmp_path / "duelist.db").read_bytes()
    code, _out, err = run(capsys, "train", "--db", "duelist.db", "--project-name", "duelist.db")
    assert code == 2 and "existing file" in err and err.count("\n") == 1
    assert (tmp_path / "duelist.db").read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["duelist.db", "p.jsonl"]


def test_train_that_fails_on_bad_data_leaves_no_run_folder(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from tiny_models import build_bert

    model = build_bert(tmp_path / "base")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "todo.jsonl").write_text(  # comparisons still to judge: nothing to learn
        '{"prompt": "p", "response_a": "a", "response_b": "b"}\n')
    before = sorted(os.listdir(tmp_path))
    code, _, err = run(capsys, "train", "--model", str(model), "--data-path", "todo.jsonl",
                       "--project-name", "m", "--epochs", "1")
    assert code == 2, err
    assert sorted(os.listdir(tmp_path)) == before, "a failed train left files behind"
