"""`/` on the annotate screen: jump to the next comparison that matches, as in less.

The search line is kept on the screen (`search_line`), so `/` then enter finds
the next match after the one on screen, wrapping around to the first.
"""

from __future__ import annotations

from typing import Any

from duelist.engine.application.search_query import QueryError, describe, parse_query


def next_match(ids: list[int], current: int | None) -> tuple[int, int] | None:
    """(id, 1-based position) of the first id after `current`, wrapping; None if empty."""
    if not ids:
        return None
    for pos, cid in enumerate(ids, 1):
        if current is None or cid > current:
            return cid, pos
    return ids[0], 1


def search(screen: Any) -> None:
    """Ask for a search line, then show the next match (or say there is none)."""
    from duelist.tui.screens.search import SearchScreen

    def done(line: str | None) -> None:
        if line is None:
            return
        screen.search_line = line
        if not line.strip():
            screen.notify("Search cleared.", markup=False)
            return
        session = screen.session
        model = session.store.current_model()
        try:
            wanted = parse_query(line, model.id if model else None)
        except QueryError as exc:
            screen.notify(str(exc), title="Search", severity="error", markup=False)
            return
        ids = session.store.search_comparison_ids(wanted)
        current = session.current.id if session.current is not None else None
        found = next_match(ids, current)
        if found is None:
            screen.notify(f"No comparison matches {describe(wanted)}.", markup=False)
            return
        cid, pos = found
        screen._show(session.jump_to(cid))
        screen.notify(f"#{cid}: match {pos} of {len(ids)} ({describe(wanted)})", markup=False,
                      timeout=4)

    screen.app.push_screen(SearchScreen(getattr(screen, "search_line", "")), done)
