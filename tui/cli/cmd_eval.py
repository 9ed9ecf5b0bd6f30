"""`duelist eval`: placeholder until its issue lands."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="(not available yet)", description="Not available yet.")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    print("duelist: error: 'eval' is not available yet", file=sys.stderr)
    return 2
