"""Is a process still there? Shared by the TUI's run monitor and the scoring job.

Lives in the engine (stdlib only) so both layers use one answer: a zombie counts as
dead, and with `run_id` a reused pid of someone else's process does not count.
"""

from __future__ import annotations

import itertools
import os
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
