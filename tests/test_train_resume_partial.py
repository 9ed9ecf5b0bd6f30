"""Item 2 of issue 14: `--resume` after a Ctrl+C that landed while a checkpoint was written.

The interrupted save left `checkpoint-N/` with weights but no (or a truncated)
`trainer_state.json`; transformers' `get_last_checkpoint` picked it and the resume
died with FileNotFoundError. Now the resume falls back to the newest complete one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from duelist.engine.runs.events import parse_event
from duelist.engine.training.checkpoints import is_complete, last_complete_checkpoint
from duelist.engine.training.params import RewardParams
from duelist.store import Store
from tiny_models import build_bert, synthetic_pairs, write_pairs_json

ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


def _ckpt(root: Path, step: int, state: str | None) -> Path:
    path = root / f"checkpoint-{step}"
    path.mkdir(parents=True)
    (path / "model.safetensors").write_bytes(b"x")
    if state is not None:
        (path / "trainer_state.json").write_text(state)
    return path


def test_partial_checkpoints_are_skipped_and_removed(tmp_path: Path) -> None:
    good = _ckpt(tmp_path, 2, json.dumps({"global_step": 2}))
    no_state = _ckpt(tmp_path, 4, None)
    truncated = _ckpt(tmp_path, 6, '{"global_step": 6, "log_hi')
    wrong_step = _ckpt(tmp_path, 8, json.dumps({"global_step": 7}))
    logged: list[str] = []
    assert last_complete_checkpoint(tmp_path, logged.append) == good
    assert is_complete(good) and good.exists()
    assert not any(p.exists() for p in (no_state, truncated, wrong_step))
    assert len(logged) == 3 and all("not completely written" in m for m in logged)
    assert last_complete_checkpoint(tmp_path / "missing") is None


def _run(params: Path, db: Path) -> tuple[int, list[dict], str]:
    proc = subprocess.run([sys.executable, "-m", "duelist.engine.training.worker", "--params", str(params),
                           "--db", str(db)], capture_output=True, text=True, env=ENV, timeout=600)
    events = [e for e in (parse_event(x) for x in proc.stdout.splitlines()) if e]
    return proc.returncode, events, proc.stderr


def test_resume_falls_back_past_a_checkpoint_cut_short(tmp_path: Path) -> None:
    base = build_bert(tmp_path / "base")
    data = write_pairs_json(tmp_path / "pairs.json", synthetic_pairs(48))
    db = tmp_path / "p.db"
    Store.open(db).close()
    # First run: 4 steps with a checkpoint every 2 steps; none after the last step
    # (the model dir is written then), so checkpoint-2 is the newest.
    params = RewardParams(model=str(base), data_path=str(data), project_root=str(tmp_path),
                          project_name="rm", epochs=1, lr=3e-3, batch_size=8, save_steps=2,
                          eval_strategy="no", valid_split=0.0, max_steps=4)
    ppath = tmp_path / "params.json"
    ppath.write_text(params.to_json())
    code, _, stderr = _run(ppath, db)
    assert code == 0, stderr
    ckpts = tmp_path / "rm.run" / "checkpoints"
    complete = sorted(ckpts.glob("checkpoint-*"))
    assert [p.name for p in complete] == ["checkpoint-2"]
    # What Ctrl+C during the next save leaves: weights copied, trainer_state.json missing.
    partial = ckpts / "checkpoint-6"
    shutil.copytree(complete[0], partial)
    (partial / "trainer_state.json").unlink()

    ppath.write_text(json.dumps(json.loads(params.to_json()) | {"resume": True, "max_steps": 6}))
    code, events, stderr = _run(ppath, db)
    assert code == 0, stderr
    assert "FileNotFoundError" not in stderr
    messages = [e.get("message", "") for e in events if e["event"] == "log"]
    assert any("checkpoint-6 was not completely written" in m for m in messages), messages
    assert any("resuming from checkpoint-2" in m for m in messages), messages
    start = next(e for e in events if e["event"] == "start")
    assert start["resumed_at_step"] == 2
    assert events[-1]["event"] == "done"
