"""`duelist web` over real HTTP and websockets (no browser): sign-in refusals, the
rate limit, revocation of a live session, and surviving bad requests.

The server is the real command in a subprocess; the client is aiohttp's.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import time
from pathlib import Path

import aiohttp
import pytest
from annotate_helpers import make_project
from duelist.store import Store
from web_helpers import WebServer, add_annotator, duelist


@pytest.fixture
def project(tmp_path: Path) -> Path:
    db = tmp_path / "p.db"
    make_project(db, 4)
    return db


async def _ws_status(url: str, headers: dict[str, str] | None = None) -> int:
    """The HTTP status a websocket handshake gets (101 when it is accepted)."""
    async with aiohttp.ClientSession() as session:
        try:
            async with session.ws_connect(url, headers=headers) as ws:
                await ws.close()
                return 101
        except aiohttp.WSServerHandshakeError as err:
            return err.status


def test_page_and_websocket_refuse_missing_unknown_and_revoked_tokens(project: Path) -> None:
    token = add_annotator(project, "ann")
    with WebServer(project) as server:
        assert server.get("/")[0] == 401
        assert server.get("/?token=not-a-token")[0] == 403
        status, body = server.get(f"/?token={token}")
        assert status == 200 and "Duelist: ann" in body
        ws = server.ws_url(token)
        base_ws = ws.rsplit("/", 1)[0]
        assert asyncio.run(_ws_status(base_ws)) == 401  # /ws: no ticket
        assert asyncio.run(_ws_status(base_ws + "/made-up-ticket")) == 403
        # A ticket minted before the revocation is worth nothing after it.
        late = server.ws_url(token)
        assert duelist("--revoke", "ann", db=project).returncode == 0
        assert asyncio.run(_ws_status(late)) == 403
        assert server.get(f"/?token={token}")[0] == 403
        log = server.log()
    assert "refused page from 127.0.0.1: no token" in log
    assert "refused websocket from 127.0.0.1: revoked token" in log
    assert token not in log


def test_cross_origin_websocket_is_refused(project: Path) -> None:
    token = add_annotator(project, "ann")
    with WebServer(project) as server:
        ws = server.ws_url(token)
        assert asyncio.run(_ws_status(ws, {"Origin": "https://evil.example"})) == 403


def test_failed_attempts_are_rate_limited(project: Path) -> None:
    token = add_annotator(project, "ann")
    with WebServer(project) as server:
        codes = [server.get(f"/?token=guess{i}")[0] for i in range(12)]
        assert codes[:10] == [403] * 10 and codes[10:] == [429, 429]
        assert server.get(f"/?token={token}")[0] == 429  # this address waits its minute out


async def _session(ws_url: str, keys: str, *, wait_s: float = 60.0) -> str:
    """Open the app over the websocket, type `keys` once it draws, return what it sent."""
    got = bytearray()
    async with aiohttp.ClientSession() as session, \
            session.ws_connect(ws_url + "?width=120&height=40") as ws:
        await ws.send_str(json.dumps(["resize", {"width": 120, "height": 40}]))
        end = time.monotonic() + wait_s
        while b"Skip" not in got and time.monotonic() < end:
            msg = await ws.receive(timeout=wait_s)
            if msg.type == aiohttp.WSMsgType.BINARY:
                got += msg.data
            elif msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                break
        for key in keys:
            await ws.send_str(json.dumps(["stdin", key]))
            await asyncio.sleep(0.3)
        # Keep reading what the app draws after the keys (a first paint can arrive in
        # several messages, the header after the footer).
        end = time.monotonic() + 1.5
        while time.monotonic() < end:
            try:
                msg = await ws.receive(timeout=max(0.05, end - time.monotonic()))
            except TimeoutError:
                break
            if msg.type == aiohttp.WSMsgType.BINARY:
                got += msg.data
            elif msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                break
    return got.decode("utf-8", "replace")


def test_judgements_over_the_websocket_land_under_the_signed_in_name(project: Path) -> None:
    token = add_annotator(project, "ws-ann")
    with WebServer(project, "--overlap", "1", "--gold-rate", "0") as server:
        drawn = asyncio.run(_session(server.ws_url(token), "12"))
        assert "ws-ann" in drawn
        with Store.open(project) as store:
            judged = store.annotations_for(annotator="ws-ann")
            assert len(judged) == 2
            # The socket is gone: the app quit and handed its lease back.
            for _ in range(100):
                if not store.active_claims():
                    break
                time.sleep(0.1)
            assert store.active_claims() == []


def test_revoking_a_link_ends_its_live_session(project: Path) -> None:
    token = add_annotator(project, "ann")

    async def scenario(ws_url: str) -> float:
        async with aiohttp.ClientSession() as session, session.ws_connect(ws_url) as ws:
            await ws.receive(timeout=60)  # the app is up
            assert duelist("--revoke", "ann", db=project).returncode == 0
            start = time.monotonic()
            while True:
                msg = await ws.receive(timeout=30)
                if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED,
                                aiohttp.WSMsgType.CLOSING):
                    return time.monotonic() - start

    with WebServer(project) as server:
        assert asyncio.run(scenario(server.ws_url(token))) < 15
        assert "link was revoked" in server.log()


def _raw(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), 5) as s:
        s.sendall(data)
        s.settimeout(5)
        try:
            return s.recv(200)
        except (TimeoutError, ConnectionResetError):
            return b""


def test_server_survives_bad_requests(project: Path) -> None:
    token = add_annotator(project, "ann")
    with WebServer(project) as server:
        for path in ("/../../etc/passwd", "/static/../../server.py", "/%00%ff", "/ws/%2e%2e",
                     "/" + "x" * 5000, "/static/js/textual.js", "/download/abc", "/?token="):
            assert server.get(path)[0] in (400, 401, 403, 404), path
        # Huge headers and garbage on the wire are refused, not fatal.
        assert _raw(server.port, b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000
                    + b"\r\n\r\n").split(b"\r\n")[0].endswith(b" 400 Bad Request")
        _raw(server.port, b"\x16\x03\x01\x02\x00garbage-tls-hello\r\n\r\n")
        _raw(server.port, b"NONSENSE\r\n\r\n")
        # A Host header that would end up in the page is refused, not reflected.
        assert server.get(f"/?token={token}", {"Host": 'x"><script>1</script>'})[0] == 400

        async def open_close_and_junk() -> None:
            async with aiohttp.ClientSession() as session:
                async with session.ws_connect(server.ws_url(token)) as ws:
                    await ws.close()  # opens and closes at once
                async with session.ws_connect(server.ws_url(token)) as ws:
                    for junk in ("not json", "[]", '["stdin"]', '["resize", "x"]', "{}",
                                 '["resize", {"width": "9e99", "height": -5}]'):
                        await ws.send_str(junk)
                    await ws.send_bytes(b"\x00\x01binary")
                    await ws.send_str(json.dumps(["ping", "still-there"]))
                    while True:
                        msg = await ws.receive(timeout=60)
                        if msg.type == aiohttp.WSMsgType.TEXT and "still-there" in msg.data:
                            break

        asyncio.run(open_close_and_junk())
        assert server.alive()
        assert server.get(f"/?token={token}")[0] == 200
        assert "Traceback" not in server.log()


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for task in Path(f"/proc/{p}/task").glob("*"):
            with contextlib.suppress(OSError):
                kids = [int(c) for c in (task / "children").read_text().split()]
                out += kids
                todo += kids
    return out


def test_a_killed_browser_app_loses_nothing_acknowledged_and_its_claim_expires(
        project: Path) -> None:
    token = add_annotator(project, "ann")
    id_re = re.compile(rb"\xc2\xb7 #(\d+)")

    async def judge_once_then_kill(ws_url: str, server: WebServer) -> tuple[int, int]:
        async with aiohttp.ClientSession() as session, \
                session.ws_connect(ws_url + "?width=120&height=40") as ws:
            buf = b""
            while not id_re.search(buf):
                msg = await ws.receive(timeout=60)
                if msg.type == aiohttp.WSMsgType.BINARY:
                    buf += msg.data
            first = int(id_re.findall(buf)[-1])
            await ws.send_str(json.dumps(["stdin", "1"]))
            buf = b""
            while not [i for i in id_re.findall(buf) if int(i) != first]:
                msg = await ws.receive(timeout=60)
                if msg.type == aiohttp.WSMsgType.BINARY:
                    buf += msg.data
            second = int([i for i in id_re.findall(buf) if int(i) != first][-1])
            apps = [p for p in _descendants(server.proc.pid)
                    if b"duelist.tui.web.child" in Path(f"/proc/{p}/cmdline").read_bytes()]
            for pid in apps:
                os.kill(pid, signal.SIGKILL)  # the app dies: no clean exit, no release
            while not ws.closed:
                msg = await ws.receive(timeout=30)
                if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                    break
            return first, second

    with WebServer(project, "--overlap", "1", "--gold-rate", "0") as server:
        first, second = asyncio.run(judge_once_then_kill(server.ws_url(token), server))
        assert server.alive()
    with Store.open(project) as store:
        assert [a.comparison_id for a in store.annotations_for(annotator="ann")] == [first]
        # The item on screen stays leased (nobody else gets it while it might come back)...
        (claim,) = [c for c in store.active_claims() if c[1] == "ann"]
        assert claim[0] == second
        assert store.claim_next("bob", overlap=1).id != second
        # ...until the lease runs out; then it goes to the next annotator.
        later = claim[2] + 1
        assert second in {store.claim_next(f"x{i}", overlap=1, now=later).id for i in range(3)}


def test_annotators_file_issues_missing_links_and_admits_only_its_names(project: Path,
                                                                        tmp_path: Path) -> None:
    outsider = add_annotator(project, "carol")
    team = tmp_path / "team.txt"
    team.write_text("# the team\nalice\nbob\n")
    with WebServer(project, "--annotators", str(team)) as server:
        for _ in range(100):
            if server.log().count("token=") >= 2:
                break
            time.sleep(0.05)
        links = dict(line.split("\t") for line in server.log().splitlines() if "\t" in line)
        assert set(links) == {"alice", "bob"}
        alice = links["alice"].split("token=")[1]
        assert server.get(f"/?token={alice}")[0] == 200
        assert server.get(f"/?token={outsider}")[0] == 403  # a working link, not on the list
    with WebServer(project, "--annotators", str(team)) as server:  # again: no new links
        time.sleep(0.5)
        assert "token=" not in server.log()


def test_stopping_the_server_leaves_no_app_process_behind(project: Path) -> None:
    token = add_annotator(project, "ann")

    async def hold_session(server: WebServer) -> list[int]:
        async with aiohttp.ClientSession() as session, \
                session.ws_connect(server.ws_url(token)) as ws:
            await ws.receive(timeout=60)  # the app is up
            apps = [p for p in _descendants(server.proc.pid)
                    if b"duelist.tui.web.child" in Path(f"/proc/{p}/cmdline").read_bytes()]
            server.stop()  # SIGTERM with the session still open
            return apps

    server = WebServer(project)
    apps = asyncio.run(hold_session(server))
    assert len(apps) == 1
    for _ in range(100):
        if not Path(f"/proc/{apps[0]}").exists():
            break
        time.sleep(0.1)
    assert not Path(f"/proc/{apps[0]}").exists() or \
        "zombie" in Path(f"/proc/{apps[0]}/status").read_text()
