"""App-level hooks for training runs: pick a left run up on start, ask on quit.

Why a module of their own: `DuelistApp` calls exactly these two functions (lazily,
so nothing here is on the annotate screen's launch path), and everything else
about runs stays in `run_monitor`.
"""

from __future__ import annotations

from typing import Any

from duelist.engine.safe_text import one_line
from duelist.tui.run_monitor import monitor_for
from textual.app import App


def pick_up_left_run(app: App[Any]) -> None:
    """App start: follow a run that a previous sitting left running; close dead ones.

    Deferred until after the first refresh: the annotate screen comes first.
    """
    app.call_after_refresh(_pick_up, app)


def _pick_up(app: App[Any]) -> None:
    try:
        run = monitor_for(app).recover()
    except Exception as exc:  # a broken run row must not stop the app from opening
        app.notify(f"Could not check earlier runs: {one_line(str(exc), 200)}",
                   severity="warning", markup=False)
        return
    if run is not None:
        app.notify(f"Run {run.id} is still training: press T to watch it.", markup=False)


def ask_before_quit(app: App[Any]) -> bool:
    """On quit with a run going, ask: stop it, or leave it running (picked up next start).

    Returns True when the question is showing, so the caller must not exit yet.
    """
    from duelist.tui.screens.choice import ChoiceScreen

    monitor = monitor_for(app)
    if isinstance(app.screen, ChoiceScreen):
        return True
    if not monitor.active:
        return False
    run_id = monitor.watch.run_id if monitor.watch else None

    def answered(value: str | None) -> None:
        if value == "stop":
            monitor.stop_now()
            app.exit()
        elif value == "leave":
            monitor.leave_running()
            # Printed on the terminal once the screen is gone, so the user still knows a
            # process is using the CPU after Duelist "quit" (issue 14, item 14).
            app.exit(message=f"{label} keeps training in the background; open Duelist on "
                             "this project again to watch or stop it.")

    label = f"Run {run_id}" if run_id is not None else "A training run"
    app.push_screen(ChoiceScreen(
        f"{label} is still training. Stop it, or leave it running? A run left running "
        "keeps training and is picked up the next time Duelist opens on this project.",
        [("s", "Stop it and quit", "stop"), ("l", "Leave it running and quit", "leave")]),
        answered)
    return True
