"""The GPU paths of `duelist train` and `duelist score`, each run for real, one line each.

Run through `bench/gpu_check.sh` on a machine with NVIDIA GPUs (it prepares the
environment). Tiny models are built from configs (tests/tiny_models.py): nothing is
downloaded. Every check runs the real CLI in a subprocess, then inspects what it
wrote, and prints one line:

    PASS int4-qlora       3.1s  adapter + score head saved; reloads and scores on cuda:0
    FAIL fp16             2.0s  exit 1: ...
    SKIP num-processes-2  -     needs 2 GPUs, 1 visible

Exit status: 0 when nothing failed, 1 when a check failed, 2 when there is no GPU
(unless --allow-cpu, which runs what the CPU can and skips the rest: the suite uses
it to keep this script working between GPU sessions).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from tiny_models import build_bert, build_llama, synthetic_pairs, write_pairs_json  # noqa: E402

DUELIST = [sys.executable, "-m", "duelist.tui.cli.main"]


class Skip(Exception):
    """A check that cannot run on this machine (said, not failed)."""


def gpu_count() -> int:
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def duelist(work: Path, *args: str, timeout: int = 900) -> str:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "COLUMNS": "160"}
    r = subprocess.run([*DUELIST, *args], cwd=work, capture_output=True, text=True, env=env,
                       timeout=timeout)
    if r.returncode != 0:
        tail = " ".join((r.stderr or r.stdout).split())[-300:]
        raise AssertionError(f"duelist {args[0]} exit {r.returncode}: {tail}")
    return r.stdout + r.stderr


def train(work: Path, name: str, model: str, *extra: str) -> dict[str, Any]:
    duelist(work, "train", "--model", model, "--data-path", "pairs.json", "--project-name", name,
            "--epochs", "1", "--batch-size", "8", "--max-seq-length", "64", *extra)
    return json.loads((work / name / "duelist.json").read_text())


def loads_and_scores(path: Path) -> str:
    """Reload the dir with Duelist's loader (GPU by default) and score one pair."""
    from duelist.engine.scoring.reward_model import RewardModel

    model = RewardModel.load(path)
    rewards = model.score_batch(["what is it"] * 2, ["good answer", "bad answer"])
    assert all(r == r for r in rewards), f"NaN reward: {rewards}"
    return str(next(model.model.parameters()).device)


def check_quantized(bits: str, gpus: int, work: Path) -> str:
    if not gpus:
        raise Skip("bitsandbytes int4/int8 needs CUDA")
    meta = train(work, f"q{bits}", "./llama", "--peft", "--quantization", bits)
    out = work / f"q{bits}"
    assert (out / "adapter_config.json").exists(), "no adapter_config.json"
    saved = json.loads((out / "adapter_config.json").read_text()).get("modules_to_save") or []
    assert any("score" in m for m in saved), f"score head not in modules_to_save: {saved}"
    device = loads_and_scores(out)
    return f"adapter + score head saved (precision {meta.get('precision')}); scores on {device}"


def check_precision(kind: str, gpus: int, work: Path) -> str:
    if not gpus:
        raise Skip(f"{kind} autocast is checked on CUDA")
    meta = train(work, kind, "./bert", "--mixed-precision", kind)
    assert meta.get("precision") == kind, f"trained in {meta.get('precision')}, not {kind}"
    assert meta.get("device") == "cuda", f"trained on {meta.get('device')}"
    acc = meta["metrics"].get("valid_accuracy")
    return f"trained on cuda in {kind}; valid accuracy {acc} on {meta['counts']['valid']} pairs"


def check_merge(gpus: int, work: Path) -> str:
    train(work, "merged", "./llama", "--peft", "--merge-adapter")
    from transformers import AutoModelForSequenceClassification

    plain = AutoModelForSequenceClassification.from_pretrained(work / "merged")
    assert plain.config.num_labels == 1
    assert not (work / "merged" / "adapter_config.json").exists(), "top level is not merged"
    assert (work / "merged" / "adapter" / "adapter_config.json").exists(), "adapter not kept"
    return f"merged dir loads in plain transformers; scores on {loads_and_scores(work / 'merged')}"


def check_two_processes(gpus: int, work: Path) -> str:
    if gpus < 2:
        raise Skip(f"needs 2 GPUs, {gpus} visible")
    meta = train(work, "ddp", "./bert", "--num-processes", "2")
    one = train(work, "single", "./bert", "--num-processes", "1")
    steps, single = meta["metrics"]["steps"], one["metrics"]["steps"]
    assert steps * 2 in (single, single + 1), f"2 ranks took {steps} steps, 1 rank {single}"
    return f"2 ranks: {steps} optimizer steps vs {single} for 1 rank"


def check_score(gpus: int, work: Path) -> str:
    if not (work / "bf16").exists():
        train(work, "bf16", "./bert")
    rows = [{"prompt": "what is it", "response": r} for r in ("good answer", "bad answer")]
    (work / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    duelist(work, "score", "in.jsonl", "out.jsonl", "--model", "bf16", "--no-progress")
    out = [json.loads(line) for line in (work / "out.jsonl").read_text().splitlines()]
    assert len(out) == len(rows) and all("reward" in r for r in out), "rows or rewards missing"
    device = loads_and_scores(work / "bf16")
    if gpus:
        assert device.startswith("cuda"), f"scored on {device}"
    return f"{len(out)} rows scored; the model loads on {device}"


CHECKS: list[tuple[str, Callable[[int, Path], str]]] = [
    ("int4-qlora", lambda g, w: check_quantized("int4", g, w)),
    ("int8-qlora", lambda g, w: check_quantized("int8", g, w)),
    ("fp16", lambda g, w: check_precision("fp16", g, w)),
    ("bf16", lambda g, w: check_precision("bf16", g, w)),
    ("merge-adapter", check_merge),
    ("num-processes-2", check_two_processes),
    ("score", check_score),
]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--work", type=Path, required=True, help="scratch folder")
    p.add_argument("--allow-cpu", action="store_true",
                   help="run what the CPU can and skip the GPU-only checks")
    p.add_argument("--only", nargs="*", help="run only these checks")
    args = p.parse_args(argv)
    gpus = gpu_count()
    if not gpus and not args.allow_cpu:
        print("no NVIDIA GPU visible to torch: nothing to check (use --allow-cpu to try the rest)")
        return 2
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # one line per check, not a bar per weight file
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    build_bert(work / "bert")
    build_llama(work / "llama")
    write_pairs_json(work / "pairs.json", synthetic_pairs(48))
    import torch

    print(f"torch {torch.__version__}, {gpus} GPU(s)"
          + (f": {torch.cuda.get_device_name(0)}" if gpus else ""), flush=True)
    failed = 0
    for name, check in CHECKS:
        if args.only and name not in args.only:
            continue
        t0 = time.monotonic()
        try:
            detail = check(gpus, work)
            status = "PASS"
        except Skip as why:
            status, detail = "SKIP", str(why)
        except Exception as exc:  # one line per check, whatever broke
            status, detail = "FAIL", " ".join(f"{type(exc).__name__}: {exc}".split())[:400]
            failed += 1
        took = "-" if status == "SKIP" else f"{time.monotonic() - t0:.1f}s"
        print(f"{status} {name:<16} {took:>6}  {detail}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
