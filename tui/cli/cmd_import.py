"""`duelist import FILE...`: load comparisons (and any judgements they carry) into the store.

All files of one command go in as ONE transaction: a bad row anywhere means
nothing is imported, and the one-line error names the file, row and column.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from pathlib import Path

from duelist.engine.errors import InputError
from duelist.engine.ingest import FORMATS, SHAPES, ColumnMap, ReadOptions
from duelist.engine.ingest.columns import SHAPE_ALIASES
from duelist.engine.ingest.importer import import_files, plural
from duelist.engine.ingest.items import MAX_RESPONSES
from duelist.store import Store
from duelist.store.cleanup import removed_if_failed_new
from duelist.tui.cli import main as cli
from duelist.tui.cli.textout import report_lock_waits, say

PROGRESS_MIN_BYTES = 4 << 20  # smaller files finish before a bar is worth drawing

_EPILOG = """\
shapes (detected from the columns, or forced with --shape):
  pairs (a)        prompt, response_a, response_b        comparisons to judge
  responses (b)    prompt, responses (list)              expanded into pairs
  preferences (c)  prompt, chosen, rejected              judged, by annotator import:<file>
  ratings (d)      prompt, response, score               best vs worst per prompt
  ab (e)           prompt, response_a, response_b, winner (A/B/tie/both_bad)
A prompt may be a list of chat messages ({role, content}). Importing a file
twice adds nothing.

examples:
  duelist import prefs.json
  duelist import code.csv --prompt-text-column instruction --text-column good_code \\
      --rejected-text-column bad_code
  duelist import candidates.jsonl --pairs-per-prompt 2 --seed 7
"""


def add_column_options(p: argparse.ArgumentParser) -> None:
    """Column-mapping flags, shared with any command that reads data files."""
    g = p.add_argument_group("column mapping (defaults are the column names themselves)")
    g.add_argument("--prompt-column", "--prompt-text-column", dest="prompt", metavar="COL",
                   help="prompt text or chat messages (default: prompt)")
    g.add_argument("--chosen-column", "--text-column", dest="chosen", metavar="COL",
                   help="preferred response, shape c (default: chosen)")
    g.add_argument("--rejected-column", "--rejected-text-column", dest="rejected", metavar="COL",
                   help="rejected response, shape c (default: rejected)")
    g.add_argument("--response-a-column", dest="response_a", metavar="COL",
                   help="first response, shapes a/e (default: response_a)")
    g.add_argument("--response-b-column", dest="response_b", metavar="COL",
                   help="second response, shapes a/e (default: response_b)")
    g.add_argument("--responses-column", dest="responses", metavar="COL",
                   help="list of candidate responses, shape b (default: responses)")
    g.add_argument("--response-column", dest="response", metavar="COL",
                   help="one rated response, shape d (default: response)")
    g.add_argument("--score-column", dest="score", metavar="COL",
                   help="numeric rating, shape d (default: score)")
    g.add_argument("--winner-column", dest="winner", metavar="COL",
                   help="A/B winner, shape e (default: winner)")
    g.add_argument("--gold-column", dest="gold", metavar="COL",
                   help="known answer (a/b/tie/both_bad) for quality checks (default: gold)")
    g.add_argument("--margin-column", dest="margin", metavar="COL",
                   help="TRL margin (number >= 0) of a judged row, shapes c/e; stored as the "
                        "nearest strength (default: margin)")
    g.add_argument("--strength-column", dest="strength", metavar="COL",
                   help="how much better the winner was: 1-3 or slightly/clearly/much, "
                        "shapes c/e (default: strength)")


def column_map(args: argparse.Namespace) -> ColumnMap:
    given = {role: getattr(args, role) for role in ColumnMap.roles()
             if getattr(args, role, None)}
    return ColumnMap(**given)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import", help="load comparisons or judged pairs from files",
        description="Import JSON, JSONL, CSV/TSV, Parquet files or HF datasets directories "
                    "(save_to_disk) into the project database.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="+", metavar="FILE", help="data files or datasets directories")
    cli.add_db_option(p)
    p.add_argument("--shape", choices=[*SHAPES, *SHAPE_ALIASES], metavar="SHAPE",
                   help=f"force the input shape: {', '.join(SHAPES)} (or a-e)")
    p.add_argument("--format", dest="fmt", choices=FORMATS, metavar="FMT",
                   help=f"force the file format: {', '.join(FORMATS)} (default: from the name)")
    add_column_options(p)
    g = p.add_argument_group("pairs")
    g.add_argument("--pairs-per-prompt", type=_positive, metavar="N",
                   help="shape b: sample N pairs per prompt instead of all pairs")
    g.add_argument("--seed", type=int, default=0, help="seed for --pairs-per-prompt (default: 0)")
    g.add_argument("--max-responses", type=_non_negative, default=MAX_RESPONSES, metavar="N",
                   help=f"shape b: refuse a row with more than N responses unless "
                        f"--pairs-per-prompt samples it; 0 lifts the cap (default: "
                        f"{MAX_RESPONSES}, i.e. {MAX_RESPONSES * (MAX_RESPONSES - 1) // 2:,} "
                        "pairs per row)")
    g.add_argument("--all-ordered-pairs", action="store_true",
                   help="shape d: every pair with different scores, not just best vs worst")
    g.add_argument("--skip-empty", action="store_true",
                   help="leave out rows with an empty text instead of failing")
    p.set_defaults(func=run)


def _non_negative(value: str) -> int:
    n = int(value)
    if n < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return n


def _positive(value: str) -> int:
    n = int(value)
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return n


def read_options(args: argparse.Namespace) -> ReadOptions:
    return ReadOptions(columns=column_map(args), shape=args.shape, fmt=args.fmt,
                       pairs_per_prompt=args.pairs_per_prompt, seed=args.seed,
                       all_ordered_pairs=args.all_ordered_pairs, skip_empty=args.skip_empty,
                       max_responses=args.max_responses)


@contextlib.contextmanager
def _progress_bars(enabled: bool) -> Iterator:
    """A progress_for(path) factory: a Rich bar per large file, on a terminal only."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(stderr=True)
    if not console.is_terminal:
        yield None
        return
    bars = Progress(TextColumn("{task.description}", markup=False), BarColumn(), DownloadColumn(),
                    TimeRemainingColumn(), console=console, transient=True)

    def progress_for(path: Path):
        if not path.is_file() or path.stat().st_size < PROGRESS_MIN_BYTES:
            return None
        task = bars.add_task(f"importing {path.name}", total=path.stat().st_size)
        return lambda done, total: bars.update(task, completed=done, total=total)

    with bars:
        yield progress_for


def run(args: argparse.Namespace) -> int:
    report_lock_waits()
    options = read_options(args)
    with removed_if_failed_new(args.db), Store.open(args.db) as store, \
            _progress_bars(True) as progress_for:
        summary = import_files(store, args.files, options, progress_for)
        if summary.comparisons == 0:  # inside: a new, empty database is removed again
            raise InputError("the files yield no comparisons (ratings need two different "
                             "scores for one prompt); nothing was imported",
                             path=", ".join(str(f) for f in args.files))
    for info in summary.files:
        extra = f"; ignored columns: {', '.join(info.ignored)}" if info.ignored else ""
        judged = f"; judgements by {info.annotator}" if info.annotator else ""
        say(f"{info.path}: {plural(info.rows, 'row')}, shape {info.shape}, "
            f"{plural(info.items, 'comparison')}{judged}{extra}")
        if info.note:
            say(f"{info.path}: {info.note}")
    say(summary.line())
    return 0
