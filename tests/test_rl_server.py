"""`duelist serve` as a real process, driven by real HTTP clients.

Concurrent requests are batched, bad JSON / bad shapes / oversized bodies get one-line
4xx JSON errors while the server stays up, and OpenRLHF's remote reward protocol is
answered the way its client (openrlhf/utils/agent.py) reads it.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from tiny_models import build_bert


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("serve")
    model = build_bert(root / "rm")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "duelist.tui.cli.main", "serve", "--model", str(model),
         "--port", "0", "--precision", "fp32", "--batch-window-ms", "100",
         "--max-body-mb", "0.01", "--db", str(root / "none.db")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    line = proc.stdout.readline()
    if "serving" not in line:
        proc.kill()
        pytest.fail(f"server did not start: {line!r} {proc.stderr.read()[-2000:]}")
    url = line.split(" on ", 1)[1].split(" ", 1)[0]
    yield {"url": url, "model": model, "proc": proc}
    proc.terminate()
    proc.wait(timeout=20)


def _post(url: str, body: bytes | dict) -> tuple[int, dict]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as resp:
        return json.loads(resp.read())


def _expected(model: Path, prompts, completions) -> list[float]:
    from duelist.engine import reward_function

    return reward_function(model, precision="fp32")(prompts, completions)


def test_concurrent_requests_are_batched_and_exact(server):
    url = server["url"]
    assert _get(f"{url}/health")["status"] == "ok"
    jobs = [{"prompts": [f"what is the {w}"] * 3, "completions": ["the good one", "", "bad"]}
            for w in ("sun", "moon", "tree", "river", "house", "car", "dog", "cat")]
    jobs[1]["prompts"] = [[{"role": "user", "content": "what is the moon"}]] * 3
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda j: _post(f"{url}/score", j), jobs))
    health = _get(f"{url}/health")
    assert all(code == 200 for code, _ in answers)
    for job, (_, body) in zip(jobs, answers, strict=True):
        want = _expected(server["model"], job["prompts"], job["completions"])
        assert max(abs(a - b) for a, b in zip(body["rewards"], want, strict=True)) <= 1e-5
    assert health["batches"] < 8  # several requests shared a scoring call
    assert health["rewards"] >= 24


@pytest.mark.parametrize(("body", "code", "words"), [
    (b"{not json", 400, "not valid JSON"),
    (b"[1, 2]", 400, "JSON object"),
    ({"prompts": ["a"]}, 400, "'completions' must be a list"),
    ({"prompts": ["a", "b"], "completions": ["c"]}, 400, "2 prompts but 1 completions"),
    ({"prompts": [7], "completions": ["c"]}, 400, "a prompt must be text"),
    (json.dumps({"prompts": ["x" * 20000], "completions": ["y"]}).encode(), 413, "too large"),
])
def test_bad_requests_get_one_line_json_errors_and_the_server_stays_up(server, body, code, words):
    got, answer = _post(f"{server['url']}/score", body)
    assert got == code
    assert words in answer["error"] and "\n" not in answer["error"]
    ok, good = _post(f"{server['url']}/score", {"prompts": ["p"], "completions": ["r"]})
    assert ok == 200 and len(good["rewards"]) == 1
    assert server["proc"].poll() is None


def test_unknown_path_is_json_404(server):
    code, answer = _post(f"{server['url']}/nope", {"a": 1})
    assert code == 404 and "error" in answer


def test_openrlhf_remote_protocol(server):
    """The payload OpenRLHF's SingleTurnAgentExecutor posts, read as it reads it."""
    import aiohttp

    prompt = "User: what is the sun\n\nAssistant: "
    payload = {"query": [prompt + "the sun is good", prompt], "prompts": [prompt, prompt],
               "labels": [None, None]}

    async def post() -> dict:
        # As openrlhf/utils/agent.py posts it: a fresh session, json=payload, raise, .json().
        timeout = aiohttp.ClientTimeout(total=180)
        async with (aiohttp.ClientSession(timeout=timeout) as session,
                    session.post(f"{server['url']}/get_reward", json=payload) as response):
            response.raise_for_status()
            return await response.json()

    info = asyncio.run(post())
    want = _expected(server["model"], [prompt, prompt], ["the sun is good", ""])
    assert set(info) >= {"rewards", "scores", "extra_logs"}
    assert max(abs(a - b) for a, b in zip(info["rewards"], want, strict=True)) <= 1e-5
    assert info["scores"] == info["rewards"]
