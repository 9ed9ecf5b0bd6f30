"""What `duelist` / `duelist annotate` says when there is no project database yet.

Why: opening the annotate screen used to create `./duelist.db` as a side effect, so
`duelist` in an empty folder, or `annotate --db` with a typo, showed "All done. Nothing
left to show: you have judged every comparison." and left an empty database behind
(issue 14, item 4). `stats` and `export` already refused; now annotate does too, and
says how to start: the demo, an import, or the database the user probably meant.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from duelist.engine.errors import InputError

_MAX_SUGGESTIONS = 3


def nearby_databases(db: Path) -> list[str]:
    """Project databases the user may have meant: *.db next to the path they typed (closest
    names first) and the demo project's, as paths they can paste."""
    folder = db.parent if str(db.parent) else Path(".")
    found: list[Path] = []
    if folder.is_dir():
        found = sorted(p for p in folder.glob("*.db") if p.is_file())
    names = [p.name for p in found]
    close = difflib.get_close_matches(db.name, names, n=_MAX_SUGGESTIONS, cutoff=0.5)
    ordered = [folder / n for n in close] + [p for p in found if p.name not in close]
    demo = folder / "demo" / "duelist.db"
    if demo.is_file():
        ordered.append(demo)
    return [str(p) for p in ordered[:_MAX_SUGGESTIONS]]


def require_database(db: str | Path) -> None:
    """Raise a guiding InputError when `db` does not exist (never create it here)."""
    path = Path(db)
    if path.exists():
        return
    hint = (f"no project database at '{db}'. To start: 'duelist demo' opens a ready-made "
            f"demo project; 'duelist import FILE --db {db}' creates this one from your "
            "comparisons")
    maybe = nearby_databases(path)
    if maybe:
        hint += "; or did you mean " + " or ".join(f"--db {m}" for m in maybe) + "?"
    raise InputError(hint)
