"""Sign-in links for `duelist web`: stored hashed, listed, revoked; the CLI around them;
the web mode of the app (no lead screens); and the in-memory guards. No server here."""

from __future__ import annotations

from pathlib import Path

import pytest
from annotate_helpers import make_app, make_project
from duelist.store import Store
from duelist.store.web_tokens import token_digest
from duelist.tui.cli.main import main
from duelist.tui.web.guard import FailureLimiter, TicketBook
from duelist.tui.web.page import browser_script, render_page


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_tokens_are_stored_hashed_listed_and_revoked(db_path: Path) -> None:
    make_project(db_path, 2)
    with Store.open(db_path) as store:
        token = store.issue_web_token("alice")
        assert len(token) >= 40
        assert store.web_annotator_for(token) == "alice"
        assert store.web_annotator_for(token + "x") is None
        assert store.web_annotator_for("") is None
        with pytest.raises(ValueError, match="already has a link"):
            store.issue_web_token("alice")
        with pytest.raises(ValueError, match="control characters"):
            store.issue_web_token("bad\x1b[2Jname")
        with pytest.raises(ValueError, match="empty"):
            store.issue_web_token("   ")
        (row,) = store.web_annotators()
        assert row.annotator == "alice" and row.active and row.last_used_at is None
        store.web_annotator_for(token, touch=True)
        assert store.web_annotators()[0].last_used_at is not None
        assert store.revoke_web_tokens("alice") == 1
        assert store.web_annotator_for(token) is None
        assert not store.web_annotators()[0].active
        assert store.revoke_web_tokens("alice") == 0
        new = store.issue_web_token("alice")  # after a revocation, a fresh link
        assert store.web_annotator_for(new) == "alice" and len(store.web_annotators()) == 2
    raw = db_path.read_bytes() + (db_path.with_name(db_path.name + "-wal").read_bytes()
                                  if db_path.with_name(db_path.name + "-wal").exists() else b"")
    assert token.encode() not in raw and new.encode() not in raw  # only digests on disk
    assert token_digest(new).encode() in raw


def test_cli_adds_lists_and_revokes_links(db_path: Path, capsys) -> None:
    make_project(db_path, 2)
    assert main(["web", "--db", str(db_path), "--add-annotator", "ann",
                 "--public-url", "https://annotate.example.org/"]) == 0
    name, link = capsys.readouterr().out.strip().split("\t")
    assert name == "ann" and link.startswith("https://annotate.example.org/?token=")
    with Store.open(db_path) as store:
        assert store.web_annotator_for(link.split("token=")[1]) == "ann"
    assert main(["web", "--db", str(db_path), "--list-annotators"]) == 0
    listing = capsys.readouterr().out
    assert "ann\tcreated" in listing and "active" in listing and "token" not in listing
    assert main(["web", "--db", str(db_path), "--revoke", "ann"]) == 0
    assert main(["web", "--db", str(db_path), "--list-annotators"]) == 0
    assert "revoked" in capsys.readouterr().out
    assert main(["web", "--db", str(db_path), "--revoke", "ann"]) == 2
    assert "no working link" in capsys.readouterr().err


def test_cli_refuses_non_loopback_without_the_flag_and_bad_files(db_path: Path, tmp_path: Path,
                                                                  capsys) -> None:
    make_project(db_path, 2)
    assert main(["web", "--db", str(db_path), "--host", "0.0.0.0"]) == 2
    assert "--allow-remote" in capsys.readouterr().err
    assert main(["web", "--db", str(tmp_path / "missing.db")]) == 2
    assert "not found" in capsys.readouterr().err
    names = tmp_path / "team.txt"
    names.write_text("# the team\nalice\n\nbad\x07name\n")
    assert main(["web", "--db", str(db_path), "--annotators", str(names)]) == 2
    err = capsys.readouterr().err
    assert "team.txt: line 4:" in err and err.count("\n") == 1
    with Store.open(db_path) as store:
        assert store.web_annotators() == []  # nothing half-written


def test_loopback_detection() -> None:
    from duelist.tui.cli.cmd_web import is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")
    assert not is_loopback("example.org")


@pytest.mark.anyio
async def test_web_mode_registers_no_lead_screens(db_path: Path) -> None:
    make_project(db_path, 3)
    app = make_app(db_path, web=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert [e.name for e in app.screen_entries] == ["stats"]
        keys = set(app._bindings.key_to_bindings)
        assert "S" in keys and not {"T", "H", "R"} & keys
        start = type(app.screen)
        for key in ("T", "H", "R"):
            await pilot.press(key)
            await pilot.pause()
            assert type(app.screen) is start
        app.action_open_screen("train")  # as a command, too
        await pilot.pause()
        assert type(app.screen) is start
        titles = [title for title, *_ in app.get_system_commands(app.screen)]
        assert "Annotation quality" in titles
        assert not any("Train" in t or "Rank" in t or "runs" in t for t in titles)
        await pilot.press("S")
        await pilot.pause()
        assert type(app.screen).__name__ == "StatsScreen"
    terminal = make_app(db_path)  # the terminal app keeps every screen
    assert {"train", "runs", "rank", "stats"} <= {e.name for e in terminal.screen_entries}


def test_failure_limiter_blocks_after_the_limit_and_forgets_after_the_window() -> None:
    now = [0.0]
    lim = FailureLimiter(limit=3, window_s=10, clock=lambda: now[0])
    for _ in range(3):
        assert not lim.blocked("a")
        lim.failed("a")
    assert lim.blocked("a") and not lim.blocked("b")
    now[0] = 11.0
    assert not lim.blocked("a")


def test_tickets_are_one_time_and_expire() -> None:
    now = [0.0]
    book = TicketBook(ttl_s=60, clock=lambda: now[0])
    t = book.mint("tok")
    assert book.redeem(t) == "tok" and book.redeem(t) is None
    late = book.mint("tok")
    now[0] = 61.0
    assert book.redeem(late) is None and book.redeem("never-minted") is None


def test_served_script_has_no_link_addon_and_the_page_escapes_everything() -> None:
    script = browser_script().decode()
    assert "this.terminal.loadAddon(this.weblinksAddon)" not in script
    assert "window.duelistTerminal=this.terminal" in script
    page = render_page(annotator='<img src=x onerror="alert(1)">', ws_url='ws://h/ws/"x',
                       font_size=16)
    assert "<img" not in page and '"x' not in page and "&lt;img" in page
