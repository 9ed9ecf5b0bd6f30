"""`/`: the search dialog of the annotate and review screens (syntax: engine/application/search_query.py)."""

from __future__ import annotations

from duelist.tui.screens.line_dialog import LineDialog

HINT = ("words to find · annotator:NAME · status:unjudged|judged|skipped|disputed · "
        "gold:yes|no · uncertain:0.5\nenter searches · empty clears · esc cancels")


class SearchScreen(LineDialog):
    """Returns the search line (empty: clear the search), or None when cancelled."""

    DIALOG_TITLE = "Search"
    PLACEHOLDER = "e.g. sky status:disputed"
    HINT = HINT
    MAX_LENGTH = 500
    INPUT_ID = "search-input"
