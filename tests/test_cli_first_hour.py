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
