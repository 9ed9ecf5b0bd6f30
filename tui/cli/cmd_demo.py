"""`duelist demo`: a ready-made project to try the annotation screen on.

Creates `./demo/duelist.db` (once) from the project's own demo set,
`assets/demo.jsonl` (20 prompts x 3 responses -> 60 comparisons), then opens
the annotate screen on it. `make run` calls this.
"""

from __future__ import annotations

import argparse
from importlib.resources import files
from pathlib import Path

from duelist.engine.errors import InputError
from duelist.engine.ingest.importer import import_files
from duelist.store import Store
from duelist.tui.cli.textout import say

ASSETS = Path(str(files("duelist.assets")))  # installed with the package, wheel too
DEMO_DATA = ASSETS / "demo.jsonl"
GUIDELINES = ASSETS / "guidelines.md"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo", help="open the annotation screen on a demo project",
        description="Create a demo project (if missing) from the bundled demo set and open "
                    "the annotation screen on it.")
    p.add_argument("--dir", default="demo", metavar="DIR",
                   help="where the demo project lives (default: ./demo)")
    p.add_argument("--annotator", default=None, metavar="NAME",
                   help="who is judging (default: $USER)")
    p.add_argument("--no-tui", action="store_true",
                   help="only create the demo database, do not open the screen")
    p.set_defaults(func=run)


def seed_demo(directory: str | Path) -> tuple[Path, int]:
    """Create (if missing) the demo database; returns its path and comparisons added."""
    if not DEMO_DATA.is_file():
        raise InputError("demo data is missing from this installation", path=str(DEMO_DATA))
    folder = Path(directory)
    if folder.exists() and not folder.is_dir():
        raise InputError("exists and is not a directory", path=str(folder))
    folder.mkdir(parents=True, exist_ok=True)
    db_path = folder / "duelist.db"
    with Store.open(db_path) as store:
        if store.count_comparisons():
            return db_path, 0
        summary = import_files(store, [DEMO_DATA])
    return db_path, summary.added


def run(args: argparse.Namespace) -> int:
    db_path, added = seed_demo(args.dir)
    if added:
        say(f"created demo project {db_path} with {added} comparisons")
    if args.no_tui:
        if not added:
            say(f"demo project {db_path} already exists")
        return 0
    from duelist.tui.cli.cmd_annotate import launch

    return launch(db_path, annotator=args.annotator or "",
                  guidelines=str(GUIDELINES) if GUIDELINES.is_file() else None)
