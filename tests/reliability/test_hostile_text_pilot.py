"""Hostile text, screen by screen, with Pilot (fast, in-process).

For each screen that shows untrusted text (annotate, stats, history, rank and
its prompt picker), on a project whose texts carry markup, escapes, bidi
controls and a 100k-character line:

- the drawn cells (the compositor's strips) contain the markup as literal text
  and no ESC, C1 or bidi control characters;
- no drawn cell carries a click action: markup was never parsed, so clicking the
  text cannot run `app.quit`; the test clicks it anyway and the app keeps running;
- the screen opens within a few seconds (no freeze on the long line).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from duelist.tui.app import AnnotateOptions, DuelistApp

from reliability.test_hostile_text_tmux import CLICK, _project

CONTROL = [chr(c) for c in range(0x20) if chr(c) not in "\n"] + ["\x7f", "\x9b", "\x9d", "\u202e", "\u202c"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _cells(app: DuelistApp) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


def _click_metas(app: DuelistApp) -> list[tuple[int, int, str]]:
    """Every drawn cell whose style would run an action when clicked."""
    width, height = app.screen.size
    found = []
    for y in range(height):
        for x in range(width):
            meta = app.screen.get_style_at(x, y).meta
            action = meta.get("@click") if meta else None
            if action and "quit" in str(action):
                found.append((x, y, str(action)))
    return found


async def _check_screen(app: DuelistApp, pilot, must_show: str) -> None:  # type: ignore[no-untyped-def]
    lines = _cells(app)
    text = "\n".join(lines)
    assert must_show in text, f"{must_show!r} not drawn:\n{text}"
    for ch in CONTROL:
        assert ch not in text, f"control character {ch!r} drawn"
    assert _click_metas(app) == [], "untrusted text became clickable markup"
    for y, line in enumerate(lines):  # click on the literal click-markup text
        x = line.find("CLICKME")
        if x >= 0:
            await pilot.click(offset=(x + 1, y))
            await pilot.pause(0.05)
            assert app.is_running and app.return_code is None, "a click on text ran an action"


@pytest.mark.anyio
@pytest.mark.parametrize("key,must_show", [
    (None, CLICK),  # annotate
    ("S", "[b]ann[/b]"),  # stats: the annotator's name
    ("H", f"run {CLICK}"),  # history: run name and error
    ("R", "Rank responses"),  # rank
])
async def test_screen_shows_hostile_text_literally(tmp_path: Path, key: str | None,
                                                   must_show: str) -> None:
    db = tmp_path / "hostile.db"
    _project(db)
    app = DuelistApp(db, AnnotateOptions(annotator="tm", randomize=False, stamp_timing=False,
                                         gold_rate=0.0))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause(0.2)
        started = time.monotonic()
        if key:
            await pilot.press(key)
        end = time.monotonic() + 10
        while must_show not in "\n".join(_cells(app)) and time.monotonic() < end:
            await pilot.pause(0.1)
        assert time.monotonic() - started < 10, "screen took over 10 s to show"
        await _check_screen(app, pilot, must_show)
        if key == "R":  # the picker lists the project's prompts, then fills the boxes
            await pilot.press("f2")
            await pilot.pause(0.3)
            await _check_screen(app, pilot, CLICK)
        if key is None:  # the next item is the 100k-character line
            if "HOSTILE PROMPT" in "\n".join(_cells(app)):  # a click on a panel picks it
                await pilot.press("1")
            await pilot.pause(0.3)
            await _check_screen(app, pilot, "LONG LINE PROMPT")
        assert app.is_running
