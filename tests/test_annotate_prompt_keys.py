"""Item 5 of issue 14: multi-turn prompts can be read from the keyboard.

`e` expands the earlier turns (the fold's title names the key, and `?` lists it), the
expanded prompt keeps the final question in view, and `[` / `]` scroll the prompt.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from annotate_helpers import make_app
from duelist.store import NewComparison, Store
from duelist.tui.screens.help import HelpScreen
from duelist.tui.widgets.prompt_view import PromptView
from textual.widgets import Collapsible, Static

LONG_TURN = " ".join(["This is a long earlier turn about baking bread."] * 6)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def conversation() -> str:
    turns = []
    for i in range(4):
        turns += [f"Human: question {i}. {LONG_TURN}", f"Assistant: answer {i}. {LONG_TURN}"]
    turns += ["Human: FINAL QUESTION: how long do I proof it?", "Assistant:"]
    return "\n\n" + "\n\n".join(turns)


def overlaps(inner, outer) -> bool:
    return inner.y < outer.bottom and inner.bottom > outer.y


@pytest.mark.anyio
@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_e_expands_history_and_the_final_question_stays_in_view(
        db_path: Path, size: tuple[int, int]) -> None:
    with Store.open(db_path) as store:
        store.insert_comparisons([NewComparison(conversation(), "Answer A", "Answer B")])
    app = make_app(db_path, stamp_timing=False)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        prompt = app.screen.query_one("#prompt", PromptView)
        history = prompt.query_one("#history", Collapsible)
        assert history.collapsed and "e expands" in str(history.title)
        latest = prompt.query_one("#latest", Static)
        await pilot.press("e")
        await pilot.pause(0.1)
        assert not history.collapsed and "e folds" in str(history.title)
        assert prompt.max_scroll_y > 0  # more than fits: the box scrolls
        assert overlaps(latest.region, prompt.region), "final question scrolled out of view"
        top = prompt.scroll_y
        await pilot.press("left_square_bracket")
        await pilot.pause()
        assert prompt.scroll_y == max(0, top - 3)
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert prompt.scroll_y == top
        await pilot.press("e")
        await pilot.pause()
        assert history.collapsed and prompt.scroll_y == 0


@pytest.mark.anyio
async def test_help_lists_the_prompt_keys(db_path: Path) -> None:
    with Store.open(db_path) as store:
        store.insert_comparisons([NewComparison(conversation(), "Answer A", "Answer B")])
    app = make_app(db_path, stamp_timing=False)
    async with app.run_test(size=(120, 40)) as pilot:
        rows = dict(app.help_sections()[0][1])
        assert "Expand" in rows["e"] and "prompt" in rows["["] and "prompt" in rows["]"]
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
