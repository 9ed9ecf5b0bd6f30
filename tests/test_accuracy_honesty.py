"""Item 3 of issue 14: an accuracy always comes with its n and a 95% interval, too little
data is said plainly, and a calibration is kept only when it helps on held-out pairs."""

from __future__ import annotations

import random
from pathlib import Path
from types import SimpleNamespace

import pytest
from duelist.engine.quality.binomial import wilson_interval
from duelist.engine.scoring.calibration import MIN_PAIRS, fit
from duelist.store import Store
from duelist.tui.app import AnnotateOptions, DuelistApp
from duelist.tui.cli.train_runner import _report
from duelist.tui.screens.history import HistoryScreen
from duelist.tui.text.accuracy import accuracy_text, chance_warning, run_accuracy
from textual.widgets import DataTable, Static
from train_tui_helpers import make_project, wait_for

DEMO_METRICS = {"valid_accuracy": 0.833333, "valid_pairs": 6, "valid_margin": 0.005,
                "train_loss": 0.69, "train_cpu_s": 123.4}


def test_wilson_interval_matches_the_textbook_values() -> None:
    lo, hi = wilson_interval(5, 6)
    assert lo == pytest.approx(0.4365, abs=1e-3) and hi == pytest.approx(0.9699, abs=1e-3)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    lo, hi = wilson_interval(600, 1000)
    assert lo == pytest.approx(0.5693, abs=1e-3) and hi == pytest.approx(0.6299, abs=1e-3)


def test_accuracy_text_carries_n_and_interval_and_warns_on_little_data() -> None:
    assert accuracy_text(5 / 6, 6) == "0.833 (n=6, 95% CI 0.44-0.97)"
    assert "only 6 held-out pairs" in chance_warning(5 / 6, 6)
    assert "Not better than chance" in chance_warning(0.6, 40)
    assert chance_warning(0.75, 300) is None
    assert chance_warning(1.0, 24) is None  # few pairs, but clearly better than chance
    assert run_accuracy(DEMO_METRICS) == "0.833 (n=6, 95% CI 0.44-0.97)"


def test_cli_report_shows_n_interval_and_a_plain_warning() -> None:
    lines: list[str] = []
    view = SimpleNamespace(done={"metrics": DEMO_METRICS, "model_dir": "m", "duration_s": 9},
                           start={"n_train": 13}, error=None)
    assert _report(view, 0, Path("log"), lambda t: lines.append(t.plain)) == 0
    shown = "\n".join(lines)
    assert "validation accuracy 0.833 (n=6, 95% CI 0.44-0.97)" in shown
    assert "Too little data to judge this model" in shown


def test_calibration_on_few_pairs_is_not_applied() -> None:
    # What the demo run did: 6 validation pairs with tiny margins fitted T=0.006.
    cal = fit([0.004, 0.006, -0.001, 0.003, 0.002, 0.005])
    assert not cal.applied and cal.temperature == 1.0
    assert cal.fitted_temperature is not None and cal.fitted_temperature < 0.01
    assert f"at least {MIN_PAIRS}" in cal.note


@pytest.mark.parametrize("seed", [0, 2])
def test_calibration_that_does_not_help_held_out_folds_is_not_applied(seed: int) -> None:
    rng = random.Random(seed)  # a noise-level model: tiny margins, random signs
    cal = fit([rng.gauss(0.0, 0.01) for _ in range(300)])
    assert not cal.applied and cal.temperature == 1.0
    assert cal.cv_nll_after is not None and cal.cv_nll_after >= cal.cv_nll_before


def test_calibration_that_helps_is_kept() -> None:
    rng = random.Random(3)
    margins = []
    for _ in range(400):  # true P = sigmoid(z); the model's margin is 4x overconfident
        z = rng.gauss(0.0, 1.5)
        margins.append(4 * z if rng.random() < 1 / (1 + pow(2.718281828, -z)) else -4 * z)
    cal = fit(margins)
    assert cal.applied and cal.temperature == pytest.approx(4.0, rel=0.3)
    assert cal.cv_ece_after < cal.cv_ece_before


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_history_shows_n_next_to_accuracy_and_the_warning(db_path: Path) -> None:
    make_project(db_path)
    with Store.open(db_path) as store:
        run = store.create_run("demo", {"model": None}, status="done")  # CLI, default model
        store.update_run(run.id, final_metrics=DEMO_METRICS)
    app = DuelistApp(db_path, AnnotateOptions(annotator="tester", stamp_timing=False))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("H")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen), what="history")
        table = app.screen.query_one("#runs", DataTable)
        assert str(table.get_row_at(0)[4]) == "0.833 n=6"
        assert str(table.get_row_at(0)[2]) == "all-MiniLM-L6-v2"  # not "None"
        detail = str(app.screen.query_one("#history-detail", Static).render())
        assert "0.833 (n=6, 95% CI 0.44-0.97)" in detail
        assert "Too little data" in detail


@pytest.mark.anyio
async def test_train_form_warns_plainly_about_little_data(db_path: Path) -> None:
    from duelist.tui.screens.train_form import TrainFormScreen

    make_project(db_path)  # 12 judged comparisons
    app = DuelistApp(db_path, AnnotateOptions(annotator="tester", stamp_timing=False))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("T")
        await wait_for(pilot, lambda: isinstance(app.screen, TrainFormScreen), what="form")
        form = app.screen
        await wait_for(pilot, lambda: form.pairs_ready is not None, what="pair count")
        shown = str(form.query_one("#train-pairs", Static).render())
        assert "is little to learn from" in shown and "near chance" in shown
