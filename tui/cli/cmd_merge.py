"""`duelist merge A.db B.db ... -o TEAM.db`: unite stores of annotators who worked apart.

The logic (hash dedupe, orientation mapping, judgement dedupe) is in
store/merge.py; this file parses arguments, shows progress and reports.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from pathlib import Path

from duelist.store import Store, StoreError
from duelist.store.cleanup import removed_if_failed_new
from duelist.tui.cli.textout import report_lock_waits, say

_EPILOG = """\
Comparisons are matched by content (the pair in either order is one comparison),
judgements keep their annotator ids and undo marks, and running the same merge
again adds nothing. The output may already exist: new material is added to it.

example:
  duelist merge alice.db bob.db -o team.db
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("merge", help="merge several project databases into one",
                       description="Merge the comparisons and judgements of several Duelist "
                                   "databases into one.",
                       epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("sources", nargs="+", metavar="DB", help="databases to merge from")
    p.add_argument("-o", "--output", required=True, metavar="TEAM.db",
                   help="database to merge into (created if missing)")
    p.set_defaults(func=run)


@contextlib.contextmanager
def _progress() -> Iterator:
    """A (source, done, total) callback drawing a Rich bar on a terminal, else None."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    console = Console(stderr=True)
    if not console.is_terminal:
        yield None
        return
    bars = Progress(TextColumn("{task.description}", markup=False), BarColumn(),
                    MofNCompleteColumn(), console=console, transient=True)
    tasks: dict[str, int] = {}

    def update(source: str, done: int, total: int) -> None:
        if source not in tasks:
            tasks[source] = bars.add_task(f"merging {source}", total=total)
        bars.update(tasks[source], completed=done, total=total)

    with bars:
        yield update


def run(args: argparse.Namespace) -> int:
    report_lock_waits()
    if len(set(args.sources)) != len(args.sources):
        raise StoreError("the same database is named twice; list each source once")
    for src in args.sources:  # before the output is created, so a typo leaves no file behind
        if not Path(src).is_file():
            raise StoreError(f"{src}: no such database")
    with removed_if_failed_new(args.output), Store.open(args.output) as target, \
            _progress() as progress:
        report = target.merge_from(args.sources, progress)
        counts = target.counts()
    for src in report.sources:
        say(f"merged {src}")
    for old, new in report.renamed:
        say(f"imported annotator {old} is {new} here (a file of that name with other "
            "content, or the same content imported under another name)")
    say(f"{args.output}: +{report.comparisons_added} comparisons "
          f"({report.comparisons_seen - report.comparisons_added} already there, "
          f"{report.flipped} stored the other way round), "
          f"+{report.annotations_added} judgements "
          f"({report.annotations_seen - report.annotations_added} already there"
          + (f", {report.undos_carried} undos carried over" if report.undos_carried else "")
          + ")"
          + (f", +{report.adjudications_added} adjudications" if report.adjudications_added else "")
          + (f", +{report.repeats_added} repeats" if report.repeats_added else "")
          + f"; now {counts.comparisons} comparisons, {counts.annotations} live judgements")
    return 0
