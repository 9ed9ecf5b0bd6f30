"""Child processes for the annotation crash test: the real DuelistApp, headless,
judging as fast as keys can be pressed until it is killed.

`python _annotate_driver.py DB` starts a small fork server: it imports Textual
and Duelist once, then for each seed read from stdin forks a fresh child that
opens DB and runs the app, prints `pid N`, waits for that child to die and
prints `exit STATUS` (negative: killed by that signal). Forking a pre-imported
process keeps twenty restarts cheap on two cores; each child is still a separate
process with its own SQLite connection, killed with SIGKILL mid-work.

The app appends each annotation id to DUELIST_ACK_FILE (fsynced) right after its
COMMIT, which is what "acknowledged as saved" means. Keys are the real bindings
(1/2/a/b/arrows/t/x/s, and u for undo now and then), chosen by a seeded RNG.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys

from duelist.tui.app import AnnotateOptions, DuelistApp

KEYS = ["1", "2", "a", "b", "left", "right", "t", "x", "s"] * 3 + ["u"]


async def drive(db: str, seed: int) -> None:
    app = DuelistApp(db, AnnotateOptions(annotator="crash-test", seed=seed, stamp_timing=False,
                                         gold_rate=0.0))
    rng = random.Random(seed)
    async with app.run_test(headless=True, size=(110, 34)) as pilot:
        while True:
            await pilot.press(rng.choice(KEYS))


def serve(db: str) -> None:
    for line in sys.stdin:
        seed = int(line)
        pid = os.fork()
        if pid == 0:
            try:
                asyncio.run(drive(db, seed))
            finally:
                os._exit(1)  # the app never ends by itself; reaching here is a failure
        print(f"pid {pid}", flush=True)
        _, status = os.waitpid(pid, 0)
        code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        print(f"exit {code}", flush=True)


if __name__ == "__main__":
    serve(sys.argv[1])
