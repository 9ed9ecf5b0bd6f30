"""The T form's margin switch and the snapshot it hands the worker: margins in
pairs.jsonl, `use_margin` in params.json, adjudicated decisions preferred."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from duelist.engine.application import run_launch as rl
from duelist.engine.ingest import read_pairs
from duelist.engine.runs.layout import PAIRS_NAME, PARAMS_NAME
from duelist.engine.training.params import RewardParams
from duelist.store import Store
from duelist.tui.app import AnnotateOptions, DuelistApp
from duelist.tui.screens.train_form import TrainFormScreen
from textual.widgets import Switch
from train_tui_helpers import make_project, wait_for


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _graded(db_path: Path) -> None:
    make_project(db_path, n_comparisons=14, n_judged=12)
    with Store.open(db_path) as s, s.transaction():
        s.db.execute("UPDATE annotations SET strength = 3 WHERE comparison_id <= 4")
    with Store.open(db_path) as s:
        s.add_adjudication(5, "lead", "b", 1)  # the lead overrules the vote on #5


def test_launch_snapshot_carries_margins_and_the_flag(db_path: Path) -> None:
    _graded(db_path)
    launched = rl.launch(db_path, rl.TrainForm(model="m", use_margin=True),
                         command=lambda *_: [sys.executable, "-c", "pass"])
    launched.process.wait()
    params = RewardParams.from_json_file(launched.run_dir / PARAMS_NAME)
    assert params.use_margin is True
    rows = [json.loads(x) for x in (launched.run_dir / PAIRS_NAME).read_text().splitlines()]
    by_id = {r["comparison_id"]: r for r in rows}
    assert [by_id[i].get("margin", 0) for i in (1, 2, 3, 4, 6)] == [1.0, 1.0, 1.0, 1.0, 0]
    assert by_id[5]["chosen"].startswith("bad") and by_id[5]["margin"] == pytest.approx(1 / 3)
    # the worker reads the file back with the same margins
    margins = sorted(p.margin for p in read_pairs(launched.run_dir / PAIRS_NAME))
    assert margins[-5:] == pytest.approx([1 / 3, 1, 1, 1, 1])


@pytest.mark.anyio
async def test_train_form_switch_sets_use_margin(db_path: Path) -> None:
    _graded(db_path)
    app = DuelistApp(db_path, AnnotateOptions(annotator="tester", stamp_timing=False))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("T")
        await wait_for(pilot, lambda: isinstance(app.screen, TrainFormScreen), what="train form")
        assert app.screen.read_form().use_margin is False
        app.screen.query_one("#f-use-margin", Switch).value = True
        assert app.screen.read_form().use_margin is True


def test_cli_training_data_from_the_store_prefers_adjudications(db_path: Path) -> None:
    from duelist.engine.training.pair_source import load_training_data

    _graded(db_path)
    data = load_training_data(None, db=str(db_path))
    by_id = {p.comparison_id: p for p in data.pairs}
    assert by_id[5].chosen.startswith("bad") and by_id[5].margin == pytest.approx(1 / 3)
    assert by_id[1].margin == pytest.approx(1.0) and by_id[6].margin == 0.0
    assert data.counts["store_adjudicated"] == 1
