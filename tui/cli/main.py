"""Entry point: `duelist [SUBCOMMAND] ...`; `annotate` is the default.

Every failure a user can cause ends as ONE line on stderr and a non-zero exit:
2 for bad input or usage, 1 for anything else. Set DUELIST_DEBUG=1 for a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from importlib import import_module

from duelist.engine.errors import DuelistError
from duelist.engine.safe_text import one_line
from duelist.store import StoreError

# Subcommand modules, in the order --help lists them. Each has register(subparsers).
COMMANDS = [
    "annotate", "demo", "import", "export", "stats", "train", "rank", "score", "eval",
    "merge", "llm", "review", "serve", "web",
]
DEFAULT_COMMAND = "annotate"


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The full parser, or (`only`) just that subcommand's: each command module
    imports its own dependencies, and `duelist annotate` must not pay for the
    other nine on its way to the first comparison (launch budget < 1 s)."""
    parser = argparse.ArgumentParser(
        prog="duelist", allow_abbrev=False,
        description="Judge A/B comparisons in the terminal and turn them into a reward model.",
        epilog="Run 'duelist COMMAND --help' for a command's options. With no command, "
               "'duelist' opens the annotation screen on ./duelist.db.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in [only] if only in COMMANDS else COMMANDS:
        module = import_module(f"duelist.tui.cli.cmd_{name}")
        module.register(sub)
    # No prefix matching: AutoTrain's `--train` read as `--trainer` (issue 14, item 7), and
    # a flag added later must never change what an old abbreviation means.
    for command_parser in sub.choices.values():
        command_parser.allow_abbrev = False
    return parser


def add_db_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", default="duelist.db", metavar="PATH",
                   help="project database (default: ./duelist.db)")


def _with_default_command(argv: list[str]) -> list[str]:
    if not argv or (argv[0].startswith("-") and argv[0] not in {"-h", "--help"}):
        return [DEFAULT_COMMAND, *argv]
    return argv


def main(argv: list[str] | None = None) -> int:
    from duelist.tui.cli.textout import safe_streams

    safe_streams()
    args_list = _with_default_command(list(sys.argv[1:] if argv is None else argv))
    parser = build_parser(args_list[0] if args_list else None)
    args = parser.parse_args(args_list)
    debug = bool(os.environ.get("DUELIST_DEBUG"))
    try:
        code = args.func(args)
    except (DuelistError, StoreError) as exc:
        if debug:
            raise
        print(f"duelist: error: {one_line(exc, None, empty='unknown error')}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("duelist: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _reader_left()
    except Exception as exc:  # the last line of defence: no tracebacks for users
        if debug:
            raise
        print(f"duelist: error: {type(exc).__name__}: {one_line(exc, None, empty='unknown error')} "
              "(set DUELIST_DEBUG=1 for details)", file=sys.stderr)
        return 1
    try:
        sys.stdout.flush()  # a pipe closed early fails here, not in the interpreter's exit
    except BrokenPipeError:
        return _reader_left()
    return int(code or 0)


def _reader_left() -> int:
    """`duelist stats | head`: the reader stopped early, which is not an error. Point
    stdout at /dev/null so the interpreter's final flush cannot complain either."""
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    sys.exit(main())
