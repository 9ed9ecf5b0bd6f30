"""`duelist serve`: an HTTP reward server for RL jobs, on aiohttp.

Why aiohttp: a maintained asyncio HTTP server with request-size limits built in
(`client_max_size`), no extra ASGI layer, and the stack textual-serve already runs
on, so Duelist ships one server library, not two.

Endpoints (JSON in, JSON out; every error is a 4xx/5xx JSON `{"error": "one line"}`
and the server stays up):
- `POST /score` `{"prompts": [...], "completions": [...]}` -> `{"rewards": [...]}`;
  prompts/completions are text or chat messages, exactly as `reward_function` takes.
- `POST /get_reward`: OpenRLHF's remote reward protocol. Matched against OpenRLHF's
  client, openrlhf/utils/agent.py (`SingleTurnAgentExecutor._fetch_rewards_via_http`):
  it POSTs `{"query": [prompt + response text], "prompts": [prompt text], "labels":
  [...]}` and reads `rewards` (and `scores`, `extra_logs`) from the reply, as
  openrlhf/cli/serve_rm.py answers. The response is the query after its prompt prefix;
  a query that does not start with its prompt is scored whole, as the response to an
  empty prompt (counted in /health as `unsplit_queries`).
- `GET /health` -> `{"status": "ok", "model": ..., counters}`.

Batching: concurrent requests are collected for up to `window_s` (or `max_batch`
completions) and scored in ONE call on a worker thread, so many RL workers asking for
a few rewards each share the fast scorer's length-sorted batches.
"""

from __future__ import annotations

import asyncio
import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from duelist.engine.errors import DuelistError
from duelist.engine.models.conversation import texts

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000  # OpenRLHF's serve_rm default
DEFAULT_MAX_BODY = 16 * 1024 * 1024
DEFAULT_WINDOW_S = 0.005
DEFAULT_MAX_BATCH = 512
MAX_ITEMS = 65536


class BadRequest(Exception):
    """Client error: answered with 400 and this one-line message."""


@dataclass
class Counters:
    requests: int = 0
    rewards: int = 0
    batches: int = 0
    errors: int = 0
    unsplit_queries: int = 0
    started: float = field(default_factory=time.time)


class BatchingScorer:
    """Many concurrent requests -> one scoring call per collection window."""

    def __init__(self, score: Any, *, window_s: float = DEFAULT_WINDOW_S,
                 max_batch: int = DEFAULT_MAX_BATCH, counters: Counters | None = None) -> None:
        self._score = score  # (prompts: list[str], completions: list[str]) -> list[float]
        self.window_s = window_s
        self.max_batch = max_batch
        self.counters = counters or Counters()
        self._queue: asyncio.Queue[tuple[list[str], list[str], asyncio.Future]] | None = None
        self._task: asyncio.Task | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="duelist-score")

    async def start(self) -> None:
        self._queue = asyncio.Queue()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def score(self, prompts: list[str], completions: list[str]) -> list[float]:
        if not prompts:
            return []
        assert self._queue is not None, "start() first"
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        await self._queue.put((prompts, completions, future))
        return await future

    async def _run(self) -> None:
        assert self._queue is not None
        loop = asyncio.get_running_loop()
        while True:
            jobs = [await self._queue.get()]
            size = len(jobs[0][0])
            deadline = loop.time() + self.window_s
            while size < self.max_batch:
                left = deadline - loop.time()
                if left <= 0:
                    break
                try:
                    job = await asyncio.wait_for(self._queue.get(), left)
                except TimeoutError:
                    break
                jobs.append(job)
                size += len(job[0])
            prompts = [p for job in jobs for p in job[0]]
            completions = [c for job in jobs for c in job[1]]
            try:
                rewards = await loop.run_in_executor(self._pool, self._score, prompts,
                                                     completions)
            except Exception as exc:  # every waiting request gets the error, the loop lives on
                for *_, fut in jobs:
                    if not fut.done():
                        fut.set_exception(exc)
                continue
            self.counters.batches += 1
            at = 0
            for p, _, fut in jobs:
                if not fut.done():
                    fut.set_result(rewards[at:at + len(p)])
                at += len(p)


def _one_line(message: Any) -> str:
    return " ".join(str(message).split())[:500] or "error"


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": _one_line(message)}, status=status)


