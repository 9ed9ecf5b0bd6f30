"""Untrusted text: markup and terminal escapes show literally and never act."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from annotate_helpers import live, make_app, wait_for
from duelist.engine.safe_text import MAX_LINE_CHARS, clean, display, one_line
from duelist.store import NewComparison, Store
from duelist.tui.screens.annotate import AnnotateScreen
from duelist.tui.screens.guidelines import GuidelinesScreen
from duelist.tui.text.sanitize import literal
from duelist.tui.widgets.response_panel import ResponsePanel
from duelist.tui.widgets.safe_markdown import SafeMarkdown, markdown_renderable
from rich.console import Console
from textual.widgets import Markdown

CLICK = "[@click=app.quit]"
LINK = "[link=file:///etc/passwd]x[/link]"
OSC52 = "\x1b]52;c;ZXZpbA==\x07"
NASTY = f"{CLICK} {LINK} [bold]b[/bold] {OSC52}\x1b[2J\x1b[31mred\x1b[0m \u202eevil"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def screen_text(app) -> str:
    """What the terminal shows, as plain text (from the app's own SVG export)."""
    svg = app.export_screenshot()
    body = svg[svg.index("<g class=\"terminal-matrix\"") if "terminal-matrix" in svg else 0:]
    return html.unescape(re.sub(r"<[^>]+>", "", body)).replace("\xa0", " ")


# ---- the sanitizer -------------------------------------------------------------
def test_clean_strips_escapes_controls_and_bidi() -> None:
    assert clean(OSC52) == ""
    assert clean("a\x1b[2Jb\x1b[1;31mc\x1b[0m") == "abc"
    assert clean("x\x1bPqpayload\x1b\\y") == "xy"  # DCS
    assert clean("x\x9b31my\x9d0;title\x9cz") == "xyz"  # 8-bit CSI and OSC
    assert clean("x\x1b]8;;http://e.com\x1b\\link\x1b]8;;\x1b\\y") == "xlinky"  # OSC 8
    assert clean("tab\tnew\nline\r\nover\rwrite") == "tab\tnew\nline\nover\nwrite"
    assert clean("\u202eabc\u2066d\u2069\u202a") == "abcd"
    assert clean("bell\x07 nul\x00 del\x7f") == "bell nul del"
    assert clean(CLICK + LINK) == CLICK + LINK  # markup is text, kept as typed


def test_literal_never_parses_markup_and_caps_long_lines() -> None:
    t = literal(f"{CLICK} {LINK} [bold]b[/bold]")
    assert t.plain == f"{CLICK} {LINK} [bold]b[/bold]"
    assert not t.spans
    huge = "y" * 100_000
    shown = display(huge)
    assert len(shown) < MAX_LINE_CHARS + 50
    assert shown.endswith(f"… [{100_000 - MAX_LINE_CHARS:,} chars hidden]")
    assert one_line("a\n\x1b[2Jb  c") == "a b c"


def test_markdown_renderable_has_no_links_or_actions() -> None:
    md = markdown_renderable(f"[docs](https://example.com) and [f](file:///etc/passwd) {CLICK}")
    console = Console(width=80, record=True)
    segments = list(console.render(md))
    text = "".join(s.text for s in segments)
    assert "docs (https://example.com)" in text and CLICK in text
    for seg in segments:
        if seg.style is not None:
            assert not seg.style.link
            assert "@click" not in (seg.style.meta or {})


# ---- the running app -----------------------------------------------------------
@pytest.mark.anyio
async def test_markup_and_escapes_render_literally_and_the_app_keeps_running(db_path: Path) -> None:
    with Store.open(db_path) as store:
        store.insert_comparisons([
            NewComparison(f"Prompt {NASTY}", f"Left {NASTY}", f"Right {NASTY}", source=f"src {CLICK}"),
            NewComparison("second", "a2", "b2"),
        ])
    app = make_app(db_path, randomize=False)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        shown = screen_text(app)
        for needle in (CLICK, LINK, "[bold]b[/bold]", "Left", "Right", "Prompt"):
            assert needle in shown, needle
        for gone in ("ZXZpbA==", "\x1b", "\u202e", "52;c;"):
            assert gone not in shown
        assert app.is_running
        # Raw and diff views are literal too.
        for view in ("m", "d"):
            await pilot.press(view)
            assert CLICK in screen_text(app) and LINK in screen_text(app)
        await pilot.press("d")
        # A rationale with markup is stored and shown as typed.
        await pilot.press("r")
        await wait_for(pilot, lambda: not isinstance(app.screen, AnnotateScreen), "note")
        await pilot.press(*"[@click=app.quit]", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, AnnotateScreen), "back")
        assert "note: [@click=app.quit]" in screen_text(app)
        # Clicking the panel right on the fake action picks the response, nothing else.
        await pilot.click("#left", offset=(8, 1))
        await pilot.pause()
        assert app.is_running
        assert isinstance(app.screen, AnnotateScreen)
    (row,) = live(db_path)
    assert row.choice == "a" and row.rationale == CLICK


@pytest.mark.anyio
async def test_guideline_links_are_never_followed(db_path: Path, tmp_path: Path, monkeypatch) -> None:
    with Store.open(db_path) as store:
        store.insert_comparisons([NewComparison("p", "a", "b")])
    guide = tmp_path / "g.md"
    guide.write_text(f"# Rules\n\nSee [secrets](file:///etc/passwd) and {CLICK}.\n")
    app = make_app(db_path, guidelines=str(guide))
    opened: list[str] = []
    monkeypatch.setattr(app, "open_url", lambda url, **kw: opened.append(url))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("g")
        await wait_for(pilot, lambda: isinstance(app.screen, GuidelinesScreen), "guidelines")
        await pilot.pause()
        assert "Rules" in screen_text(app) and CLICK in screen_text(app)
        md = app.screen.query_one(SafeMarkdown)
        await md.action_link("file:///etc/passwd")
        md.post_message(Markdown.LinkClicked(md, "file:///etc/passwd"))
        await pilot.pause()
        assert opened == []
        assert app.is_running
        await pilot.press("escape")
        assert isinstance(app.screen, AnnotateScreen)


@pytest.mark.anyio
async def test_a_100k_character_line_renders_with_a_marker(db_path: Path) -> None:
    with Store.open(db_path) as store:
        store.insert_comparisons([NewComparison("long", "z" * 100_000, "short")])
    app = make_app(db_path, randomize=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        left = app.screen.query_one("#left", ResponsePanel)
        assert left.text.endswith("chars hidden]")
        await pilot.press("m", "d", "1")
        await pilot.pause()
    with Store.open(db_path) as store:
        assert len(store.get_comparison(1).response_a) == 100_000  # the store keeps it all
