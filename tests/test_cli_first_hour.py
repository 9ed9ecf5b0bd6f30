"""CLI items of issue 14: AutoTrain's `--train`, no abbreviations, hints, early checks."""

from __future__ import annotations

import argparse

import pytest
from duelist.tui.cli.main import COMMANDS, build_parser


def test_autotrain_command_line_parses_verbatim() -> None:
    argv = ["llm", "--train", "--project-name", "p", "--data-path", "x.json",
            "--trainer", "reward", "--epochs", "1"]
    args = build_parser("llm").parse_args(argv)
    assert args.trainer == "reward" and args.autotrain_train and args.epochs == 1
    args = build_parser("train").parse_args(["train", "--train", "--data-path", "x.json"])
    assert args.data_path == "x.json"


def test_no_parser_accepts_abbreviations(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    assert parser.allow_abbrev is False
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(COMMANDS) <= set(sub.choices)
    assert all(p.allow_abbrev is False for p in sub.choices.values())
    with pytest.raises(SystemExit) as exc:
        build_parser("train").parse_args(["train", "--max-step", "1"])
    assert exc.value.code == 2
    assert "--max-step" in capsys.readouterr().err


def _write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def test_train_names_its_own_column_flag_before_loading_anything(
        tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from duelist.tui.cli.main import main

    monkeypatch.chdir(tmp_path)
    data = _write(tmp_path / "q.json", '[{"question": "p", "chosen": "a", "rejected": "b"}]')
    assert main(["train", "--data-path", str(data)]) == 2
    err = capsys.readouterr().err
    assert "no 'prompt' column" in err and "--prompt-text-column" in err, err
    assert "--shape" not in err and "--prompt-column/" not in err
    # Checked before the worker starts: no run folder, no database.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["q.json"]


def test_score_does_not_suggest_a_flag_it_lacks(tmp_path, capsys) -> None:
    from duelist.tui.cli.main import main

    src = _write(tmp_path / "in.jsonl", '{"prompt": " ", "response": "r"}\n')
    assert main(["score", str(src), str(tmp_path / "out.jsonl"), "--model", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "text is empty" in err and "--skip-empty" not in err


def test_import_still_offers_skip_empty(tmp_path, capsys) -> None:
    from duelist.tui.cli.main import main

    src = _write(tmp_path / "in.jsonl", '{"prompt": "p", "chosen": "", "rejected": "b"}\n')
    assert main(["import", str(src), "--db", str(tmp_path / "p.db")]) == 2
    assert "--skip-empty leaves such rows out" in capsys.readouterr().err


def test_first_run_guides_instead_of_creating_an_empty_database(
        tmp_path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from duelist.store import Store
    from duelist.tui.cli.main import main

    monkeypatch.chdir(tmp_path)
    assert main([]) == 2
    err = capsys.readouterr().err
    assert "no project database at 'duelist.db'" in err
    assert "'duelist demo'" in err and "'duelist import FILE --db duelist.db'" in err
    assert list(tmp_path.iterdir()) == []  # nothing created
    Store.open(tmp_path / "project.db").close()
    assert main(["annotate", "--db", "projet.db"]) == 2
    err = capsys.readouterr().err
    assert "did you mean --db project.db?" in err
    assert not (tmp_path / "projet.db").exists()


def test_a_reader_that_stops_early_is_not_an_error(tmp_path) -> None:
    import subprocess
    import sys

    from duelist.store import NewComparison, Store

    db = tmp_path / "p.db"
    with Store.open(db) as store:
        store.insert_comparisons([NewComparison("p", "a", "b")])
    proc = subprocess.Popen([sys.executable, "-m", "duelist.tui.cli.main", "stats", "--db",
                             str(db)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # `duelist stats | head -0`
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0
    assert "BrokenPipe" not in err and err == ""
