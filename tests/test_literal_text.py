"""Item 1 of issue 14: the default (markdown) view never hides a response's text.

Rich's Markdown dropped raw HTML ("<div>...</div>" showed an empty panel, "Hello<br>World"
read "HelloWorld"), entities, escapes, link definitions, and merged single newlines. The
unit tests render the panel's renderable; the tmux test reads the real terminal pane.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from duelist.store import NewComparison, Store
from duelist.tui.widgets.safe_markdown import markdown_renderable
from rich.console import Console
from tmux_helpers import duelist_command, tmux_session

CASES = {
    "div": ("<div>\nWrap it in a div.\n</div>\nThen style it.",
            ["<div>", "Wrap it in a div.", "</div>", "Then style it."]),
    "br": ("Use the <br> tag, for example: Hello<br>World",
           ["Use the <br> tag, for example: Hello<br>World"]),
    "item": ("<item>value</item>", ["<item>value</item>"]),
    "thinking": ("<thinking>\nplan first\n</thinking>\nThe answer is 4.",
                 ["<thinking>", "plan first", "</thinking>", "The answer is 4."]),
    "entity": ("Tom &amp; Jerry &lt;3", ["Tom &amp; Jerry &lt;3"]),
    "escape": (r"2 \* 3 and a \_name\_", [r"2 \* 3 and a \_name\_"]),
    "reference": ("See [docs].\n\n[docs]: http://example.com/d", ["[docs]: http://example.com/d"]),
    "image": ("![chart](http://example.com/c.png)", ["chart", "http://example.com/c.png"]),
    "autolink": ("Go to <http://example.com>", ["<http://example.com>"]),
}


def render(text: str, width: int = 80) -> list[str]:
    console = Console(width=width, record=True, color_system=None)
    console.print(markdown_renderable(text))
    return [line.rstrip() for line in console.export_text().splitlines()]


@pytest.mark.parametrize("name", sorted(CASES))
def test_markdown_view_shows_text_markdown_would_swallow(name: str) -> None:
    text, expected = CASES[name]
    shown = "\n".join(render(text))
    for piece in expected:
        assert piece in shown, f"{piece!r} hidden; shown:\n{shown}"


def test_single_newlines_stay_line_breaks() -> None:
    haiku = "An old silent pond\nA frog jumps into the pond\nSplash! Silence again."
    assert [line for line in render(haiku) if line] == haiku.splitlines()


def test_markdown_still_formats_code_and_lists() -> None:
    shown = render("```python\nx = '<b>'\n```\n\n- one\n- two")
    assert any("x = '<b>'" in line for line in shown)
    assert "```" not in "\n".join(shown)
    assert any("• one" in line for line in shown)


@pytest.mark.tmux
@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_tags_and_line_breaks_reach_the_real_terminal(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    with Store.open(db) as store:
        store.insert_comparisons([NewComparison(
            "How do I wrap text?", "<div>\nWrap it in a div.\n</div>\nThen style it.",
            "Use the <br> tag, for example: Hello<br>World\n<item>value</item>")])
    tmux, screen = tmux_session(tmp_path)

    cmd = duelist_command("annotate", "--db", str(db), "--annotator", "tm", "--no-randomize")
    tmux("new-session", "-d", "-s", "s", "-x", "120", "-y", "40", "sh")
    try:
        tmux("send-keys", "-t", "s", cmd, "Enter")
        end = time.monotonic() + 30
        while "How do I wrap text?" not in screen():
            assert time.monotonic() < end, f"app did not start:\n{screen()}"
            time.sleep(0.1)
        time.sleep(0.3)
        lines = [line.strip(" │┃") for line in screen().splitlines()]
        shown = "\n".join(lines)
        for piece in ("<div>", "Wrap it in a div.", "</div>", "Then style it.",
                      "Use the <br> tag, for example: Hello<br>World", "<item>value</item>"):
            assert piece in shown, f"{piece!r} not on the pane:\n{shown}"
        # The div's lines are separate lines on screen, not merged into one paragraph.
        assert not any("<div> Wrap" in line for line in lines), shown
    finally:
        tmux("send-keys", "-t", "s", "q")
        tmux("kill-server")
