"""Rank screen (key R): rank candidate responses with the reward model, send doubts back.

A prompt and N responses come from typing/pasting (responses separated by a line
holding only `---`), from the project (F2: a prompt and every response stored for it),
or from a file (F3). F5 ranks them in a background thread (see `engine/application/rank_job.py` for
why a thread), with a progress bar; the UI keeps answering keys meanwhile. Results
show, best first, the reward (± ensemble spread), a bar, per-aspect rewards, and the
Bradley-Terry P(beats next). F8 sends the top and bottom responses, F9 every adjacent
pair, back into the annotation queue as new comparisons: humans check what the model
thinks, closing the loop. All prompt/response text is untrusted: sanitized, never markup.
"""

from __future__ import annotations

from functools import partial
from typing import Any, ClassVar

from duelist.engine.application import model_choice, rank_job
from duelist.engine.safe_text import clean, one_line
from duelist.store import NewComparison
from duelist.tui.screens import rank_pick
from duelist.tui.text.ranking import fmt_prob, fmt_score, preview, score_bar
from duelist.tui.text.sanitize import literal
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label, ProgressBar, Static, TextArea
from textual.worker import Worker, WorkerState

SEPARATOR = "---"
SOURCE_TAG = "rank-screen"


def split_responses(text: str) -> list[str]:
    """Responses typed or pasted into one box, separated by lines holding only `---`."""
    out, block = [], []
    for line in text.splitlines():
        if line.strip() == SEPARATOR:
            out.append("\n".join(block).strip())
            block = []
        else:
            block.append(line)
    out.append("\n".join(block).strip())
    return [r for r in out if r]


