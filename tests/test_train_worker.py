"""The training worker process: event stream, store records, atomic output, resume, errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from duelist.engine.runs.events import parse_event
from duelist.engine.training.params import RewardParams
from duelist.store import Store
from tiny_models import build_bert, build_llama, synthetic_pairs, write_pairs_json

ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


def _params(tmp: Path, base: Path, data: Path | str, **kw) -> Path:
    p = RewardParams(model=str(base), data_path=str(data), project_root=str(tmp),
                     project_name=kw.pop("project_name", "rm"), epochs=kw.pop("epochs", 1),
                     lr=3e-3, batch_size=8, logging_steps=kw.pop("logging_steps", 1), **kw)
    path = tmp / "params.json"
    path.write_text(p.to_json())
    return path


def _worker(params: Path, *extra: str) -> tuple[int, list[dict], str]:
    proc = subprocess.run([sys.executable, "-m", "duelist.engine.training.worker", "--params", str(params),
                           *extra], capture_output=True, text=True, env=ENV, timeout=600)
    lines = proc.stdout.splitlines()
    events = [parse_event(line) for line in lines]
    assert all(e is not None for e in events), "stdout must hold events only"
    return proc.returncode, events, proc.stderr


def test_worker_streams_events_and_records_the_run(tmp_path: Path) -> None:
    base = build_llama(tmp_path / "base")
    data = write_pairs_json(tmp_path / "pairs.json", synthetic_pairs(48))
    db = tmp_path / "p.db"
    Store.open(db).close()
    code, events, _ = _worker(_params(tmp_path, base, data), "--db", str(db))
    assert code == 0
    kinds = [e["event"] for e in events]
    assert kinds[-1] == "done" and "start" in kinds and "step" in kinds and "eval" in kinds
    start = events[kinds.index("start")]
    assert start["n_train"] + start["n_valid"] == 48 and start["total_steps"] > 0
    done = events[-1]
    assert done["model_dir"] == str(tmp_path / "rm") and "valid_accuracy" in done["metrics"]
    # The same events were appended to <run_dir>/events.jsonl for a restarted TUI.
    on_disk = [json.loads(x) for x in (tmp_path / "rm.run" / "events.jsonl").read_text().splitlines()]
    assert [e["event"] for e in on_disk] == kinds
    with Store.open(db) as store:
        run = store.get_run(done["run_id"])
        assert run.status == "done" and run.model_dir == done["model_dir"] and run.pid
        assert run.config["project_name"] == "rm" and run.final_metrics == done["metrics"]
        # every pair the run used, as the TUI records at launch (not the training count)
        assert run.n_pairs == start["n_train"] + start["n_valid"] > start["n_train"]
        assert run.data_hash == start["data_hash"]
        train_rows = store.metrics_for_run(run.id, "train")
        assert len(train_rows) == kinds.count("step") and train_rows[0].loss is not None
        assert store.metrics_for_run(run.id, "eval")
        model = store.current_model()
        assert model.path == done["model_dir"] and model.run_id == run.id


def test_worker_updates_a_queued_run_and_fails_cleanly_on_bad_data(tmp_path: Path) -> None:
    base = build_bert(tmp_path / "base")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"prompt": "p", "chosen": "a"}]))  # no 'rejected' column
    db = tmp_path / "p.db"
    with Store.open(db) as store:
        run_id = store.create_run("rm", {}).id
    code, events, stderr = _worker(_params(tmp_path, base, bad), "--db", str(db),
                                   "--run-id", str(run_id))
    assert code == 2
    assert events[-1]["event"] == "error" and "done" not in [e["event"] for e in events]
    assert "bad.json" in events[-1]["message"] and "\n" not in events[-1]["message"]
    with Store.open(db) as store:
        run = store.get_run(run_id)
        assert run.status == "failed" and "bad.json" in run.error
        assert store.list_models() == []
    assert not (tmp_path / "rm").exists()
    assert "Traceback" not in stderr


def test_unknown_params_key_is_an_error_event(tmp_path: Path) -> None:
    params = tmp_path / "params.json"
    params.write_text(json.dumps({"epochs": 1, "learning_rate": 3}))
    code, events, _ = _worker(params)
    assert code == 2 and events[-1]["event"] == "error"
    assert "learning_rate" in events[-1]["message"]


def test_killed_run_leaves_no_model_and_resume_finishes_it(tmp_path: Path) -> None:
    base = build_bert(tmp_path / "base")
    data = write_pairs_json(tmp_path / "pairs.json", synthetic_pairs(96))
    db = tmp_path / "p.db"
    Store.open(db).close()
    params = _params(tmp_path, base, data, epochs=2, save_steps=3, eval_strategy="no")
    proc = subprocess.Popen([sys.executable, "-m", "duelist.engine.training.worker", "--params",
                             str(params), "--db", str(db)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=ENV)
    seen: list[dict] = []
    ckpts = tmp_path / "rm.run" / "checkpoints"
    deadline = time.monotonic() + 300
    for line in proc.stdout:
        ev = parse_event(line)
        if ev:
            seen.append(ev)
        if ev and ev["event"] == "step" and ev["step"] >= 5 and any(ckpts.glob("checkpoint-*")):
            break
        assert time.monotonic() < deadline
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert "done" not in [e["event"] for e in seen]
    assert not (tmp_path / "rm").exists()  # nothing half-written under the final name
    with Store.open(db) as store:
        assert store.list_models() == []
        assert store.list_runs()[0].status == "running"  # the watcher marks it failed
    last = max(int(p.name.split("-")[1]) for p in ckpts.glob("checkpoint-*"))
    assert last >= 3

    resume = json.loads(params.read_text()) | {"resume": True}
    params.write_text(json.dumps(resume))
    code, events, _ = _worker(params, "--db", str(db))
    assert code == 0
    start = next(e for e in events if e["event"] == "start")
    assert start["resumed_at_step"] == last
    assert any("resuming from checkpoint" in e.get("message", "") for e in events)
    first_step = next(e for e in events if e["event"] == "step")
    assert first_step["step"] > last
    assert events[-1]["event"] == "done" and (tmp_path / "rm" / "duelist.json").exists()
    with Store.open(db) as store:
        assert len(store.list_models()) == 1


def test_worker_trains_from_the_store_when_no_data_path(tmp_path: Path) -> None:
    from duelist.store.records import NewAnnotation, NewComparison

    base = build_bert(tmp_path / "base")
    db = tmp_path / "p.db"
    with Store.open(db) as store:
        for row in synthetic_pairs(80):
            placed = store.add_comparison(NewComparison(row["prompt"], row["chosen"],
                                                        row["rejected"]))
            store.add_annotation(NewAnnotation(placed.id, "ann", "b" if placed.flipped else "a"))
    p = RewardParams(model=str(base), data_path=None, project_root=str(tmp_path),
                     project_name="from-store", epochs=4, lr=3e-3, logging_steps=5)
    params = tmp_path / "params.json"
    params.write_text(p.to_json())
    code, events, stderr = _worker(params, "--db", str(db))
    assert code == 0, stderr[-2000:]
    start = next(e for e in events if e["event"] == "start")
    assert start["data_source"] == f"store:{db}" and start["n_train"] + start["n_valid"] == 80
    assert events[-1]["metrics"]["valid_accuracy"] > 0.8


def test_a_run_without_quantization_never_imports_bitsandbytes() -> None:
    """bitsandbytes (and the torch._inductor it drags in) cost seconds of every worker
    start and print a CPU kernel warning; only quantized runs use it."""
    import subprocess
    import sys

    code = ("import sys\nfrom duelist.engine.training.worker import _without_bitsandbytes\n"
            "_without_bitsandbytes({q!r})\nimport duelist.engine.training.train, peft, transformers\n"
            "from transformers.utils import is_bitsandbytes_available\n"
            "print(sys.modules.get('bitsandbytes') is None, is_bitsandbytes_available())")
    plain = subprocess.run([sys.executable, "-c", code.format(q=None)], capture_output=True,
                           text=True, timeout=300)
    assert plain.stdout.split() == ["True", "False"], plain.stderr[-1500:]
    assert "gemm_4bit" not in plain.stderr
    quantized = subprocess.run([sys.executable, "-c", code.format(q="int4")],
                               capture_output=True, text=True, timeout=300)
    assert quantized.stdout.split()[0] == "False", quantized.stderr[-1500:]
