"""Annotators in a browser: keypress-to-next latency (browser vs terminal) and capacity.

Same run, same store (real hh_train text when ../shared is present), same queue
(`--overlap 1`, the shared queue a team uses):

- terminal: the app in process, driven by Textual's Pilot (as bench/tui_bench.py):
  time from just before `pilot.press("1")` to the paint of the next item.
- browser: `duelist web` in a subprocess, Debian's headless Chromium (Selenium).
  Inside the page, time from `duelistTerminal.input("1")` (the key as xterm hands
  it to the socket) to the animation frame after the header shows the next item's
  id: websocket both ways, the app subprocess, xterm parsing and the next frame.
- capacity: N annotators at once against one server, each a websocket client
  speaking the browser's protocol (a Chromium per annotator would measure the
  browsers, which run on the annotators' own machines, not the server). Each
  presses a key, waits for the next item's id in the byte stream, thinks
  `--think` seconds, and again. Reported: p50/p95 over all presses at each N, and
  the server's total RSS (server + app subprocesses).

Usage:
    .venv/bin/python bench/web_bench.py [--n 3000] [--presses 200] [--levels 1,2,4,8,16]
                                        [--per-client 30] [--think 1.0]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "bench"))

from _keypress import pct, press_latencies_ms  # noqa: E402
from duelist.store import NewComparison, Store  # noqa: E402
from web_helpers import WebServer, add_annotator, chromium, need_chromium  # noqa: E402

HH = REPO.parent / "shared" / "data" / "hh_train.json"
ID_RE = re.compile(rb"\xc2\xb7 #(\d+)")  # "· #N" in the header, as UTF-8 bytes

MEASURE_JS = """
const key = arguments[0], done = arguments[arguments.length - 1];
const t = window.duelistTerminal;
const idOf = () => {
  const b = t.buffer.active, l = b.getLine(b.viewportY);
  const m = l && l.translateToString(true).match(/· #(\\d+)/);
  return m ? m[1] : null;
};
const before = idOf(); const t0 = performance.now(); let finished = false;
const finish = (v) => { if (!finished) { finished = true; sub.dispose(); done(v); } };
const sub = t.onWriteParsed(() => {
  const now = idOf();
  if (now !== null && now !== before) requestAnimationFrame(() => finish(performance.now() - t0));
});
setTimeout(() => finish(-1), 15000);
t.input(key);
"""


def build_store(db: Path, n: int) -> None:
    rows: list[NewComparison] = []
    if HH.exists():
        pairs = json.loads(HH.read_text())
        for i in range(n):
            p = pairs[i % len(pairs)]
            rows.append(NewComparison(f"{p['prompt']} (#{i})", p["chosen"], p["rejected"]))
    else:
        rows = [NewComparison(f"Question {i}: what is {i}+{i}?", f"It is {2 * i}.",
                              f"Probably {2 * i + 1}.") for i in range(n)]
    with Store.open(db) as store:
        store.insert_comparisons(rows)


def summary(values: list[float]) -> str:
    return (f"p50 {statistics.median(values):6.1f} ms  p95 {pct(values, 0.95):6.1f} ms  "
            f"max {max(values):6.1f} ms  (n={len(values)})")


# ---- terminal ---------------------------------------------------------------------
async def terminal_latencies(db: Path, presses: int) -> list[float]:
    from duelist.tui.app import AnnotateOptions, DuelistApp

    app = DuelistApp(db, AnnotateOptions(annotator="bench-terminal", seed=1, overlap=1,
                                         gold_rate=0.0))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        return await press_latencies_ms(pilot, app.screen, presses)


# ---- browser ----------------------------------------------------------------------
def browser_latencies(server: WebServer, token: str, presses: int) -> list[float]:
    from web_helpers import item_id, wait_screen

    out: list[float] = []
    with chromium(1280, 800) as driver:
        driver.set_script_timeout(30)
        driver.get(server.url(token))
        wait_screen(driver, lambda t: item_id(t) is not None, "the first item", timeout=120)
        for i in range(presses + 5):
            ms = driver.execute_async_script(MEASURE_JS, "1")
            if ms < 0:
                raise RuntimeError("the next item did not appear within 15 s")
            if i >= 5:  # the first few warm the page and the app up
                out.append(ms)
    return out


# ---- capacity (protocol-level clients) ----------------------------------------------
async def client(ws_url: str, presses: int, think: float, start: asyncio.Event,
                 out: list[float]) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as session, \
            session.ws_connect(ws_url + "?width=120&height=40", max_msg_size=0) as ws:
        await ws.send_str(json.dumps(["resize", {"width": 120, "height": 40}]))
        buf = b""
        current = None
        while current is None:
            msg = await ws.receive(timeout=180)
            if msg.type != aiohttp.WSMsgType.BINARY:
                continue
            buf += msg.data
            ids = ID_RE.findall(buf)
            current = ids[-1] if ids else None
        await asyncio.sleep(1.0)  # let the first paint settle
        await start.wait()
        for _ in range(presses):
            buf = b""
            t0 = time.perf_counter()
            await ws.send_str(json.dumps(["stdin", "1"]))
            end = time.monotonic() + 60
            while True:
                if time.monotonic() > end:
                    raise RuntimeError("no next item within 60 s")
                msg = await ws.receive(timeout=60)
                if msg.type != aiohttp.WSMsgType.BINARY:
                    if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                        raise RuntimeError("session closed")
                    continue
                buf += msg.data
                ids = [i for i in ID_RE.findall(buf) if i != current]
                if ids:
                    out.append((time.perf_counter() - t0) * 1000)
                    current = ids[-1]
                    break
            await asyncio.sleep(think)


def rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return total / 1024


async def capacity_level(server: WebServer, tokens: list[str], presses: int,
                         think: float) -> tuple[list[float], float]:
    urls = [server.ws_url(t) for t in tokens]
    start = asyncio.Event()
    out: list[float] = []
    tasks = [asyncio.create_task(client(u, presses, think, start, out)) for u in urls]
    await asyncio.sleep(0)
    # Wait until every app is up (each client waits for its first item), then go.
    for _ in range(600):
        await asyncio.sleep(0.5)
        if all(t.done() for t in tasks) or _ready(server, len(tokens)):
            break
    await asyncio.sleep(2.0)
    mem = rss_mb(server.proc.pid)
    start.set()
    await asyncio.gather(*tasks)
    return out, mem


def _ready(server: WebServer, n: int) -> bool:
    return server.log().count("signed in") >= n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--presses", type=int, default=200)
    ap.add_argument("--levels", default="1,2,4,8,16")
    ap.add_argument("--per-client", type=int, default=30)
    ap.add_argument("--think", type=float, default=1.0)
    args = ap.parse_args()
    need_chromium_or_exit()
    levels = [int(x) for x in args.levels.split(",")]
    # Every press needs an item (overlap 1): size the store so no level runs dry.
    args.n = max(args.n, int(1.2 * (2 * args.presses + 20 + sum(levels) * args.per_client)))
    tmp = Path(tempfile.mkdtemp(prefix="duelist-web-bench-"))
    db = tmp / "bench.db"
    build_store(db, args.n)
    print(f"store: {args.n} comparisons ({'hh_train text' if HH.exists() else 'synthetic'})")

    term = asyncio.run(terminal_latencies(db, args.presses))
    print(f"terminal (Pilot, in process)   {summary(term)}", flush=True)

    token = add_annotator(db, "bench-browser")
    with WebServer(db, "--overlap", "1", "--gold-rate", "0", "--max-sessions", "200") as server:
        web = browser_latencies(server, token, args.presses)
    print(f"browser (Chromium, via server) {summary(web)}", flush=True)

    holds = 0
    for n in levels:
        tokens = [add_annotator(db, f"cap-{n}-{i}") for i in range(n)]
        with WebServer(db, "--overlap", "1", "--gold-rate", "0",
                       "--max-sessions", "200") as server:
            lat, mem = asyncio.run(capacity_level(server, tokens, args.per_client, args.think))
        ok = pct(lat, 0.95) < 250
        holds = n if ok else holds
        print(f"{n:3d} annotators at once (think {args.think:.1f} s): {summary(lat)}  "
              f"server+apps RSS {mem:5.0f} MB  {'ok' if ok else 'over 250 ms'}", flush=True)
        if not ok:
            break
    with open("/proc/loadavg") as fh:
        load = fh.read().split()[0]
    print()
    print(f"browser vs terminal: p50 {statistics.median(web):.1f} vs {statistics.median(term):.1f} "
          f"ms, p95 {pct(web, 0.95):.1f} vs {pct(term, 0.95):.1f} ms "
          f"(target p95 < 150 ms: {'met' if pct(web, 0.95) < 150 else 'NOT met'})")
    print(f"largest N with p95 < 250 ms: {holds} (levels tried: {args.levels})")
    print(f"load average at the end (2 cores, shared): {load}")


def need_chromium_or_exit() -> None:
    try:
        need_chromium()
    except BaseException:  # pytest.skip raises outside pytest too
        sys.exit("web_bench: needs /usr/bin/chromium, /usr/bin/chromedriver and selenium "
                 "(make dev installs them)")


if __name__ == "__main__":
    main()
