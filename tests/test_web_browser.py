"""`duelist web` in a real browser: Debian's headless Chromium, driven by Selenium.

Few on purpose (each one starts a server, a browser and app subprocesses):
one annotator judging (with hostile text and a kept screenshot), two annotators
at overlap 1, and a revoked link.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from annotate_helpers import make_project
from duelist.store import NewComparison, Store
from web_helpers import (
    WebServer,
    add_annotator,
    chromium,
    item_id,
    judge,
    need_chromium,
    press,
    screen,
    wait_screen,
)

pytestmark = pytest.mark.browser

HOSTILE_PROMPT = ("[bold red]MARKUP[/] [@click=app.quit]quit[/] <script>alert('x')</script> "
                  "https://evil.example/phish")
HOSTILE_A = ("see https://evil.example/a now \x1b[2J\x1b]52;c;ZXZpbA==\x07"
             "\x1b]8;;https://evil.example/osc\x1b\\oscl\x1b]8;;\x1b\\ &amp; <b>bold?</b>")
HOSTILE_B = "plain b answer [link=file:///etc/passwd]x[/link]"


def _live(db: Path, annotator: str) -> list[tuple[int, str]]:
    with Store.open(db) as store:
        return [(a.comparison_id, a.choice) for a in store.annotations_for(annotator=annotator)]


def _cell_of(text: str, needle: str) -> tuple[int, int]:
    for row, line in enumerate(text.splitlines()):
        col = line.find(needle)
        if col >= 0:
            return row, col
    raise AssertionError(f"{needle!r} not on screen")


def test_annotator_link_judges_into_sqlite_and_hostile_text_stays_literal(
        tmp_path: Path) -> None:
    need_chromium()
    db = tmp_path / "p.db"
    with Store.open(db) as store:
        store.insert_comparisons([NewComparison(HOSTILE_PROMPT, HOSTILE_A, HOSTILE_B)])
    make_project(db, 4)
    token = add_annotator(db, "ann-web")
    with WebServer(db) as server, chromium() as driver:
        driver.get(server.url(token))
        text = wait_screen(driver, lambda t: "MARKUP" in t, "the first comparison")
        # Markup, HTML and escapes are shown as the characters they are.
        assert "[bold red]MARKUP[/] [@click=app.quit]quit[/]" in text
        assert "<script>alert('x')</script>" in text
        assert "https://evil.example/phish" in text
        assert "[link=file:///etc/passwd]x[/link]" in text
        assert "\x1b" not in text and "ann-web" in text
        shot = tmp_path / "web-annotate.png"
        driver.save_screenshot(str(shot))
        print(f"\nscreenshot: {shot}")
        shutil.copy(shot, "/tmp/duelist-web-annotate.png")  # a copy for a human to look at
        # The URL in the data is not a link: clicking it opens nothing.
        row, col = _cell_of(text, "https://evil.example/phish")
        xterm = driver.find_element("css selector", ".xterm-screen")
        cols, rows = driver.execute_script(
            "return [window.duelistTerminal.cols, window.duelistTerminal.rows]")
        cw, ch = xterm.rect["width"] / cols, xterm.rect["height"] / rows
        from selenium.webdriver.common.action_chains import ActionChains

        ActionChains(driver).move_to_element_with_offset(
            xterm, int((col + 5) * cw - xterm.rect["width"] / 2),
            int((row + 0.5) * ch - xterm.rect["height"] / 2)).click().perform()
        assert len(driver.window_handles) == 1
        assert not _live(db, "ann-web")  # and judged nothing (clicking a panel would)
        with pytest.raises(Exception, match="no such alert"):
            driver.switch_to.alert.text  # noqa: B018
        # Keys: judge two items; each one is in SQLite, under this annotator, by the
        # time the next item is on screen (that is the acknowledgement).
        # The raw view (m) shows the response text byte for byte, HTML and all.
        press(driver, "m")
        raw = wait_screen(driver, lambda t: "view: raw" in t, "the raw view")
        assert "<b>bold?</b>" in raw and "&amp;" in raw and "oscl" in raw
        driver.save_screenshot(str(tmp_path / "web-annotate-raw.png"))
        shutil.copy(tmp_path / "web-annotate-raw.png", "/tmp/duelist-web-annotate-raw.png")
        first = item_id(text)
        second = judge(driver, "1", first)
        assert [c for c, _ in _live(db, "ann-web")] == [first]
        third = judge(driver, "t", second)
        judged = _live(db, "ann-web")
        assert judged[1] == (second, "tie") and len(judged) == 2 and third not in (first, second)
        # Lead screens are not there: T (train), R (rank) and V (review) do nothing; the
        # quality screen (S), which annotators may see, opens. (The help screen's list
        # of screens in web mode is checked with Pilot in test_web_tokens.py.)
        press(driver, "T")
        press(driver, "R")
        press(driver, "V")
        time.sleep(1.0)
        still = screen(driver)
        assert "ann-web · #" in still and "Train a reward model" not in still
        assert "Rank responses" not in still and "Review and adjudicate" not in still
        press(driver, "S")
        wait_screen(driver, lambda t: "Annotation quality" in t, "the quality screen")
    assert "ann-web signed in" in server.log()
    assert "token=" not in server.log()  # tokens never reach the log


def test_two_browsers_at_overlap_one_never_get_the_same_item(tmp_path: Path) -> None:
    need_chromium()
    db = tmp_path / "p.db"
    make_project(db, 8)
    alice, bob = add_annotator(db, "alice"), add_annotator(db, "bob")
    with WebServer(db, "--overlap", "1", "--gold-rate", "0") as server, \
            chromium() as b1, chromium() as b2:
        b1.get(server.url(alice))
        b2.get(server.url(bob))
        now = {name: item_id(wait_screen(d, lambda t: item_id(t) is not None, f"{name}'s item"))
               for name, d in (("alice", b1), ("bob", b2))}
        shown: dict[str, set[int]] = {"alice": {now["alice"]}, "bob": {now["bob"]}}
        for _ in range(3):
            assert now["alice"] != now["bob"], now  # never the same item at once...
            for name, driver in (("alice", b1), ("bob", b2)):
                now[name] = judge(driver, "2", now[name])
                shown[name].add(now[name])
        assert shown["alice"].isdisjoint(shown["bob"]), shown  # ...nor one after the other
        a_ids = {c for c, _ in _live(db, "alice")}
        b_ids = {c for c, _ in _live(db, "bob")}
        assert len(a_ids) == len(b_ids) == 3 and a_ids.isdisjoint(b_ids)
        # Closing alice's tab mid-item hands her lease back: nothing of hers stays claimed.
        with Store.open(db) as store:
            assert ("alice" in {who for _, who, _ in store.active_claims()})  # she holds one now
        b1.get("about:blank")
        with Store.open(db) as store:
            for _ in range(200):
                if all(who != "alice" for _, who, _ in store.active_claims()):
                    break
                time.sleep(0.05)
            assert all(who != "alice" for _, who, _ in store.active_claims())
        assert {c for c, _ in _live(db, "alice")} == a_ids  # nothing acknowledged was lost


def test_revoked_link_gets_nothing_in_the_browser(tmp_path: Path) -> None:
    need_chromium()
    db = tmp_path / "p.db"
    make_project(db, 2)
    token = add_annotator(db, "mallory")
    out = __import__("web_helpers").duelist("--revoke", "mallory", db=db)
    assert out.returncode == 0, out.stderr
    with WebServer(db) as server, chromium() as driver:
        driver.get(server.url(token))
        assert "403" in driver.page_source
        assert driver.execute_script("return window.duelistTerminal === undefined")
        driver.get(server.base + "/")
        assert "401" in driver.page_source
    assert not _live(db, "mallory")
