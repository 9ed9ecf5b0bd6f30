"""The web server: textual-serve's process-per-websocket model, plus sign-in and identity.

textual-serve 1.1.3 (the newest release) serves `/` to anyone, starts one app
subprocess per `/ws` websocket with the same command line for everybody, and
never says who is on the other end. `DuelistWebServer` keeps its `AppService`
(the subprocess and its byte protocol) and replaces the routes:

- `GET /?token=T` checks the token against the store (hashed), mints a one-time
  websocket ticket and serves our page (`page.render_page`); 401 without a
  token, 403 with an unknown or revoked one, 429 after too many failures.
- `GET /ws/{ticket}` redeems the ticket, checks the token again and starts the
  app subprocess as that annotator (the name travels in an environment
  variable, never through a shell). Every `RECHECK_S` the token is checked
  again: revoking a link ends its live session too.
- One live session per annotator: a second tab replaces the first, after the
  first app has exited and handed its claims back (two apps of one annotator
  must never hold the same lease).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import shlex
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web
from aiohttp.abc import AbstractAccessLogger
from duelist.engine.safe_text import one_line
from duelist.store import Store
from duelist.tui.web.guard import ANNOTATOR_ENV, FailureLimiter, TicketBook
from duelist.tui.web.page import STATIC_DIR, browser_script, render_page, security_headers
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

log = logging.getLogger("duelist.web")

RECHECK_S = 5.0
STOP_TIMEOUT_S = 10.0
MAX_WS_MESSAGE = 64 * 1024
_HOST_RE = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")


class AnnotatorAppService(AppService):
    """textual-serve's AppService, with the annotator's name in the child's environment."""

    def __init__(self, command: str, *, annotator: str, **kwargs: Any) -> None:
        super().__init__(command, **kwargs)
        self.annotator = annotator

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        env = super()._build_environment(width=width, height=height)
        env[ANNOTATOR_ENV] = self.annotator
        return env

    def kill(self) -> None:
        if self._process is not None and self._process.returncode is None:
            self._process.kill()


@dataclass
class _Live:
    """One annotator's running browser session."""

    websocket: web.WebSocketResponse
    done: asyncio.Event = field(default_factory=asyncio.Event)


def _one_line_errors(record: logging.LogRecord) -> bool:
    """aiohttp logs a malformed request (huge header, garbage bytes) with a traceback;
    a scanner would fill the log with them. Keep one line: what, and why."""
    if record.exc_info and record.exc_info[1] is not None:
        record.msg = f"{record.getMessage()}: {one_line(str(record.exc_info[1]), 160)}"
        record.args = ()
        record.exc_info = None
        record.exc_text = None
    return True


