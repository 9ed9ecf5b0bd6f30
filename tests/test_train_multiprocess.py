"""`duelist train --num-processes 2` on the CPU: two real data-parallel ranks (gloo).

Slow: each run starts torchrun and two Python processes that import the training
stack. CI still runs these; they are the only proof the distributed path works.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from duelist.store import Store
from tiny_models import build_bert, synthetic_pairs, write_pairs_json

pytestmark = pytest.mark.slow

DUELIST = [sys.executable, "-m", "duelist.tui.cli.main"]


def _train(tmp: Path, name: str, *extra: str, env: dict[str, str] | None = None
           ) -> subprocess.CompletedProcess:
    cmd = [*DUELIST, "train", "--model", "./bert", "--data-path", "pairs.json",
           "--project-name", name, "--epochs", "1", "--batch-size", "4", "--valid-split", "0.2",
           "--db", "p.db", *extra]
    full_env = {**os.environ, "HF_HUB_OFFLINE": "1", "COLUMNS": "120", **(env or {})}
    return subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, env=full_env,
                          timeout=600)


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    build_bert(tmp_path / "bert")
    write_pairs_json(tmp_path / "pairs.json", synthetic_pairs(40))
    Store.open(tmp_path / "p.db").close()  # a project database: runs get recorded
    return tmp_path


def _events(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]


def test_two_cpu_ranks_halve_the_steps_and_write_one_model(project: Path) -> None:
    one = _train(project, "one")
    assert one.returncode == 0, one.stderr[-2000:]
    two = _train(project, "two", "--num-processes", "2")
    assert two.returncode == 0, two.stderr[-2000:]
    assert "2 processes (gloo): global batch 8 pairs per optimizer step (4 per process)" \
        in two.stderr

    steps_one = json.loads((project / "one" / "duelist.json").read_text())["metrics"]["steps"]
    meta_two = json.loads((project / "two" / "duelist.json").read_text())
    assert steps_one == 8  # 32 training pairs / 4 per step
    assert meta_two["metrics"]["steps"] == steps_one // 2  # each rank takes half the batches

    # One event stream: a single start and a single done, from rank 0 only.
    events = _events(project / "two.run")
    assert [e["event"] for e in events].count("start") == 1
    assert [e["event"] for e in events].count("done") == 1
    start = next(e for e in events if e["event"] == "start")
    assert start["world_size"] == 2 and start["total_steps"] == 4

    with Store.open(project / "p.db") as store:
        runs = [r for r in store.list_runs() if r.name == "two"]
        assert [r.status for r in runs] == ["done"]
        assert Path(runs[0].model_dir or "") == project / "two"
    assert not list(project.glob("two*/checkpoint-*/**/model.safetensors.tmp*"))

    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(project / "two")
    assert model.config.num_labels == 1


FAIL_RANK_1 = textwrap.dedent("""
    # Test-only fault injection: rank 1 of a torchrun launch fails at its 2nd step.
    import os
    if os.environ.get("RANK") == "1":
        import transformers

        _orig = transformers.Trainer.training_step
        _calls = [0]

        def _failing_step(self, *a, **k):
            _calls[0] += 1
            if _calls[0] == 2:
                raise RuntimeError("injected failure on rank 1 at step 2")
            return _orig(self, *a, **k)

        transformers.Trainer.training_step = _failing_step
""")


def test_a_failing_rank_marks_the_run_failed_with_its_error(project: Path) -> None:
    hook = project / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(FAIL_RANK_1)
    pythonpath = os.pathsep.join(p for p in [str(hook), os.environ.get("PYTHONPATH", "")] if p)
    r = _train(project, "broken", "--num-processes", "2", env={"PYTHONPATH": pythonpath})
    assert r.returncode != 0
    assert "rank 1: RuntimeError: injected failure on rank 1 at step 2" in r.stderr
    with Store.open(project / "p.db") as store:
        runs = [run for run in store.list_runs() if run.name == "broken"]
        assert [run.status for run in runs] == ["failed"]
        assert "injected failure on rank 1" in (runs[0].error or "")
    assert not (project / "broken").exists()  # no model dir from a failed run
