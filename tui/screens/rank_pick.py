"""The rank screen's pickers: a prompt from the store, or a candidates file path.

Both are small modals returning a value (or None when cancelled) so the rank screen
stays about ranking. Prompts are untrusted: shown through the sanitizer, never markup.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from duelist.engine.safe_text import one_line
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option


class PromptPicker(ModalScreen[str | None]):
    """Pick one of the store's prompts (with how many comparisons it has)."""

    CSS_PATH = "../styles/rank.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", show=False)]

    def __init__(self, prompts: list[tuple[str, int]]) -> None:
        super().__init__()
        self.prompts = prompts

    def compose(self) -> ComposeResult:
        with Vertical(id="rank-dialog"):
            yield Label(Text("Pick a prompt from the project", style="bold"))
            options = [Option(Text(f"{one_line(p, 90)}  ({n})"), id=str(i))
                       for i, (p, n) in enumerate(self.prompts)]
            yield OptionList(*options, id="rank-pick-list")
            yield Label(Text("enter picks · esc cancels", style="dim"))

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.prompts[int(event.option.id or 0)][0])

    def action_cancel(self) -> None:
        self.dismiss(None)


FileGroups = tuple[str, list[tuple[str, list[str]]]]  # (path, [(prompt, responses)])


class FilePrompt(ModalScreen[FileGroups | None]):
    """Ask for the path of a candidates file (JSON, JSONL, CSV, Parquet).

    The file is read HERE: a bad path or a bad row is shown in the dialog and what was
    typed stays, instead of closing the dialog and losing it (issue 14, item 10)."""

    CSS_PATH = "../styles/rank.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", show=False)]

    def __init__(self, initial: str = "") -> None:
        super().__init__()
        self.initial = initial

    def compose(self) -> ComposeResult:
        with Vertical(id="rank-dialog"):
            yield Label(Text("Load candidates from a file", style="bold"))
            yield Input(self.initial, placeholder="path/to/candidates.jsonl",
                        id="rank-file-input")
            yield Label(id="rank-file-error")
            yield Label(Text("rows {prompt, responses: [...]} or {prompt, response} · "
                             "enter loads · esc cancels", style="dim"))

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        path = event.value.strip()
        if not path:
            self.dismiss(None)
            return
        from duelist.engine.errors import DuelistError
        from duelist.engine.scoring.ranking import candidates_from_file

        try:
            groups = candidates_from_file(Path(path).expanduser())
        except DuelistError as exc:
            self.query_one("#rank-file-error", Label).update(
                Text(one_line(str(exc), 300), style="bold red"))
            return
        self.dismiss((path, [(p, list(r)) for p, r in groups]))

    def action_cancel(self) -> None:
        self.dismiss(None)
