"""Smaller things of issue 14 (item 14): each with a test that failed before its fix."""

from __future__ import annotations

from duelist.engine.params import RewardParams
from duelist.engine.training import warmup_steps
from duelist.tui.run_state import RunState


def test_a_cancel_is_not_logged_as_an_error() -> None:
    state = RunState()
    state.apply({"event": "error", "message": "stopped on request (cancel or Ctrl+C)",
                 "kind": "interrupted"})
    view = state.view()
    assert not any(line.startswith("error:") for line in view.logs), view.logs
    assert any(line.startswith("stopped:") for line in view.logs)
    assert not view.error
    state.apply({"event": "error", "message": "boom", "kind": "internal"})
    assert state.view().error == "boom"


def test_a_short_run_does_not_spend_its_first_step_at_lr_zero() -> None:
    p = RewardParams(batch_size=8, epochs=1, warmup_ratio=0.1)
    assert warmup_steps(p, 16) == 0  # 2 steps: no warmup (was ceil(0.2) = 1 step at lr 0)
    assert warmup_steps(RewardParams(batch_size=8, epochs=3), 796) == 30  # 3 x 100 steps
    assert warmup_steps(RewardParams(max_steps=50), 10_000) == 5
    assert warmup_steps(p, None) == 0.1  # unknown size: the ratio, as before


def test_footer_keeps_help_and_quit_at_80_columns(tmp_path) -> None:
    import asyncio

    from annotate_helpers import make_app, make_project

    db = tmp_path / "p.db"
    make_project(db, 2)

    async def footer(size: tuple[int, int]) -> str:
        app = make_app(db, stamp_timing=False)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            return app.screen.query_one("#keys").content.plain

    narrow = asyncio.run(footer((80, 24)))
    assert narrow.rstrip().endswith("? Help  q Quit") and "…" in narrow
    assert len(narrow) <= 80
    assert "r Note" in asyncio.run(footer((120, 40)))
