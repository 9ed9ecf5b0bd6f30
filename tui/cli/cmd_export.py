"""`duelist export OUT`: resolved judgements as TRL-ready preference pairs."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from duelist.engine.errors import DuelistError
from duelist.engine.export import EXPORT_FORMATS, export_pairs, format_for
from duelist.engine.resolve import resolve_pairs
from duelist.store import Store, StoreError

from . import main as cli
from .textout import say

_EPILOG = """\
Columns: prompt, chosen, rejected (what trl.RewardTrainer and AutoTrain read),
then comparison_id, source, annotators, votes, agreement, weight.
Comparisons whose votes resolve to a tie, both-bad, skip or a conflict are left
out and counted. The file is written to a temp name and renamed into place.

examples:
  duelist export pairs.jsonl
  duelist export pairs.parquet --policy unanimous
  duelist export pairs.jsonl --policy weighted   # reliability-weighted votes
  duelist export hf_pairs --format hf      # then datasets.load_from_disk("hf_pairs")
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
                        "unanimous, or weighted (by annotator reliability from gold items "
                        "and agreement)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    fmt = format_for(out, args.fmt)  # fail on a bad name before touching the store
    _refuse_database_target(out, Path(args.db))
    if not Path(args.db).exists():
        raise StoreError(f"{args.db}: no such database; run 'duelist import' first")
    with Store.open_for_reading(args.db) as store:
        resolution = resolve_pairs(store, policy=args.policy)
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
