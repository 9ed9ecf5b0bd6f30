"""`duelist review`: adjudicate the comparisons where annotators disagree."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

from duelist.engine.errors import InputError
from duelist.store import StoreError
from duelist.tui.cli import main as cli

_EPILOG = """\
Lists comparisons whose annotators disagree, or where someone missed the gold
answer, with every vote, its strength, note and time. Keys: 1/a A wins, 2/b B
wins, ! or @ then 1-3 for a graded decision, t tie, x both bad, r note, u undo,
/ search, q quit. Export and training then prefer these decisions:
  duelist export pairs.jsonl --policy adjudicated

examples:
  duelist review
  duelist review --adjudicator lead --search "capital" --annotator bob
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("review", help="review and adjudicate disagreements",
                       description="Open the review screen: disputed comparisons, every vote, "
                                   "and a key to record the adjudicated decision.",
                       epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_db_option(p)
    p.add_argument("--adjudicator", default=None, metavar="NAME",
                   help="who decides (default: $USER)")
    p.add_argument("--search", default="", metavar="TEXT",
                   help="start with this search line (same syntax as / in the screen)")
    p.add_argument("--annotator", default=None, metavar="NAME",
                   help="only items NAME judged")
    p.set_defaults(func=run)


def initial_query(args: argparse.Namespace) -> str:
    """The flags as a `/` search line, so the screen shows and edits one thing."""
    line = args.search or ""
    if args.annotator:
        line += f" annotator:{shlex.quote(args.annotator)}"
    return line.strip()


def run(args: argparse.Namespace) -> int:
    from duelist.engine.application.search_query import QueryError, parse_query
    from duelist.store import Store
    from duelist.tui.app import default_annotator
    from duelist.tui.review_app import ReviewApp

    if not Path(args.db).exists():
        raise StoreError(f"{args.db}: no such database; run 'duelist import' first")
    line = initial_query(args)
    try:
        parse_query(line, 0)
    except QueryError as exc:
        raise InputError(f"--search: {exc}") from None
    store = Store.open(args.db)
    try:
        app = ReviewApp(store, args.adjudicator or default_annotator(), line)
        app.run()
    finally:
        store.close()
    return int(app.return_code or 0)
