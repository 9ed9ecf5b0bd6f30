"""Review and adjudication (key V in the annotate app; `duelist review`).

A lead sees the comparisons where annotators disagree or missed a gold answer,
reads every vote with its strength, note and time, and records one decision:
1/a A wins, 2/b B wins (`!`/`@` then 1-3 to grade it), t tie, x both bad, r a
note for the decision, u undo it. `/` searches (engine/application/search_query.py). The
decision goes to the `adjudications` table; export and training prefer it
(`--policy adjudicated`). Choices are in the store's orientation: A is the
stored response_a, whatever side each annotator saw it on.

All text from the store (prompts, responses, names, notes) is shown literally.
"""

from __future__ import annotations

from typing import ClassVar

from duelist.engine.application.search_query import QueryError, describe, parse_query
from duelist.engine.safe_text import one_line
from duelist.store.review import SearchFilter
from duelist.tui.text.review_items import (
    ReviewItem,
    choice_text,
    decision_text,
    load_item,
    review_ids,
    vote_lines,
)
from duelist.tui.text.sanitize import literal
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

LIST_COLUMNS = ("#", "votes", "gold", "decision")


class ReviewScreen(Screen[None]):
    """Disputed items on the left, the selected one's votes and decision on the right."""

    CSS_PATH = "../styles/review.tcss"
    HELP_TITLE = "Review and adjudication"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1,a", "decide('a')", "A wins", key_display="1/a"),
        Binding("2,b", "decide('b')", "B wins", key_display="2/b"),
        Binding("exclamation_mark", "decide_graded('a')", "A, graded", key_display="!",
                show=False, tooltip="A wins; then 1 slightly, 2 clearly, 3 much better"),
        Binding("at", "decide_graded('b')", "B, graded", key_display="@", show=False,
                tooltip="B wins; then 1 slightly, 2 clearly, 3 much better"),
        Binding("t", "decide('tie')", "Tie"),
        Binding("x", "decide('both_bad')", "Both bad"),
        Binding("r", "note", "Note", tooltip="A note for the decision on this item"),
        Binding("u", "undo", "Undo", tooltip="Undo the decision on this item"),
        Binding("slash", "search", "Search", key_display="/"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, adjudicator: str | None = None, query: str = "") -> None:
        super().__init__()
        self._adjudicator = adjudicator
        self.query_line = query
        self.filter = SearchFilter()
        self.ids: list[int] = []
        self.item: ReviewItem | None = None
        self.pending_note: dict[int, str] = {}
        self._col_keys: list = []

    @property
    def adjudicator(self) -> str:
        if self._adjudicator:
            return self._adjudicator
        options = getattr(self.app, "options", None)
        return getattr(options, "annotator", "") or "lead"

    def compose(self) -> ComposeResult:
        yield Static(id="review-title")
        with Horizontal(id="review-body"):
            yield DataTable(id="review-list", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="review-detail"):
                yield Static(id="review-text")
        yield Footer()

    def on_mount(self) -> None:
        self._col_keys = self.query_one("#review-list", DataTable).add_columns(*LIST_COLUMNS)
        self.apply_query(self.query_line)

    # ---- loading ---------------------------------------------------------------
    def apply_query(self, line: str) -> bool:
        """Parse and apply a search line; False (and a notice) when it is not valid."""
        store = self.app.store  # type: ignore[attr-defined]
        current = store.current_model()
        try:
            self.filter = parse_query(line, current.id if current else None)
        except QueryError as exc:
            self.notify(str(exc), title="Search", severity="error", markup=False)
            return False
        self.query_line = line
        self.reload()
        return True

    def reload(self, keep: int | None = None) -> None:
        store = self.app.store  # type: ignore[attr-defined]
        self.ids = review_ids(store, self.filter)
        table = self.query_one("#review-list", DataTable)
        table.clear()
        for cid in self.ids:
            item = load_item(store, cid)
            if item is not None:
                table.add_row(*self._row(item), key=str(cid))
        title = Text(f"Review · {len(self.ids)} to look at "
                     f"(disagreements and missed gold) · search: {describe(self.filter)} · "
                     f"adjudicator: {one_line(self.adjudicator, 30)}", end="")
        self.query_one("#review-title", Static).update(title)
        if keep in self.ids:
            table.move_cursor(row=self.ids.index(keep))
        self._show(self.ids[table.cursor_row] if self.ids else None)
        table.focus()

    @staticmethod
    def _row(item: ReviewItem) -> tuple[str, str, str, str]:
        gold = item.comparison.gold
        adj = item.adjudication
        return (str(item.comparison.id), item.tally,
                ("missed " if item.gold_missed else "") + choice_text(gold, None) if gold else "",
                choice_text(adj.choice, adj.strength) if adj else "")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is not None and event.row_key.value is not None:
            self._show(int(event.row_key.value))

    def _show(self, cid: int | None) -> None:
        store = self.app.store  # type: ignore[attr-defined]
        self.item = load_item(store, cid) if cid is not None else None
        text = self.query_one("#review-text", Static)
        if self.item is None:
            text.update(Text("Nothing to review: no disagreements or missed gold answers"
                             + (" match this search." if not self.filter.is_empty() else "."),
                             end=""))
            return
        text.update(self._detail(self.item))

    def _detail(self, item: ReviewItem) -> Table:
        c = item.comparison
        grid = Table.grid(padding=(0, 1))
        grid.add_column()
        grid.add_row(Text(f"#{c.id}" + (f" · {one_line(c.source, 60)}" if c.source else "")
                          + (f" · gold: {choice_text(c.gold, None)}" if c.gold else ""),
                          style="bold"))
        for label, body in (("Prompt", c.prompt), ("A", c.response_a), ("B", c.response_b)):
            grid.add_row(Text(label, style="bold underline"))
            grid.add_row(literal(body))
        votes = Table(box=None, padding=(0, 1), title=Text("Votes", style="bold underline"),
                      title_justify="left", expand=True)
        # Names and notes fold rather than hide behind an ellipsis: a lead must read them.
        votes.add_column("annotator", overflow="fold", max_width=24)
        votes.add_column("choice", no_wrap=True)
        votes.add_column("time", no_wrap=True)
        votes.add_column("note", overflow="fold", ratio=1, min_width=12)
        for row in vote_lines(item):
            votes.add_row(*(Text(cell, end="") for cell in row))
        grid.add_row(votes)
        grid.add_row(Text(decision_text(item.adjudication), style="bold", end=""))
        pending = self.pending_note.get(c.id)
        if pending:
            grid.add_row(Text(f"note for the decision: {one_line(pending, 200)}", end=""))
        return grid

    # ---- actions ---------------------------------------------------------------
    def action_decide(self, choice: str, strength: int | None = None) -> None:
        if self.item is None:
            self.notify("Nothing to decide here.", markup=False)
            return
        cid = self.item.comparison.id
        note = self.pending_note.pop(cid, None)
        adj = self.app.store.add_adjudication(  # type: ignore[attr-defined]
            cid, self.adjudicator, choice, strength, note)
        self.notify(f"✓ #{cid}: {choice_text(adj.choice, adj.strength)}", markup=False,
                    timeout=3)
        self._refresh_row(cid, advance=True)

    def action_decide_graded(self, choice: str) -> None:
        from duelist.tui.screens.strength import StrengthScreen

        if self.item is None:
            self.notify("Nothing to decide here.", markup=False)
            return

        def done(level: int | None) -> None:
            if level is not None:
                self.action_decide(choice, level)

        self.app.push_screen(StrengthScreen("A" if choice == "a" else "B"), done)

    def action_note(self) -> None:
        from duelist.tui.screens.note import NoteScreen

        if self.item is None:
            return
        cid = self.item.comparison.id
        adj = self.item.adjudication

        def done(text: str | None) -> None:
            if text is None:
                return
            if adj is not None:  # decided already: record the decision again, with the note
                self.app.store.add_adjudication(  # type: ignore[attr-defined]
                    cid, self.adjudicator, adj.choice, adj.strength, text.strip() or None)
                self._refresh_row(cid, advance=False)
            else:
                self.pending_note[cid] = text.strip()
                self._show(cid)

        self.app.push_screen(NoteScreen(adj.note or "" if adj else self.pending_note.get(cid, "")),
                             done)

    def action_undo(self) -> None:
        if self.item is None or self.item.adjudication is None:
            self.notify("No decision on this item to undo.", markup=False)
            return
        cid = self.item.comparison.id
        self.app.store.undo_adjudication(self.item.adjudication.id)  # type: ignore[attr-defined]
        self._refresh_row(cid, advance=False)

    def _refresh_row(self, cid: int, *, advance: bool) -> None:
        table = self.query_one("#review-list", DataTable)
        item = load_item(self.app.store, cid)  # type: ignore[attr-defined]
        if item is not None:
            for key, value in zip(self._col_keys, self._row(item), strict=True):
                table.update_cell(str(cid), key, value)
        row = self.ids.index(cid)
        if advance and row + 1 < len(self.ids):
            table.move_cursor(row=row + 1)
        else:
            self._show(cid)

    def action_search(self) -> None:
        from duelist.tui.screens.search import SearchScreen

        def done(line: str | None) -> None:
            if line is not None:
                self.apply_query(line)

        self.app.push_screen(SearchScreen(self.query_line), done)

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()
        else:
            self.app.exit()
