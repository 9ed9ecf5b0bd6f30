"""bench/gpu_check.py keeps working between GPU sessions: on the CPU (--allow-cpu) it
runs the checks the CPU can (merging the adapter, `duelist score`) for real and says
SKIP, with the reason, for the GPU-only ones; without --allow-cpu it refuses in one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "bench" / "gpu_check.py"


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True,
                          timeout=600)


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


@pytest.mark.skipif(_cuda(), reason="this machine has a GPU: the script would run")
def test_without_a_gpu_it_refuses_in_one_line(tmp_path: Path) -> None:
    r = _run("--work", str(tmp_path / "w"), "--only", "score")
    assert r.returncode == 2
    assert r.stdout.strip() == ("no NVIDIA GPU visible to torch: nothing to check "
                                "(use --allow-cpu to try the rest)")


@pytest.mark.slow
@pytest.mark.skipif(_cuda(), reason="on a GPU machine run bench/gpu_check.sh itself")
def test_on_the_cpu_each_check_prints_one_line(tmp_path: Path) -> None:
    r = _run("--work", str(tmp_path / "w"), "--allow-cpu")
    lines = [line.split() for line in r.stdout.splitlines()
             if line.split()[:1] in (["PASS"], ["FAIL"], ["SKIP"])]
    status = {parts[1]: parts[0] for parts in lines}
    assert status == {"int4-qlora": "SKIP", "int8-qlora": "SKIP", "fp16": "SKIP",
                      "bf16": "SKIP", "merge-adapter": "PASS", "num-processes-2": "SKIP",
                      "score": "PASS"}, r.stdout + r.stderr[-2000:]
    assert r.returncode == 0