class QuietAccessLog(AbstractAccessLogger):
    """Access lines without query strings (tokens) or ticket paths, and without static files."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        path = request.path
        if path.startswith("/static/") or path == "/duelist.js":
            return
        if path.startswith("/ws/"):
            path = "/ws/<ticket>"
        self.logger.info("%s %s %s -> %s (%.0f ms)", request.remote or "?", request.method,
                         one_line(path, 120), response.status, time * 1000)


class DuelistWebServer(Server):
    def __init__(self, db_path: str | Path, *, host: str = "127.0.0.1", port: int = 8000,
                 app_args: list[str] | None = None, public_url: str | None = None,
                 allowed: set[str] | None = None, max_sessions: int = 64,
                 limiter: FailureLimiter | None = None) -> None:
        self.db_path = str(Path(db_path).resolve())
        # `exec`: textual-serve starts the command through /bin/sh; without it the app
        # would be the shell's child, and killing a stuck app would kill only the shell.
        command = "exec " + shlex.join([sys.executable, "-m", "duelist.tui.web.child",
                                        "--db", self.db_path, *(app_args or [])])
        url_host = f"[{host}]" if ":" in host else host
        super().__init__(command, host=host, port=port, title="Duelist",
                         public_url=public_url or f"http://{url_host}:{port}")
        self.public_url = self.public_url.rstrip("/")
        self.allowed = allowed  # None: every annotator with a working link
        self.max_sessions = max_sessions
        self.limiter = limiter or FailureLimiter()
        self.tickets = TicketBook()
        self.live: dict[str, _Live] = {}
        self.store: Store | None = None
        browser_script()  # fail at start, not on the first visitor, if the script changed

    # ---- set-up ----------------------------------------------------------------
    def initialize_logging(self) -> None:
        """One plain line per event on stderr (no Rich markup: names are data)."""
        logging.basicConfig(level="INFO", format="%(asctime)s duelist web: %(message)s",
                            datefmt="%H:%M:%S", stream=sys.stderr)
        logging.getLogger("aiohttp.server").addFilter(_one_line_errors)

    def serve(self, debug: bool = False) -> None:
        """Run until Ctrl+C / SIGTERM (textual-serve's loop, with our access log)."""
        self.initialize_logging()
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, self.request_exit)
        web.run_app(self._make_app(), host=self.host, port=self.port, handle_signals=False,
                    loop=loop, print=lambda *args: None, access_log=log,
                    access_log_class=QuietAccessLog)

    async def _make_app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024)
        app.add_routes([
            web.get("/", self.handle_index),
            web.get("/duelist.js", self.handle_script),
            web.get("/ws", self.handle_websocket),
            web.get("/ws/{ticket}", self.handle_websocket),
            # Only what our page uses: the unpatched textual.js is not served.
            web.static("/static/css", STATIC_DIR / "css", show_index=False),
            web.static("/static/fonts", STATIC_DIR / "fonts", show_index=False),
        ])
        app.on_startup.append(self.on_startup)
        app.on_shutdown.append(self.on_shutdown)
        return app

    async def on_startup(self, app: web.Application) -> None:
        self.store = Store.open(self.db_path)
        log.info("serving %s on %s (annotator links: duelist web --list-annotators)",
                 self.db_path, self.public_url)

    async def on_shutdown(self, app: web.Application) -> None:
        for live in list(self.live.values()):
            await live.websocket.close()
        for live in list(self.live.values()):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(live.done.wait(), STOP_TIMEOUT_S)
        if self.store is not None:
            self.store.close()

    # ---- sign-in ---------------------------------------------------------------
    def _annotator(self, token: str | None, *, touch: bool = False) -> str | None:
        assert self.store is not None
        name = self.store.web_annotator_for(token or "", touch=touch)
        if name is not None and self.allowed is not None and name not in self.allowed:
            return None
        return name

    def _refuse(self, request: web.Request, status: type[web.HTTPException],
                what: str, why: str) -> web.HTTPException:
        client = request.remote or "?"
        if status is not web.HTTPTooManyRequests:
            self.limiter.failed(client)
        log.warning("refused %s from %s: %s", what, client, why)
        return status(text=f"{status.status_code} {why}\n",
                      headers={"Cache-Control": "no-store"})

    async def handle_index(self, request: web.Request) -> web.Response:
        client = request.remote or "?"
        if self.limiter.blocked(client):
            raise self._refuse(request, web.HTTPTooManyRequests, "page", "too many failed attempts")
        token = request.query.get("token")
        if not token:
            raise self._refuse(request, web.HTTPUnauthorized, "page", "no token")
        name = self._annotator(token, touch=True)
        if name is None:
            raise self._refuse(request, web.HTTPForbidden, "page", "unknown or revoked token")
        host = request.host
        if not _HOST_RE.match(host):
            raise web.HTTPBadRequest(text="400 bad Host header\n")
        if self.public_url.startswith("https://"):
            ws_base = "wss://" + self.public_url.split("://", 1)[1]
        elif request.headers.get("X-Forwarded-Proto") == "https":
            ws_base = f"wss://{host}"
        else:
            ws_base = f"ws://{host}"
        ws_url = f"{ws_base}/ws/{self.tickets.mint(token)}"
        font_size = min(max(to_int(request.query.get("fontsize", "16"), 16), 8), 40)
        return web.Response(text=render_page(annotator=name, ws_url=ws_url, font_size=font_size),
                            content_type="text/html",
                            headers=security_headers(ws_base))

    async def handle_script(self, request: web.Request) -> web.Response:
        return web.Response(body=browser_script(), content_type="application/javascript",
                            headers={"Cache-Control": "no-cache"})

    # ---- the websocket ---------------------------------------------------------
    async def handle_websocket(self, request: web.Request) -> web.StreamResponse:
        client = request.remote or "?"
        if self.limiter.blocked(client):
            raise self._refuse(request, web.HTTPTooManyRequests, "websocket",
                               "too many failed attempts")
        ticket = request.match_info.get("ticket")
        if not ticket:
            raise self._refuse(request, web.HTTPUnauthorized, "websocket", "no ticket")
        token = self.tickets.redeem(ticket)
        if token is None:
            raise self._refuse(request, web.HTTPForbidden, "websocket", "unknown or used ticket")
        name = self._annotator(token)
        if name is None:
            raise self._refuse(request, web.HTTPForbidden, "websocket", "revoked token")
        origin = request.headers.get("Origin")
        if origin is not None and origin.split("://", 1)[-1] != request.host:
            raise self._refuse(request, web.HTTPForbidden, "websocket",
                               "cross-origin websocket")
        old = self.live.get(name)
        if old is None and len(self.live) >= self.max_sessions:
            log.warning("refused websocket for %s: %d sessions already live",
                        one_line(name, 80), len(self.live))
            raise web.HTTPServiceUnavailable(text="503 server full\n")
        if old is not None:  # newest tab wins: wait until the old app has handed back its claims
            log.info("%s opened a new tab: closing the old session", one_line(name, 80))
            await old.websocket.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(old.done.wait(), STOP_TIMEOUT_S)
        return await self._run_session(request, name, token)

    async def _run_session(self, request: web.Request, name: str, token: str
                           ) -> web.WebSocketResponse:
        websocket = web.WebSocketResponse(heartbeat=15, max_msg_size=MAX_WS_MESSAGE)
        live = _Live(websocket)
        self.live[name] = live
        shown = one_line(name, 80)
        service: AnnotatorAppService | None = None
        watcher: asyncio.Task[None] | None = None
        try:
            await websocket.prepare(request)
            service = AnnotatorAppService(
                self.command, annotator=name, write_bytes=websocket.send_bytes,
                write_str=websocket.send_str, close=websocket.close,
                download_manager=self.download_manager)
            width = min(max(to_int(request.query.get("width", "80"), 80), 20), 500)
            height = min(max(to_int(request.query.get("height", "24"), 24), 5), 300)
            await service.start(width, height)
            log.info("%s signed in from %s", shown, request.remote or "?")
            # An app that dies (killed, crashed) without saying goodbye must not leave the
            # tab connected to nothing: close the socket so the page says the session ended.
            if service._task is not None:
                service._task.add_done_callback(
                    lambda _: asyncio.ensure_future(websocket.close()))
            watcher = asyncio.create_task(self._watch_token(token, websocket, shown))
            await self._pump(websocket, service)
        except asyncio.CancelledError:
            await websocket.close()
        except Exception as exc:  # one session's failure must not take the server down
            log.warning("session of %s failed: %s", shown, one_line(repr(exc), 200))
        finally:
            if watcher is not None:
                watcher.cancel()
            if service is not None:
                try:
                    await asyncio.wait_for(service.stop(), STOP_TIMEOUT_S)
                except BaseException:  # timed out, or the server is shutting down (cancelled)
                    service.kill()  # never leave an app process behind the server
            if self.live.get(name) is live:
                del self.live[name]
            live.done.set()
            log.info("%s's session ended", shown)
        return websocket

    async def _pump(self, websocket: web.WebSocketResponse, service: AppService) -> None:
        """Browser -> app. Malformed messages are dropped, not fatal."""
        async for message in websocket:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                envelope = json.loads(message.data)
                kind, data = envelope[0], envelope[1] if len(envelope) > 1 else None
            except (ValueError, TypeError, IndexError, KeyError):
                continue
            if kind == "stdin" and isinstance(data, str):
                await service.send_bytes(data.encode("utf-8"))
            elif kind == "resize" and isinstance(data, dict):
                width = min(max(to_int(str(data.get("width", 80)), 80), 20), 500)
                height = min(max(to_int(str(data.get("height", 24)), 24), 5), 300)
                await service.set_terminal_size(width, height)
            elif kind == "ping":
                await websocket.send_json(["pong", data])
            elif kind == "blur":
                await service.blur()
            elif kind == "focus":
                await service.focus()

    async def _watch_token(self, token: str, websocket: web.WebSocketResponse, shown: str) -> None:
        while not websocket.closed:
            await asyncio.sleep(RECHECK_S)
            if self._annotator(token) is None:
                log.warning("%s's link was revoked: ending the session", shown)
                await websocket.close(code=4001, message=b"link revoked")
                return
