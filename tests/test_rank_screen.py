"""The rank screen (key R): Pilot and snapshot tests with a real tiny reward model."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest
from annotate_helpers import wait_for
from duelist.engine.scoring.reward_model import RewardModel
from duelist.store import NewComparison, Store
from duelist.tui.app import AnnotateOptions, DuelistApp
from duelist.tui.screens.rank import RankScreen, split_responses
from test_scorer import spread_weights
from textual.widgets import DataTable, Input, Static, TextArea
from tiny_models import build_bert

SIZE = (120, 36)
PROMPT = "tell me about the sun"
RESPONSES = ["the sun is big and good", "bad", "what is this", "a very happy answer about it"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("rank-model")
    rm = spread_weights(RewardModel.load(build_bert(root / "raw", seed=1)))
    return rm.save(root / "rm")


def _project(db_path: Path, model: Path | None) -> None:
    with Store.open(db_path) as store:
        store.insert_comparisons([NewComparison(PROMPT, RESPONSES[0], RESPONSES[1]),
                                  NewComparison(PROMPT, RESPONSES[2], RESPONSES[3]),
                                  NewComparison("another prompt", "yes", "no")])
        if model is not None:
            store.register_model(str(model), "tiny")


def _app(db_path: Path) -> DuelistApp:
    return DuelistApp(db_path, AnnotateOptions(annotator="lead", stamp_timing=False))


def _table_rows(screen: RankScreen) -> list[list[str]]:
    table = screen.query_one("#rank-results", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def _open_rank(pilot, app) -> RankScreen:
    """Press R and wait for the rank screen."""
    await pilot.press("R")
    await wait_for(pilot, lambda: isinstance(app.screen, RankScreen), what="rank screen")
    return app.screen


async def _rank(pilot, app) -> None:
    await pilot.press("f5")
    await wait_for(pilot, lambda: bool(app.screen.ranked), timeout=120, what="ranking")
    await pilot.pause()


def test_split_responses() -> None:
    assert split_responses("a\n---\nb\nc\n ---  \n\n---\nd") == ["a", "b\nc", "d"]
    assert split_responses("") == []


@pytest.mark.anyio
async def test_pick_from_project_rank_and_send_back_to_the_queue(db_path: Path,
                                                                 model_dir: Path) -> None:
    _project(db_path, model_dir)
    want = RewardModel.load(model_dir).score_batch([PROMPT] * 4, RESPONSES)
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_rank(pilot, app)
        assert "current model: tiny" in str(screen.query_one("#rank-title", Static).render())
        await pilot.press("f2")
        await pilot.pause()
        await pilot.press("enter")  # the first prompt: PROMPT, with all 4 stored responses
        await pilot.pause()
        assert screen.inputs() == (PROMPT, RESPONSES)
        await pilot.press("f5")
        # the UI keeps handling keys while the worker loads and scores
        await pilot.press("tab")
        assert app.focused is not None
        await wait_for(pilot, lambda: bool(screen.ranked), timeout=120, what="ranking")
        await pilot.pause()
        rows = _table_rows(screen)
        order = sorted(range(4), key=lambda i: -want[i])
        assert [r[-1] for r in rows] == [RESPONSES[i] for i in order]
        assert [float(r[1]) for r in rows] == pytest.approx([want[i] for i in order], abs=1e-3)
        assert rows[-1][3] == "" and all(float(r[3]) >= 0.5 for r in rows[:-1])

        ranked = [RESPONSES[i] for i in order]
        known = {frozenset(RESPONSES[:2]), frozenset(RESPONSES[2:])}  # stored by _project
        ends = {frozenset((ranked[0], ranked[-1]))}
        adjacent = {frozenset(p) for p in itertools.pairwise(ranked)}
        before = app.store.count_comparisons()
        await pilot.press("f8")  # top vs bottom
        await pilot.pause()
        assert app.store.count_comparisons() == before + len(ends - known)
        await pilot.press("f9")  # every adjacent pair
        await pilot.pause()
        after = before + len((ends | adjacent) - known)
        assert app.store.count_comparisons() == after
        await pilot.press("f9")  # again: nothing new
        await pilot.pause()
        assert app.store.count_comparisons() == after
        stored = {frozenset((c.response_a, c.response_b)) for c in app.store.iter_comparisons()
                  if c.prompt == PROMPT}
        assert ends | adjacent <= stored
        sent = [c for c in app.store.iter_comparisons() if c.source == "rank-screen"]
        assert len(sent) == after - before and all(c.prompt == PROMPT for c in sent)
        await pilot.press("escape")  # a text box has focus: the first Esc only leaves it
        await pilot.pause()
        if isinstance(app.focused, TextArea) or app.focused is None:
            await pilot.press("escape")
            await pilot.pause()
        assert not isinstance(app.screen, RankScreen)


@pytest.mark.anyio
async def test_typed_untrusted_text_renders_literally(db_path: Path, model_dir: Path) -> None:
    _project(db_path, model_dir)
    nasty = "[bold red]boom[/] \x1b]52;c;aGk=\x07 [@click=app.quit]x[/]"
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_rank(pilot, app)
        screen.query_one("#rank-prompt", TextArea).text = "a prompt"
        screen.query_one("#rank-responses", TextArea).text = f"fine answer\n---\n{nasty}"
        await _rank(pilot, app)
        cells = [r[-1] for r in _table_rows(screen)]
        assert "[bold red]boom[/] [@click=app.quit]x[/]" in cells
        assert not any("\x1b" in c or "\x07" in c for c in cells)
        assert isinstance(app.screen, RankScreen)  # the click markup did not quit anything


@pytest.mark.anyio
async def test_load_candidates_from_a_file(db_path: Path, model_dir: Path, tmp_path: Path) -> None:
    _project(db_path, model_dir)
    f = tmp_path / "cands.jsonl"
    f.write_text(json.dumps({"prompt": "from file", "responses": ["one", "two", "three"]}))
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_rank(pilot, app)
        await pilot.press("f3")
        await pilot.pause()
        app.screen.query_one(Input).value = str(f)
        await pilot.press("enter")
        await pilot.pause()
        assert screen.inputs() == ("from file", ["one", "two", "three"])
        await pilot.press("f3")
        await pilot.pause()
        app.screen.query_one(Input).value = str(tmp_path / "missing.jsonl")
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("escape")  # the dialog stays open on a bad path; leave it
        await pilot.pause()
        assert screen.inputs() == ("from file", ["one", "two", "three"])  # unchanged


@pytest.mark.anyio
async def test_without_a_model_the_screen_says_so(db_path: Path) -> None:
    _project(db_path, None)
    app = _app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_rank(pilot, app)
        assert "no trained model yet" in str(screen.query_one("#rank-title", Static).render())
        screen.fill("p", ["a", "b"])
        await pilot.press("f5")
        await pilot.pause()
        assert not screen.ranked and not screen.workers


def test_rank_screen_module_does_not_import_torch() -> None:
    code = ("import sys; import duelist.tui.screens.rank, duelist.engine.application.rank_job; "
            "print(any(m in sys.modules for m in ('torch', 'transformers')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_rank_screen_snapshot(snap_compare, db_path: Path, model_dir: Path, monkeypatch) -> None:
    monkeypatch.setenv("DUELIST_SCORE_PRECISION", "fp32")  # same digits with or without bf16
    _project(db_path, model_dir)
    app = _app(db_path)

    async def ranked(pilot) -> None:
        (await _open_rank(pilot, app)).fill(PROMPT, RESPONSES)
        await _rank(pilot, app)

    assert snap_compare(app, terminal_size=SIZE, run_before=ranked)
