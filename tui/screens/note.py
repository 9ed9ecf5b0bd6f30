"""`r`: a one-line rationale for a judgement (why A beat B)."""

from __future__ import annotations

from duelist.tui.screens.line_dialog import LineDialog


class NoteScreen(LineDialog):
    """Returns the note text (empty clears it), or None when cancelled."""

    DIALOG_TITLE = "Rationale"
    PLACEHOLDER = "Why is one response better?"
    HINT = "enter saves · esc cancels"
    MAX_LENGTH = 2000
    INPUT_ID = "note-input"
