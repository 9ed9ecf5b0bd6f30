"""THE place where screens register app-level keys (and command-palette entries).

Why a registry: several screens (train, run history, rank, stats, ...) are built
by different people on top of the annotate app. Each one adds ONE line here and
the app picks it up everywhere: its key binding, the command palette (ctrl+p),
and the `?` help screen, which is generated from these entries, so it can never
drift from what the keys really do.

`target` is an import path "module:attribute" resolved only when the key is
pressed, so registering a screen never slows the app's launch (the annotate
screen must be ready in well under a second, and some screens pull in plotting
or engine code). The attribute is either a `Screen` subclass, constructed with no
arguments (reach the store through `self.app.store` and the options through
`self.app.options`), or a callable `f(app) -> Screen`.

To add a screen:

    AppScreen("S", "stats", "Annotation statistics", "duelist.tui.screens.quality:StatsScreen"),

Keys already taken by the annotate screen (lower case, digits, arrows, `?`,
`q`) must not be reused here; `test_registry_keys_unique` checks it.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.app import App
    from textual.screen import Screen


@dataclass(frozen=True, slots=True)
class AppScreen:
    """One app-level screen: the key that opens it, a short id, help text, and
    where to find it ("package.module:ClassOrFactory")."""

    key: str
    name: str
    description: str
    target: str

    def build(self, app: App[Any]) -> Screen[Any]:
        """Import the target lazily and make the screen."""
        from textual.screen import Screen

        module_name, _, attr = self.target.partition(":")
        obj = getattr(import_module(module_name), attr)
        if isinstance(obj, type) and issubclass(obj, Screen):
            return obj()
        return obj(app)


# ---- register app-level screens below (one line each) --------------------------
SCREENS: list[AppScreen] = [
    AppScreen("T", "train", "Train a reward model", "duelist.tui.screens.train_form:open_training"),
    AppScreen("H", "runs", "Training runs and models", "duelist.tui.screens.history:HistoryScreen"),
    AppScreen("S", "stats", "Annotation quality", "duelist.tui.screens.quality:StatsScreen"),
    AppScreen("R", "rank", "Rank responses with the reward model", "duelist.tui.screens.rank:RankScreen"),
    AppScreen("V", "review", "Review and adjudicate disagreements", "duelist.tui.screens.review:ReviewScreen"),
]
# ---------------------------------------------------------------------------------


def find(name: str) -> AppScreen | None:
    """The registered screen called `name`, if any."""
    return next((s for s in SCREENS if s.name == name), None)
