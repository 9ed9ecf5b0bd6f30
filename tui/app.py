"""`DuelistApp`: a thin shell that opens the store and shows the annotate screen.

Why thin: every feature lives in a screen of its own. The app only owns what all
screens share: the open `Store` (`app.store`), the annotation options
(`app.options`), app-wide keys (`?` help, `g` guidelines, `q` quit) and the
registry of extra screens in `duelist.tui.screens.app_keys` (add a screen there,
not here; its key, command-palette entry and help line then appear on their own).
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from duelist.engine.application.annotation_session import Session
from duelist.store import Store
from duelist.tui.screens import app_keys as registry
from duelist.tui.screens.annotate import AnnotateScreen
from duelist.tui.screens.store_wait import StoreWriter
from duelist.tui.widgets.key_hints import screen_bindings
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

# The registered screens an annotator in a browser may open (an allow-list, so a
# lead screen added to the registry later stays out of the browser by default):
# the read-only quality screen. Training, run history, ranking and merging stay
# in the terminal.
WEB_SCREENS = frozenset({"stats"})


def default_annotator() -> str:
    return os.environ.get("USER") or os.environ.get("USERNAME") or "annotator"


@dataclass
class AnnotateOptions:
    """How this sitting serves and records judgements (see `duelist annotate --help`)."""

    annotator: str = ""
    order: str = "sequential"
    randomize: bool = True
    seed: int = 0
    guidelines: str | Path | None = None
    # Tests and snapshots: record duration_ms=1 instead of real time.
    stamp_timing: bool = True
    overlap: int | None = None  # shared queue: each item to N annotators (--overlap)
    gold_rate: float = 0.1  # share of gold items mixed in, when the store has any
    # Served to a browser (`duelist web`): only the screens in WEB_SCREENS exist, and
    # nothing about training runs is started or asked (lead actions stay in the terminal).
    web: bool = False
    repeat_rate: float = 0.0  # share of self-consistency repeats (--repeat-rate)

    def __post_init__(self) -> None:
        self.annotator = self.annotator or default_annotator()


class DuelistApp(App[int]):
    TITLE = "Duelist"
    CSS_PATH = "styles/app.tcss"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", key_display="?", tooltip="This list of keys"),
        Binding("g", "guidelines", "Guidelines", tooltip="Annotation guidelines"),
        Binding("q", "quit", "Quit", tooltip="Quit (every judgement is already saved)"),
    ]

    def __init__(self, store: Store | str | Path, options: AnnotateOptions | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._owns_store = not isinstance(store, Store)
        self.store = store if isinstance(store, Store) else Store.open(store)
        self.options = options or AnnotateOptions()
        self.session = Session(self.store, self.options.annotator, order=self.options.order,
                               seed=self.options.seed, randomize=self.options.randomize,
                               overlap=self.options.overlap, gold_rate=self.options.gold_rate,
                               repeat_rate=self.options.repeat_rate)
        self.screen_entries = [e for e in registry.SCREENS
                               if not self.options.web or e.name in WEB_SCREENS]
        for entry in self.screen_entries:
            self.bind(entry.key, f"open_screen({entry.name!r})", description=entry.description)

    def on_mount(self) -> None:
        self.push_screen(AnnotateScreen(self.session, stamp_timing=self.options.stamp_timing))
        renew = getattr(self.session.queue, "renew", None)
        if renew is not None:  # shared queue: a slow reader keeps the item on screen
            self.set_interval(300.0, lambda: self._when_no_write_pending(renew))

    def after_first_paint(self) -> None:
        """Start-up work that must not delay the first comparison (the annotate
        screen calls this once it has painted): importing the training/scoring
        hooks alone cost ~150 ms of the < 1 s launch budget."""
        if not self.options.web:  # training runs are a lead's business, in the terminal
            from duelist.tui.run_hooks import pick_up_left_run  # lazy: not on the launch path

            pick_up_left_run(self)
        # Everything built so far (Textual, Rich, the screen) lives as long as the app:
        # freezing it keeps the garbage collector's full passes, which walk every live
        # object, from landing on a keypress (they were the p95 tail of next-item time).
        gc.collect()
        gc.freeze()
        if self.options.order in ("uncertainty", "disagreement"):
            self._watch_scoring()

    def _watch_scoring(self) -> None:
        """Keep model scores fresh for the uncertainty queue: when the current model
        changes, start the scoring job in its own process (the annotator never waits)."""
        from duelist.engine.application.scoring_job import (
            ScoringWatcher,  # lazy: not on the launch path
        )

        self._scoring_store = Store.open(self.store.path)  # its own connection: used off-thread
        watcher = ScoringWatcher(self._scoring_store, overlap=self.options.overlap or 1)
        check = lambda: self.run_worker(watcher.check, thread=True, group="scoring",  # noqa: E731
                                        exclusive=True, exit_on_error=False)
        self.set_timer(2.0, check)
        self.set_interval(30.0, check)

    def _pending_writer(self) -> StoreWriter | None:
        """The annotate screen's writer while a judgement waits for the database."""
        for screen in self.screen_stack:
            if isinstance(screen, AnnotateScreen) and screen.writer.busy:
                return screen.writer
        return None

    def _when_no_write_pending(self, fn: Callable[[], object]) -> None:
        """Run `fn` (a store call on the UI thread) now, or once the pending write
        landed: the two must not share the connection at once."""
        writer = self._pending_writer()
        if writer is None:
            fn()
        else:
            writer.after_write(fn)

    async def action_quit(self) -> None:
        """Quit; with a training run going, ask first whether to stop it or leave it.
        With a judgement still waiting for the database, quit once it is saved."""
        writer = self._pending_writer()
        if writer is not None:
            self.notify(f"Saving {writer.what} first (waiting for the database); Duelist "
                        "quits once it is saved.", markup=False, severity="warning")
            writer.after_write(lambda: self.call_later(self.action_quit))
            return
        if self.options.web:
            self.exit()
            return
        from duelist.tui.run_hooks import ask_before_quit

        if not ask_before_quit(self):
            self.exit()

    def on_unmount(self) -> None:
        release = getattr(self.session.queue, "release", None)
        if release is not None:  # shared queue: hand this annotator's leases back
            release()
        scoring_store = getattr(self, "_scoring_store", None)
        if scoring_store is not None:
            scoring_store.close()
        if self._owns_store:
            self.store.close()

    # ---- registry ------------------------------------------------------------
    def action_open_screen(self, name: str) -> None:
        """Open a registered screen by name (bindings and the command palette use it)."""
        writer = self._pending_writer()
        if writer is not None:  # the screen would read the store the write is holding
            self.notify(f"Still saving {writer.what} (waiting for the database); "
                        "open it again once it is saved.", markup=False, severity="warning")
            return
        entry = next((e for e in self.screen_entries if e.name == name), None)
        if entry is None:
            self.notify(f"No screen called {name!r}.", markup=False, severity="warning")
            return
        self.push_screen(entry.build(self))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Help", "Every key binding", self.action_help)
        yield SystemCommand("Guidelines", "Annotation guidelines", self.action_guidelines)
        for entry in self.screen_entries:
            yield SystemCommand(entry.description, f"key {entry.key}",
                                lambda name=entry.name: self.action_open_screen(name))

    # ---- help and guidelines ---------------------------------------------------
    def help_sections(self, screen: Screen[Any] | None = None) -> list[tuple[str, list[tuple[str, str]]]]:
        """Every binding: the given screen's (default: the one on top), then the app's.

        Built from the live Binding objects and the registry, so adding a key
        anywhere shows up here with no extra step.
        """
        from duelist.tui.screens.help import key_label

        screen = screen or self.screen
        sections: list[tuple[str, list[tuple[str, str]]]] = []
        own = [(key_label(b), b.tooltip or b.description)
               for b in screen_bindings(type(screen)) if b.description]
        own += list(getattr(screen, "HELP_EXTRA", []))
        if own:
            title = getattr(screen, "HELP_TITLE", type(screen).__name__.removesuffix("Screen"))
            sections.append((title, own))
        app_rows = [(key_label(b), b.tooltip or b.description)
                    for b in screen_bindings(type(self)) if b.description]
        app_rows += [(e.key, e.description) for e in self.screen_entries]
        app_rows.append(("ctrl+p", "Command palette"))
        sections.append(("Everywhere", app_rows))
        return sections

    def action_help(self) -> None:
        from duelist.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.help_sections()))

    def action_guidelines(self) -> None:
        from duelist.tui.screens.guidelines import GuidelinesScreen, load_guidelines

        if not isinstance(self.screen, GuidelinesScreen):
            self.push_screen(GuidelinesScreen(load_guidelines(self.options.guidelines)))
