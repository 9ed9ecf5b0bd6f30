"""`duelist annotate`: judge comparisons in the terminal (the default command).

`launch(db_path, **options)` is the programmatic entry (`duelist demo` uses it).
Textual is imported only inside, so `duelist --help` and other commands stay fast.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from duelist.engine.errors import InputError
from duelist.tui.cli import main as cli_main

ORDERS = ("sequential", "random", "uncertainty", "disagreement")
# Random is the default because no model-driven order beat it by more than the seed spread
# on real human preferences (BENCHMARKS.md, "Active learning on real preferences").
DEFAULT_ORDER = "random"
ORDER_HELP = (
    "queue order (default: random). 'random' is the default because, on real human "
    "preferences, no model-driven order beat it by more than the seed-to-seed spread "
    "(BENCHMARKS.md). 'sequential' keeps import order (to work through a file in "
    "its own order). 'uncertainty' shows the current model's closest calls first and "
    "'disagreement' the items an ensemble (train --ensemble K) disagrees on most: use "
    "them to look at where the model is unsure (guidelines, audits), not to save labels. "
    "Both start a background scoring job when needed and use id order until scores exist")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "annotate", help="judge A/B comparisons (default command)",
        description="Open the annotation screen: read a prompt and two responses, press a key "
                    "to judge. Every judgement is committed to the database before the next "
                    "item appears. Press ? in the app for every key.")
    cli_main.add_db_option(p)
    p.add_argument("--annotator", default=None, metavar="NAME", type=annotator_name,
                   help="who is judging (default: $USER)")
    p.add_argument("--order", choices=ORDERS, default=DEFAULT_ORDER, help=ORDER_HELP)
    p.add_argument("--no-randomize", dest="randomize", action="store_false",
                   help="always show the stored response A on the left")
    p.add_argument("--seed", type=int, default=0, metavar="N",
                   help="seed for side randomization and random order (default: 0)")
    p.add_argument("--guidelines", default=None, metavar="FILE",
                   help="Markdown file shown with g (default: assets/guidelines.md)")
    p.add_argument("--overlap", type=int, default=None, metavar="N",
                   help="shared queue for several annotators (separate processes or SSH): "
                        "each comparison goes to N different annotators, and with 1 no two "
                        "get the same item (default: everyone may judge every item)")
    p.add_argument("--gold-rate", type=float, default=0.1, metavar="R",
                   help="share of gold items (known answers) mixed in, unannounced, when the "
                        "database has any (default: 0.1)")
    p.add_argument("--repeat-rate", type=float, default=0.0, metavar="R",
                   help="share of items shown again later (sides swapped) to measure each "
                        "annotator's self-agreement; repeats never count twice (default: 0)")
    p.set_defaults(func=run)


def launch(db_path: str | Path, **options: Any) -> int:
    """Open the annotate app on `db_path` and block until the user quits.

    Options: annotator, order, randomize, seed, guidelines (see AnnotateOptions).
    """
    from duelist.store import Store
    from duelist.tui.app import AnnotateOptions, DuelistApp

    guidelines = options.get("guidelines")
    if guidelines is not None and not Path(guidelines).is_file():
        raise InputError("guidelines file not found", path=str(guidelines))
    store = Store.open(db_path)  # errors become one line in main, before the screen opens
    try:
        app = DuelistApp(store, AnnotateOptions(**options))
        app.run()
    finally:
        store.close()
    return int(app.return_code or 0)


def run(args: argparse.Namespace) -> int:
    if args.overlap is not None and args.overlap < 1:
        raise InputError(f"--overlap must be at least 1, got {args.overlap}")
    if not 0.0 <= args.gold_rate <= 1.0:
        raise InputError(f"--gold-rate must be between 0 and 1, got {args.gold_rate}")
    if not 0.0 <= args.repeat_rate <= 1.0:
        raise InputError(f"--repeat-rate must be between 0 and 1, got {args.repeat_rate}")
    from duelist.tui.cli.first_run import require_database

    require_database(args.db)
    return launch(args.db, annotator=args.annotator or "", order=args.order,
                  randomize=args.randomize, seed=args.seed, guidelines=args.guidelines,
                  overlap=args.overlap, gold_rate=args.gold_rate, repeat_rate=args.repeat_rate)


def annotator_name(value: str) -> str:
    """An annotator name that shows as what it is: not blank, no control, bidi or
    invisible characters, no look-alike letters (they would let one name pass for
    another in `stats`; see store/annotator_names.py)."""
    from duelist.store.annotator_names import name_problem

    problem = name_problem(value)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return value.strip()
