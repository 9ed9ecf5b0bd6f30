"""Is a process still there, and stopping it. Shared by the run follower and the scoring job.

Lives in the engine (stdlib only) so both layers use one answer: a zombie counts as
dead, and with `run_id` a reused pid of someone else's process does not count.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import subprocess
import time
from pathlib import Path


def pid_alive(pid: int | None, run_id: int | None = None) -> bool:
    """Is `pid` a live (not zombie) process, and, with `run_id`, the worker of that run?

    The run-id check guards against pid reuse after a reboot or a long pause (Linux).
    """
    if not pid or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    proc = Path(f"/proc/{pid}")
    if proc.exists():
        try:
            stat = (proc / "stat").read_text()
            if stat.rsplit(")", 1)[-1].split()[0] == "Z":
                return False
            args = (proc / "cmdline").read_bytes().split(b"\0")
            if run_id is None:
                return True
            ours = any(a == b"--run-id" and b == str(run_id).encode()
                       for a, b in itertools.pairwise(args))
            return ours or any(b"duelist" in a for a in args)  # e.g. `duelist train` itself
        except OSError:
            return False
    return True


def stop_process_group(pid: int, process: subprocess.Popen[bytes] | None = None,
                       grace_s: float = 5.0) -> None:
    """SIGTERM the worker's whole group, then SIGKILL whatever is left after `grace_s`.

    The group, because a worker started through `accelerate launch` has children that
    must stop with it; never our own group (that would stop the app or CLI itself).
    """
    try:
        group = os.getpgid(pid)  # the launcher's group, also when pid is a child of it
    except (ProcessLookupError, PermissionError):
        return
    if group == os.getpgid(0):
        group = 0
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if group:
                os.killpg(group, sig)
            else:
                os.kill(pid, sig)
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline:
            if process is not None:
                if process.poll() is not None:
                    return
            elif not pid_alive(pid):
                return
            time.sleep(0.05)
