"""The annotate screen: a prompt, two responses, and keys to judge them.

Flow per key: the session commits the judgement (durably), then the screen shows
the next item and restarts the decision clock. The clock starts when the item has
been painted (`call_after_refresh`), so `duration_ms` measures what the annotator
saw, not how long we took to draw it.

Env vars (for benchmarks and crash tests, see `duelist.engine.application.annotation_session` too):
`DUELIST_FIRST_PAINT_FILE`: write `time.time()` there once the first comparison
has been painted (launch-time benchmark).
"""

from __future__ import annotations

import os
import time
from typing import ClassVar

from duelist.engine.application.annotation_session import Pick, Progress, Session, shown_choice
from duelist.engine.safe_text import display, one_line
from duelist.store import Annotation, Comparison, Store
from duelist.tui.screens.store_wait import StoreWriter
from duelist.tui.screens.strength import LEVELS, StrengthScreen
from duelist.tui.widgets.key_hints import KeyHints
from duelist.tui.widgets.progress_panel import ProgressPanel
from duelist.tui.widgets.prompt_view import PromptView
from duelist.tui.widgets.response_panel import ResponsePanel, View
from duelist.tui.widgets.top_bar import TopBar
from duelist.tui.widgets.word_diff import word_diff
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Static

FIRST_PAINT_ENV = "DUELIST_FIRST_PAINT_FILE"