@web.middleware
async def _json_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """Every failure is JSON with a one-line message; nothing takes the server down."""
    counters: Counters = request.app["counters"]
    try:
        return await handler(request)
    except BadRequest as exc:
        counters.errors += 1
        return _error(400, str(exc))
    except DuelistError as exc:
        counters.errors += 1
        return _error(400, str(exc))
    except web.HTTPRequestEntityTooLarge as exc:
        counters.errors += 1
        return _error(413, f"request body too large (limit {exc.max_size} bytes)"
                      if hasattr(exc, "max_size") else "request body too large")
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        counters.errors += 1
        return _error(exc.status, exc.reason)
    except Exception as exc:
        counters.errors += 1
        return _error(500, f"{type(exc).__name__}: {exc}")


async def _body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()  # raises HTTPRequestEntityTooLarge past client_max_size
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"body is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise BadRequest("body must be a JSON object")
    return data


def _list(data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    if not isinstance(value, list):
        raise BadRequest(f"'{key}' must be a list (got {type(value).__name__})")
    if len(value) > MAX_ITEMS:
        raise BadRequest(f"'{key}' has {len(value)} items; at most {MAX_ITEMS} per request")
    return value


def split_query(query: str, prompt: str) -> tuple[str, str] | None:
    """(prompt, response) when the query starts with its prompt, else None."""
    if prompt and query.startswith(prompt):
        return prompt, query[len(prompt):]
    return None


def build_app(reward_fn: Any, *, max_body: int = DEFAULT_MAX_BODY,
              window_s: float = DEFAULT_WINDOW_S, max_batch: int = DEFAULT_MAX_BATCH,
              name: str | None = None) -> web.Application:
    """The aiohttp app around a `RewardFunction` (anything with `score_texts`)."""
    counters = Counters()
    batcher = BatchingScorer(reward_fn.score_texts, window_s=window_s, max_batch=max_batch,
                             counters=counters)
    app = web.Application(client_max_size=max_body, middlewares=[_json_errors])
    app["counters"] = counters
    app["batcher"] = batcher

    async def on_startup(_: web.Application) -> None:
        await batcher.start()

    async def on_cleanup(_: web.Application) -> None:
        await batcher.stop()

    async def score(request: web.Request) -> web.Response:
        data = await _body(request)
        prompts, completions = _list(data, "prompts"), _list(data, "completions")
        p, c = texts(prompts, completions)
        rewards = await batcher.score(p, c)
        counters.requests += 1
        counters.rewards += len(rewards)
        return web.json_response({"rewards": rewards})

    async def get_reward(request: web.Request) -> web.Response:
        data = await _body(request)
        queries = _list(data, "query")
        prompts = data.get("prompts")
        if prompts is None:
            prompts = [""] * len(queries)
        elif not isinstance(prompts, list) or len(prompts) != len(queries):
            raise BadRequest("'prompts' must be a list as long as 'query'")
        p_texts, r_texts = [], []
        for i, (q, pr) in enumerate(zip(queries, prompts, strict=True)):
            if not isinstance(q, str) or not isinstance(pr, str | type(None)):
                raise BadRequest(f"query {i}: 'query' and 'prompts' items must be text")
            split = split_query(q, pr or "")
            if split is None:
                counters.unsplit_queries += 1
                split = ("", q)
            p_texts.append(split[0])
            r_texts.append(split[1])
        rewards = await batcher.score(p_texts, r_texts)
        counters.requests += 1
        counters.rewards += len(rewards)
        return web.json_response({"rewards": rewards, "scores": rewards,
                                  "extra_logs": {"duelist_reward": rewards}})

    async def health(_: web.Request) -> web.Response:
        c = counters
        return web.json_response({
            "status": "ok", "model": name or getattr(reward_fn, "__name__", "reward"),
            "requests": c.requests, "rewards": c.rewards, "batches": c.batches,
            "errors": c.errors, "unsplit_queries": c.unsplit_queries,
            "uptime_s": round(time.time() - c.started, 3)})

    app.router.add_post("/score", score)
    app.router.add_post("/get_reward", get_reward)
    app.router.add_get("/health", health)
    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return app


async def serve(app: web.Application, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
                ready: Any = None) -> None:
    """Run until cancelled; `ready(host, port)` is called once bound (port 0 = any free)."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise DuelistError(f"cannot listen on {host}:{port} ({exc.strerror or exc})") from None
    bound = site._server.sockets[0].getsockname() if site._server else (host, port)  # type: ignore[union-attr]
    if ready is not None:
        ready(bound[0], int(bound[1]))
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
