"""`duelist export OUT`: resolved judgements as TRL-ready preference pairs."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from duelist.engine.errors import DuelistError
from duelist.engine.preferences.export import EXPORT_FORMATS, export_pairs, format_for
from duelist.engine.preferences.resolve import resolve_pairs
from duelist.store import Store, StoreError
from duelist.store.review import STATUSES, SearchFilter
from duelist.tui.cli import main as cli
from duelist.tui.cli.textout import say

_EPILOG = """\
Columns: prompt, chosen, rejected (what trl.RewardTrainer and AutoTrain read),
margin (TRL's margin column from graded strength: slightly 1/3, clearly 2/3,
much 1, ungraded 0; the mean over the winner's votes), then comparison_id,
source, annotators, votes, agreement, weight, strengths, notes (rationale
notes as "name: text | ..."), adjudicated.
Comparisons whose votes resolve to a tie, both-bad, skip or a conflict are left
out and counted. The file is written to a temp name and renamed into place.

examples:
  duelist export pairs.jsonl
  duelist export pairs.parquet --policy unanimous
  duelist export pairs.jsonl --policy weighted   # reliability-weighted votes
  duelist export hf_pairs --format hf      # then datasets.load_from_disk("hf_pairs")
  duelist export pairs.jsonl --policy adjudicated   # a lead's decisions first, then majority
  duelist export pairs.jsonl --policy adjudicated:weighted
  duelist export sky.jsonl --search "sky" --annotator alice --status disputed
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export", help="write judged pairs as prompt/chosen/rejected for training",
        description="Resolve the judgements in the project database into preference pairs "
                    "and write them as JSONL, JSON, CSV, Parquet or a HF datasets directory.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", metavar="OUT", help="output file (or directory for --format hf)")
    cli.add_db_option(p)
    p.add_argument("--format", dest="fmt", choices=EXPORT_FORMATS, metavar="FMT",
                   help=f"{', '.join(EXPORT_FORMATS)} (default: from OUT's extension; "
                        "no extension means hf)")
    p.add_argument("--policy", default="majority", metavar="POLICY",
                   help="how several annotators' votes resolve: majority (default), "
                        "unanimous, weighted (by annotator reliability from gold items "
                        "and agreement), or adjudicated[:POLICY] (a lead's decision from "
                        "'duelist review' where there is one, else POLICY, default majority)")
    add_filter_options(p)
    p.set_defaults(func=run)


def add_filter_options(p: argparse.ArgumentParser) -> None:
    """Search and filter flags (export and review share them)."""
    g = p.add_argument_group("search and filter")
    g.add_argument("--search", default="", metavar="TEXT",
                   help="only comparisons whose prompt or a response contains TEXT")
    g.add_argument("--annotator", metavar="NAME", help="only comparisons NAME judged")
    g.add_argument("--status", choices=STATUSES,
                   help="only unjudged, judged, skipped or disputed comparisons")
    g.add_argument("--gold", dest="gold", action="store_const", const=True, default=None,
                   help="only gold items")
    g.add_argument("--no-gold", dest="gold", action="store_const", const=False,
                   help="only items without a gold answer")


def search_filter(args: argparse.Namespace) -> SearchFilter:
    return SearchFilter(text=args.search or "", annotator=args.annotator, status=args.status,
                        gold=args.gold)


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    fmt = format_for(out, args.fmt)  # fail on a bad name before touching the store
    _refuse_database_target(out, Path(args.db))
    if not Path(args.db).exists():
        raise StoreError(f"{args.db}: no such database; run 'duelist import' first")
    wanted = search_filter(args)
    with Store.open_for_reading(args.db) as store:
        resolution = resolve_pairs(store, policy=args.policy)
        if not wanted.is_empty():
            keep = set(store.search_comparison_ids(wanted))
            resolution.pairs = [p for p in resolution.pairs if p.comparison_id in keep]
            resolution.counts["pairs"] = len(resolution.pairs)
            say(f"filter kept {len(resolution.pairs)} pairs of {len(keep)} matching comparisons")
    if not resolution.pairs:
        raise DuelistError(f"nothing to export: {resolution.summary()}")
    export_pairs(resolution.pairs, out, fmt)
    say(f"wrote {len(resolution.pairs)} pairs to {out} ({fmt}, policy {args.policy})")
    say(resolution.summary())
    return 0


def _refuse_database_target(out: Path, db: Path) -> None:
    """Never write an export over a database. `duelist export --format jsonl duelist.db`
    (one slip of the tab key) used to replace the project, and every judgement in
    it, with a JSONL file. Checked before the store is opened."""
    real = Path(os.path.realpath(db))  # realpath, unlike resolve(), survives symlink loops
    targets = {real} | {real.with_name(real.name + s) for s in ("-wal", "-shm", "-journal")}
    if Path(os.path.realpath(out)) in targets:
        raise DuelistError(f"{out}: is the project database (--db); exporting over it would "
                           "destroy every judgement. Choose another file name")
    if out.is_file():
        with out.open("rb") as fh:
            is_sqlite = fh.read(16) == b"SQLite format 3\x00"
        if is_sqlite:
            raise DuelistError(f"{out}: is a SQLite database; exporting over it would destroy "
                               "it. Choose another file name")