class AnnotateScreen(Screen[None]):
    AUTO_FOCUS = None  # keys go to the screen; nothing looks "selected" at start
    CSS_PATH = "../styles/annotate.tcss"
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (100, "-wide")]

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1,a,left", "pick('left')", "A better", key_display="1/a/←",
                tooltip="A (left, or top when stacked) is better"),
        Binding("2,b,right", "pick('right')", "B better", key_display="2/b/→",
                tooltip="B (right, or bottom when stacked) is better"),
        # Graded picks (issue 17): Shift+1 / Shift+2, then 1-3 for how much better.
        Binding("exclamation_mark", "pick_graded('left')", "A better, graded", show=False,
                key_display="!", tooltip="A (left, or top when stacked) is better; then 1 slightly, 2 clearly, 3 much"),
        Binding("at", "pick_graded('right')", "B better, graded", show=False, key_display="@",
                tooltip="B (right, or bottom when stacked) is better; then 1 slightly, 2 clearly, 3 much"),
        Binding("slash", "search", "Search", show=False, key_display="/",
                tooltip="Search: text, annotator:, status:, gold:, uncertain: (as in less)"),
        Binding("t", "pick('tie')", "Tie", tooltip="Tie: equally good"),
        Binding("x", "pick('both_bad')", "Both bad", tooltip="Both responses are bad"),
        Binding("s", "pick('skip')", "Skip", tooltip="Skip: cannot judge this one"),
        Binding("u", "undo", "Undo", tooltip="Undo the last judgement (again: the one before)"),
        Binding("n", "next", "Next", show=False, tooltip="Next item, without judging"),
        Binding("p", "prev", "Previous", show=False,
                tooltip="Previous item of this session (judge again to change it)"),
        Binding("r", "note", "Note", tooltip="Add a rationale note to this judgement"),
        Binding("down,j", "scroll(3)", "Scroll down", show=False,
                tooltip="Scroll both responses down"),
        Binding("up,k", "scroll(-3)", "Scroll up", show=False, tooltip="Scroll both responses up"),
        Binding("pagedown,space", "scroll(20)", "Page down", show=False,
                tooltip="Page both responses down"),
        Binding("pageup", "scroll(-20)", "Page up", show=False, tooltip="Page both responses up"),
        # Prompt keys (issue 14, item 5): multi-turn prompts must be readable without a mouse.
        Binding("e", "toggle_history", "Earlier turns", show=False,
                tooltip="Expand / fold the earlier conversation turns of the prompt"),
        Binding("left_square_bracket", "scroll_prompt(-3)", "Prompt up", show=False,
                key_display="[", tooltip="Scroll the prompt up"),
        Binding("right_square_bracket", "scroll_prompt(3)", "Prompt down", show=False,
                key_display="]", tooltip="Scroll the prompt down"),
        Binding("m", "toggle_raw", "Raw", show=False, tooltip="Raw text / Markdown view"),
        Binding("d", "toggle_diff", "Diff", show=False,
                tooltip="Word-level diff of A and B on / off"),
    ]
    # Shown by the help screen next to the bindings.
    HELP_EXTRA: ClassVar[list[tuple[str, str]]] = [("click", "Pick the clicked response (A or B)")]

    def __init__(self, session: Session, *, stamp_timing: bool = True) -> None:
        super().__init__()
        self.session = session
        self.stamp_timing = stamp_timing
        self._shown_at = time.monotonic()
        self._first_paint_done = False
        self.painted_at = 0.0
        self.view: View = "markdown"
        # Judgements and undos are written off the UI thread (a lock wait shows, the
        # screen stays live); while one is pending no key acts on the session.
        self.writer = StoreWriter(self, session.store, self._waiting)

    def compose(self) -> ComposeResult:
        yield TopBar(id="topbar")
        yield ProgressPanel(id="progress")
        yield PromptView(id="prompt")
        yield Static(id="done")
        with Horizontal(id="pair"):
            yield ResponsePanel("left", " A ", "1 · a · ←", id="left")
            yield ResponsePanel("right", " B ", "2 · b · →", id="right")
        yield Static("", id="status-line")
        yield KeyHints(id="keys")

    def on_mount(self) -> None:
        item = self.session.start()
        self._show(item)
        if self.session.notice:
            self.notify(self.session.notice, title="Queue order", markup=False, timeout=8)

    # ---- rendering -----------------------------------------------------------
    def _show(self, item: Comparison | None) -> None:
        """Render `item` (or the end-of-queue state) and restart the clock."""
        self._shown_at = time.monotonic()  # refined to the paint time in `_painted`
        self.query_one("#progress", ProgressPanel).show(self.session.progress)
        left, right = self.query_one("#left", ResponsePanel), self.query_one("#right", ResponsePanel)
        top = self.query_one(TopBar)
        finished = item is None
        self.set_class(finished, "-finished")
        if finished:
            top.info = f"{one_line(self.session.annotator, 30)} · queue finished"
            done = Text("All done.\n\n", style="bold", justify="center")
            passed = len(self.session.passed)
            done.append("Nothing left to show: you have judged every comparison"
                        + (f" except {passed} you passed over with n (they come back "
                           "next session)" if passed else "") + ".\n"
                        "u undoes the last judgement, p goes back, q quits.", style="not bold")
            self.query_one("#done", Static).update(done)
            left.set_text("")
            right.set_text("")
            self._status()
            # start-up hooks too (a run left running is picked up, or marked interrupted,
            # also when the queue is empty or already finished)
            self.call_after_refresh(self._painted)
            return
        swapped = self.session.swapped(item.id)
        a_text, b_text = ((item.response_b, item.response_a) if swapped
                          else (item.response_a, item.response_b))
        source = f" · {one_line(item.source, 40)}" if item.source else ""
        top.info = f"{one_line(self.session.annotator, 30)} · #{item.id}{source}"
        self.query_one("#prompt", PromptView).show(item.prompt, item.prompt_messages)
        dl, dr = word_diff(display(a_text), display(b_text)) if self.view == "diff" else (None, None)
        left.set_text(a_text, dl)
        right.set_text(b_text, dr)
        self._status()
        self.call_after_refresh(self._painted)

    def on_screen_resume(self) -> None:
        """Back from another screen (R's F8/F9 add comparisons, an import may have run):
        count again, or the bars keep their old total (issue 14, item 13)."""
        if self._first_paint_done:
            self._count_progress()

    def _painted(self) -> None:
        self._shown_at = time.monotonic()
        self.painted_at = time.perf_counter()  # read by bench/tui_bench.py
        if not self._first_paint_done:
            self._first_paint_done = True
            # Count totals only now: on a big store the count competes for the CPU,
            # and the first comparison on screen matters more than the numbers.
            self._count_progress()
            after = getattr(self.app, "after_first_paint", None)
            if after is not None:
                after()
            path = os.environ.get(FIRST_PAINT_ENV)
            if path:
                with open(path, "w", encoding="utf-8") as fh:
                    fh.write(f"{time.time():.6f}\n")

    def _status(self) -> None:
        s, item = self.session, self.session.current
        parts = []
        if item is not None and item.id in s.judged and not s.is_repeat:
            judged = s.judged[item.id]
            graded = f", {LEVELS[judged.strength]} better" if judged.strength in LEVELS else ""
            parts.append(f"judged: {shown_choice(judged.choice, s.swapped(item.id))}{graded}")
        note = s.note_for_current()
        if note:
            parts.append(f"note: {one_line(note, 60)}")
        parts.append(f"view: {self.view}")
        if s.randomize:
            parts.append("sides randomized")
        self.query_one("#status-line", Static).update(Text("  ·  ".join(parts), end=""),
                                                      layout=False)

    @work(thread=True, exclusive=True, group="progress", exit_on_error=False)
    def _count_progress(self) -> None:
        """Count totals with a separate read connection, off the UI thread."""
        s = self.session
        reader = None
        if s.store.path != ":memory:":
            try:
                reader = Store.open(s.store.path, readonly=True)
            except Exception:
                reader = None
        changes = s.changes
        try:
            counted = s.count_progress(reader)
        finally:
            if reader is not None:
                reader.close()
        self.app.call_from_thread(self._apply_progress, counted, changes)

    def _apply_progress(self, counted: Progress, changes: int) -> None:
        """On the UI thread: adopt the counts, or count again if the annotator
        judged (or undid) while they were being taken."""
        if self.session.apply_progress(counted, changes):
            self.query_one("#progress", ProgressPanel).show(self.session.progress)
        else:
            self._count_progress()

    def _saved(self, text: str) -> None:
        """Stays until the next write: the last thing saved is always visible."""
        self.query_one(TopBar).saved = text

    def _waiting(self, text: str) -> None:
        """A write waiting for the database, in the header ("" once it landed)."""
        self.query_one(TopBar).waiting = text

    def _saving(self) -> bool:
        """True (and a notice) while a write is pending: the key is dropped, not
        queued, because the item it would act on is not on screen yet."""
        if not self.writer.busy:
            return False
        self._pick_key_time = None
        self.notify(f"Still saving {self.writer.what} (waiting for the database): "
                    "key ignored.", markup=False, severity="warning")
        return True

    def _write_failed(self, exc: Exception) -> None:
        """A write that failed for good (a full or read-only disk): say so, keep the
        app running, and show the session's item as it now is."""
        self.notify(f"Not saved: {one_line(str(exc), 200)}", title="Database error",
                    markup=False, severity="error", timeout=15)
        self._show(self.session.current)

    # ---- actions -------------------------------------------------------------
    def action_pick(self, pick: Pick, strength: int | None = None) -> None:
        if self.session.current is None:
            self.notify("Nothing to judge here.", markup=False)
            return
        if self._saving() or self._pressed_before_shown():
            return
        elapsed = (time.monotonic() - self._shown_at) * 1000
        ms = int(elapsed) if self.stamp_timing else 1
        saved_before = self.session.saved

        def done(ann: Annotation) -> None:
            # "#" is the ITEM (comparison) id, as in the header, not the judgement's row id
            self._saved(f"✓ saved #{ann.comparison_id}")  # only after the COMMIT returned
            self._show(self.session.current)

        self.writer.run(f"#{self.session.current.id}",
                        lambda: self.session.judge(pick, ms, strength),
                        lambda: self.session.saved != saved_before, done, self._write_failed)

    def action_pick_graded(self, pick: Pick) -> None:
        """`!`/`@`: ask how much better (screens/strength.py), then judge as `pick`."""
        if self._saving():
            return
        if self.session.current is None:
            self.notify("Nothing to judge here.", markup=False)
            return
        shown_at = self._shown_at  # the decision time ends at the graded key, not the level

        def done(level: int | None) -> None:
            if level is not None and self.session.current is not None:
                self._shown_at = shown_at
                self.action_pick(pick, level)

        self.app.push_screen(StrengthScreen("A (left)" if pick == "left" else "B (right)"), done)

    @on(ResponsePanel.Picked)
    def _clicked(self, event: ResponsePanel.Picked) -> None:
        self.action_pick(event.side)  # type: ignore[arg-type]

    def action_undo(self) -> None:
        if self._saving():
            return
        if not self.session.undo_stack:
            self.notify("Nothing to undo in this session.", markup=False)
            return

        def done(ann: Annotation | None) -> None:
            if ann is not None:
                self._saved(f"↶ undone #{ann.comparison_id}")
            self._show(self.session.current)

        # undo is idempotent until it returns (session.undo), so a lock error just waits again
        self.writer.run("the undo", self.session.undo, lambda: False, done, self._write_failed)

    def action_next(self) -> None:
        if self._saving():
            return
        self._show(self.session.next())

    def action_prev(self) -> None:
        if self._saving():
            return
        before = self.session.cursor
        item = self.session.prev()
        if self.session.cursor == before:
            self.notify("This is the first item of the session.", markup=False)
        self._show(item)

    def action_note(self) -> None:
        from duelist.tui.screens.note import NoteScreen

        if self._saving():
            return

        def done(text: str | None) -> None:
            if text is None:
                return
            target = self.session.add_note(text)
            if target is None:
                self.notify("No judgement to attach a note to yet.", markup=False)
            elif isinstance(target, int):
                self.notify("Note kept; it is saved with your judgement of this item.",
                            markup=False)
            else:
                self._saved(f"✓ note saved #{target.comparison_id}")  # the item, as in the header
            self._status()

        self.app.push_screen(NoteScreen(self.session.note_for_current()), done)

    def action_search(self) -> None:
        """`/`: jump to the next comparison matching the search (tui/screens/search_jump.py)."""
        from duelist.tui.screens.search_jump import search

        if not self._saving():
            search(self)

    def action_scroll(self, lines: int) -> None:
        """Scroll both responses together: comparing them line by line is the job."""
        for panel in self.query(ResponsePanel):
            panel.scroll_text(lines)

    # ---- prompt (issue 14, item 5) -------------------------------------------
    def action_toggle_history(self) -> None:
        """e: expand / fold the earlier turns of a multi-turn prompt."""
        self.query_one("#prompt", PromptView).toggle_history()

    def action_scroll_prompt(self, lines: int) -> None:
        """[ / ]: scroll the prompt box (a long question, or expanded history)."""
        self.query_one("#prompt", PromptView).scroll_lines(lines)

    def action_toggle_raw(self) -> None:
        self._set_view("markdown" if self.view == "raw" else "raw")

    def action_toggle_diff(self) -> None:
        self._set_view("markdown" if self.view == "diff" else "diff")

    def _set_view(self, view: View) -> None:
        self.view = view
        left, right = self.query_one("#left", ResponsePanel), self.query_one("#right", ResponsePanel)
        dl, dr = word_diff(left.text, right.text) if view == "diff" else (None, None)
        left.set_view(view, dl)
        right.set_view(view, dr)
        self._status()

    # ---- stale keys (issue 15, item 10) ---------------------------------------
    # While a write waits for another process's lock, the UI thread is blocked and the
    # terminal keeps buffering keys. Each key event carries the time it was read, so a
    # judgement key pressed before the current item was painted was meant for an
    # earlier item: it is dropped, never applied to an item the annotator did not see.
    _PICK_KEYS: ClassVar[frozenset[str]] = frozenset(
        {"1", "a", "left", "2", "b", "right", "t", "x", "s"})
    _pick_key_time: float | None = None

    def on_key(self, event: events.Key) -> None:
        if event.key in self._PICK_KEYS:
            self._pick_key_time = event.time

    def _pressed_before_shown(self) -> bool:
        pressed, self._pick_key_time = self._pick_key_time, None
        if pressed is None or pressed >= self._shown_at:
            return False
        self.notify("A key pressed before this item appeared was ignored.", markup=False)
        return True
