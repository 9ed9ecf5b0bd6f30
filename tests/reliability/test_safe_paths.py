"""Project names and run folders cannot escape the project folder.

`--project-name` (engine.training.params) names the output model dir relative to the
project root; the TUI names run folders from user-visible run names
(engine.application.run_launch). Both must reject or neutralise `..`, absolute paths, drive
letters, UNC paths and control characters, and whatever they accept must land
inside the project folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from duelist.engine.application.run_launch import run_dir_for, safe_name
from duelist.engine.errors import ParamsError
from duelist.engine.training.params import RewardParams, check_project_name
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ESCAPES = [
    "../x", "..", "a/../../b", "a/..", "x/../../../etc/passwd", "/abs", "/", "//server/share",
    "C:\\x", "C:x", "c:/x", "\\\\server\\share\\x", "..\\x", "a\\..\\..\\b", "a\x00b", "a\nb",
    "\x1b[2J", "", "   ", ".", "./",
]
# pieces a hostile name is made of
PIECES = st.sampled_from(["..", ".", "/", "\\", "a", "~", "C:", " ", "\x00", "\n", "\u202e", "x" * 50])


@pytest.mark.parametrize("name", ESCAPES)
def test_escaping_project_names_are_refused_in_one_line(name: str, tmp_path: Path) -> None:
    with pytest.raises(ParamsError) as err:
        RewardParams(project_name=name, project_root=str(tmp_path))
    message = str(err.value)
    assert "\n" not in message and "--project-name" in message


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.lists(PIECES, min_size=1, max_size=8).map("".join) | st.text(max_size=40))
def test_any_accepted_project_name_stays_inside(name: str, tmp_path: Path) -> None:
    try:
        check_project_name(name)
    except ParamsError as exc:
        assert "\n" not in str(exc)
        return
    root = tmp_path.resolve()
    try:  # the file-system check (existing file, symlink, name too long) may still refuse
        params = RewardParams(project_name=name, project_root=str(root))
    except ParamsError as exc:
        assert "\n" not in str(exc)
        return
    for where in (params.output_dir, params.run_dir):
        assert where.is_relative_to(root) and where != root, f"{name!r} -> {where}"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.lists(PIECES, min_size=0, max_size=8).map("".join) | st.text(max_size=60),
       run_id=st.integers(min_value=1, max_value=10**9))
def test_run_folders_always_land_in_runs(name: str, run_id: int, tmp_path: Path) -> None:
    runs = (tmp_path / "runs").resolve()
    path = run_dir_for(tmp_path / "duelist.db", run_id, name)
    assert path.parent == runs, f"{name!r} -> {path}"
    slug = safe_name(name)
    assert "/" not in slug and "\\" not in slug and ".." not in slug and slug not in {"", "."}
    assert all(ch.isascii() and ch.isprintable() for ch in slug)


@pytest.mark.parametrize("argv", [
    ["--project-name", "../outside"], ["--project-name", "/tmp/abs-model"],
    ["--project-name", "a/../../b"],
])
def test_train_command_refuses_escaping_names(argv: list[str], tmp_path: Path, capsys,
                                              monkeypatch) -> None:
    """Through the real CLI: one line, exit 2, nothing created anywhere."""
    from duelist.tui.cli.main import main

    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    data = project / "pairs.jsonl"
    data.write_text('{"prompt": "p", "chosen": "a", "rejected": "b"}\n')
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    code = main(["train", "--data-path", str(data), *argv])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.startswith("duelist: error:") and "\n" not in err and "--project-name" in err
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before
    assert not Path("/tmp/abs-model").exists()


def test_a_model_never_replaces_a_folder_that_is_not_a_model(tmp_path: Path) -> None:
    """Replacing a model dir deletes the old one. Found by the property test above:
    `--project-name ./.` made the output the project folder itself, so saving the
    model would have moved the project (database included) aside and deleted it."""
    from duelist.engine.errors import DuelistError
    from duelist.engine.files.atomic import atomic_dir

    project = tmp_path / "project"
    project.mkdir()
    (project / "duelist.db").write_bytes(b"judgements")
    with pytest.raises(DuelistError) as err, atomic_dir(project) as tmp:
        (tmp / "config.json").write_text("{}")
    assert "not a model directory" in str(err.value) and "\n" not in str(err.value)
    assert (project / "duelist.db").read_bytes() == b"judgements"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project"]  # no temp dirs left

    old_model = tmp_path / "rm"
    old_model.mkdir()
    (old_model / "config.json").write_text('{"old": true}')
    with atomic_dir(old_model) as tmp:  # a model dir is replaced, as before
        (tmp / "config.json").write_text('{"new": true}')
    assert (old_model / "config.json").read_text() == '{"new": true}'
