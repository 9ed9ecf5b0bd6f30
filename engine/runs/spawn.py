"""The one way to start an engine worker process (training or scoring).

Why each choice, shared by every caller (the app's launch, `duelist train`, the
background scoring job):
- stdout and stderr go to FILES, not pipes. A pipe dies with whoever reads it, and
  with it a run the user chose to leave running when the app quit; a file lets the
  next app (or a follower in another thread) pick the stream up where it was.
- The worker gets its own session (process group): Ctrl+C in the terminal does not
  reach it behind its watcher's back, and stopping it signals it and every child it
  spawned (`accelerate launch` ranks) at once (`processes.stop_process_group`).
- Unbuffered Python, so events reach the file line by line as they happen.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path

# Environment every worker gets: events flushed at once; no tokenizers thread pool
# forked behind our back (its warning would fill the log).
WORKER_ENV = {"PYTHONUNBUFFERED": "1", "TOKENIZERS_PARALLELISM": "false"}


def spawn_worker(argv: list[str], *, stdout: Path | None, stderr: Path | None = None,
                 cwd: Path | None = None, nice: int = 0) -> subprocess.Popen[bytes]:
    """Start `argv` detached, appending its stdout to `stdout` and its stderr to `stderr`.

    `stdout=None` discards the output; `stderr=None` sends stderr where stdout goes.
    `nice` lowers the worker's CPU priority (the app keeps judging snappy while a run
    trains). The caller owns the returned process and must reap it.
    """
    env = {**os.environ, **WORKER_ENV}
    with contextlib.ExitStack() as files:
        out = files.enter_context(stdout.open("ab")) if stdout else subprocess.DEVNULL
        err = files.enter_context(stderr.open("ab")) if stderr else \
            (subprocess.STDOUT if stdout else subprocess.DEVNULL)
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                   cwd=cwd, env=env, start_new_session=True)
    if nice:
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, process.pid, nice)
    return process
