"""Give atomically written outputs the permissions a plain `open()` would.

Why: every output is written to a temp file or dir and renamed into place, and
`tempfile.mkstemp`/`mkdtemp` create them 0600/0700 whatever the umask. So exports and
scored files came out private (0600), model dirs 0700, and replacing a 0644 file
turned it into 0600 (issue 14, item 12): a teammate, a web server or a training job
under another user could not read them. The fix, applied just before the rename:
a new output gets `0666 & ~umask` (files) or `0777 & ~umask` (dirs), as `open()` and
`mkdir()` would give; a replaced output keeps the mode it had.

Stdlib only.
"""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

_lock = threading.Lock()


def current_umask() -> int:
    """The process umask (read from /proc on Linux; else set-and-restore under a lock)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _lock:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def _mode_for(target: Path, default: int) -> int:
    try:
        return stat.S_IMODE(target.stat().st_mode)  # replacing: keep what the user had
    except OSError:
        return default & ~current_umask()


def fix_file_mode(tmp: str | Path, target: str | Path) -> None:
    """Before `os.replace(tmp, target)`: give `tmp` the mode `target` should end with."""
    os.chmod(tmp, _mode_for(Path(target), 0o666))


def fix_dir_mode(tmp: str | Path, target: str | Path) -> None:
    """Before renaming a temp dir onto `target`: the mode `mkdir` would have given, or
    the replaced dir's. Only the top dir is affected; files inside were written with
    plain `open()` and already follow the umask."""
    os.chmod(tmp, _mode_for(Path(target), 0o777))