class RankScreen(Screen[None]):
    """Prompt + responses in, ranking out; F8/F9 feed the annotation queue."""

    CSS_PATH = "../styles/rank.tcss"
    HELP_TITLE = "Rank responses"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f5", "rank", "Rank"),
        Binding("ctrl+r", "rank", "Rank", show=False),
        Binding("f2", "pick", "From project"),
        Binding("f3", "load_file", "From file"),
        Binding("f4", "next_source", "Model"),
        # priority: a focused TextArea would take F6 ("select line") first
        Binding("f6", "next_file_prompt", "Next file prompt", priority=True, show=False),
        # not F6/F7: TextArea takes those (select line / select all)
        Binding("f8", "send('ends')", "Top vs bottom → queue"),
        Binding("f9", "send('adjacent')", "Adjacent pairs → queue"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.sources: list[model_choice.ModelChoice] = []
        self.source_index = 0
        self.ranked: list[Any] = []
        self.ranked_prompt = ""
        self.file_path = ""
        self.file_groups: list[tuple[str, list[str]]] = []
        self.file_index = 0

    def compose(self) -> ComposeResult:
        yield Static(id="rank-title")
        with Horizontal(id="rank-inputs"):
            with Vertical():
                yield Label("Prompt", classes="rank-label")
                yield TextArea(id="rank-prompt", soft_wrap=True)
            with Vertical():
                yield Label(f"Responses (separate with a line '{SEPARATOR}')",
                            classes="rank-label")
                yield TextArea(id="rank-responses", soft_wrap=True)
        with Horizontal(id="rank-status-row"):
            yield ProgressBar(id="rank-progress", show_eta=False)
            yield Static(id="rank-status")
        yield DataTable(id="rank-results", cursor_type="row", zebra_stripes=True)
        yield Static(id="rank-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.sources = model_choice.offered(self.app.store)
        self.query_one("#rank-progress", ProgressBar).display = False
        self._show_title()
        self._status("Type or paste a prompt and responses, F2 picks from the project, F3 "
                     "loads a file; F5 ranks.")
        self.query_one("#rank-prompt", TextArea).focus()

    # ---- helpers ---------------------------------------------------------------
    @property
    def source(self) -> model_choice.ModelChoice | None:
        return self.sources[self.source_index] if self.sources else None

    def _show_title(self) -> None:
        title = Text("Rank responses", style="bold")
        src = self.source
        title.append("  ·  ")
        title.append(one_line(src.label, 80) if src else "no trained model yet (T trains one)",
                     style="" if src else "yellow")
        self.query_one("#rank-title", Static).update(title)

    def _status(self, message: str, style: str = "dim") -> None:
        self.query_one("#rank-status", Static).update(Text(message, style=style))

    def fill(self, prompt: str, responses: list[str]) -> None:
        """Put a prompt and its responses into the input boxes.

        Cleaned first: a TextArea draws control characters as they are, so an OSC 52
        in a stored response would write to the user's clipboard (seen in tmux)."""
        self._clear_results()
        self.query_one("#rank-prompt", TextArea).text = clean(prompt)
        self.query_one("#rank-responses", TextArea).text = f"\n{SEPARATOR}\n".join(
            clean(r) for r in responses)

    def inputs(self) -> tuple[str, list[str]]:
        prompt = self.query_one("#rank-prompt", TextArea).text.strip()
        return prompt, split_responses(self.query_one("#rank-responses", TextArea).text)

    # ---- actions ---------------------------------------------------------------
    def action_back(self) -> None:
        # Esc while typing only leaves the text box: one Esc too many used to pop this
        # screen, and the next typed letters became judgements on the annotate screen
        # (issue 14, item 10). A second Esc leaves.
        if isinstance(self.focused, TextArea):
            self.set_focus(None)
            self._status("Esc again goes back to judging; click a box (or Tab) to type.")
            return
        self.app.pop_screen()

    def action_next_source(self) -> None:
        self.sources = model_choice.offered(self.app.store)
        if len(self.sources) > 1:
            self.source_index = (self.source_index + 1) % len(self.sources)
        else:
            self.source_index = 0
            self.notify("F4 switches between models, and this project has only "
                        + ("one." if self.sources else "none yet (T trains one)."),
                        severity="warning", markup=False)
        self._show_title()

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self._clear_results()

    def _clear_results(self) -> None:
        """Results of other inputs must not stay on screen as if they were these."""
        if self.ranked:
            self.ranked = []
            self.query_one("#rank-results", DataTable).clear()
            self.query_one("#rank-detail", Static).update("")
            self._status("Inputs changed; F5 ranks them.")

    def action_pick(self) -> None:
        prompts = self.app.store.prompts()
        if not prompts:
            self.notify("The project has no comparisons yet.", severity="warning")
            return

        def picked(prompt: str | None) -> None:
            if prompt is not None:
                self.fill(prompt, self.app.store.responses_for_prompt(prompt))
                self._status("Loaded from the project; F5 ranks.")

        self.app.push_screen(rank_pick.PromptPicker(prompts), picked)

    def action_load_file(self) -> None:
        def chosen(loaded: rank_pick.FileGroups | None) -> None:
            if loaded is None:
                return
            self.file_path, self.file_groups = loaded
            self._show_file_prompt(0)

        self.app.push_screen(rank_pick.FilePrompt(self.file_path), chosen)

    def action_next_file_prompt(self) -> None:
        """F6: the next prompt of the loaded file (F3 used to reach only the first)."""
        if not self.file_groups:
            self.notify("Load a file with F3 first.", severity="warning", markup=False)
            return
        self._show_file_prompt((self.file_index + 1) % len(self.file_groups))

    def _show_file_prompt(self, index: int) -> None:
        self.file_index = index
        prompt, responses = self.file_groups[index]
        self.fill(prompt, responses)
        n = len(self.file_groups)
        more = f" (prompt {index + 1} of {n}; F6 shows the next)" if n > 1 else ""
        self._status(f"Loaded {len(responses)} responses{more}; F5 ranks.")

    def action_rank(self) -> None:
        prompt, responses = self.inputs()
        if not prompt or not responses:
            self.notify("Give a prompt and at least one response.", severity="warning")
            return
        self.sources = model_choice.offered(self.app.store)
        self.source_index = min(self.source_index, max(0, len(self.sources) - 1))
        self._show_title()
        source = self.source
        if source is None:
            self.notify("No trained model yet: press T to train one.", severity="warning")
            return
        bar = self.query_one("#rank-progress", ProgressBar)
        bar.update(total=len(responses) * max(1, len(source.paths)), progress=0)
        bar.display = True
        self._status(f"Loading the model and ranking {len(responses)} responses…", "")
        self.run_worker(partial(self._work, source, prompt, responses), thread=True,
                        exclusive=True, group="rank", exit_on_error=False, name="rank")

    def _work(self, source: model_choice.ModelChoice, prompt: str, responses: list[str]) -> Any:
        def progress(done: int, total: int) -> None:
            self.app.call_from_thread(self._progress, done, total)

        return prompt, rank_job.rank(source, prompt, responses, progress)

    def _progress(self, done: int, total: int) -> None:
        self.query_one("#rank-progress", ProgressBar).update(total=total, progress=done)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.name != "rank":
            return
        if event.state == WorkerState.SUCCESS:
            self.query_one("#rank-progress", ProgressBar).display = False
            self.show_results(*event.worker.result)
        elif event.state == WorkerState.ERROR:
            self.query_one("#rank-progress", ProgressBar).display = False
            self._status(f"Ranking failed: {one_line(str(event.worker.error), 200)}", "red")

    def show_results(self, prompt: str, ranked: list[Any]) -> None:
        self.ranked, self.ranked_prompt = ranked, prompt
        table = self.query_one("#rank-results", DataTable)
        table.clear(columns=True)
        aspects = list(ranked[0].aspects or {}) if ranked else []
        table.add_columns("#", "score", "", "P(>next)", *[one_line(a, 20) for a in aspects],
                          "response")
        lo, hi = min(r.score for r in ranked), max(r.score for r in ranked)
        for r in ranked:
            table.add_row(Text(str(r.position), justify="right"),
                          Text(fmt_score(r.score, r.std), justify="right"),
                          Text(score_bar(r.score, lo, hi), style="green"),
                          Text(fmt_prob(r.p_beats_next), justify="right"),
                          *[Text(f"{r.aspects[a]:+.3f}", justify="right") for a in aspects],
                          Text(preview(r.response, 70)))
        self._status(f"Ranked {len(ranked)} responses. F8: top vs bottom to the queue, "
                     "F9: adjacent pairs.", "green")
        table.focus()
        self._show_detail(0)

    def _show_detail(self, row: int) -> None:
        if 0 <= row < len(self.ranked):
            r = self.ranked[row]
            detail = Text(f"#{r.position}  ", style="bold")
            detail.append_text(literal(r.response))
            self.query_one("#rank-detail", Static).update(detail)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail(event.cursor_row)

    def action_send(self, mode: str) -> None:
        from duelist.engine.scoring.ranking import feedback_pairs

        pairs = [(a, b) for a, b in feedback_pairs(self.ranked, mode) if a.response != b.response]
        if not pairs:
            self.notify("Rank at least two different responses first.", severity="warning")
            return
        added = 0
        for a, b in pairs:
            placed = self.app.store.add_comparison(NewComparison(
                self.ranked_prompt, a.response, b.response, source=SOURCE_TAG,
                meta={"from": "rank", "score_a": a.score, "score_b": b.score}))
            added += placed.added
        known = len(pairs) - added
        self.notify(f"Sent {len(pairs)} comparison(s) to the annotation queue: {added} new"
                    + (f", {known} already there" if known else "") + ".")

