"""Atomic writes: a file or a folder appears complete under its final name, or not at all.

The one helper for both shapes (exports, scored files, calibration.json: `atomic_file`;
model dirs, ensembles, datasets exports: `atomic_dir`). Everything is written into a
hidden temp beside the target (the SAME folder, so the final rename is atomic) and
renamed into place at the end. The TUI and the registry treat "the model directory
exists" as "the model is complete"; a reader of an export never sees half a file.

Hidden temp files beside an output, and the clean-up of ones a killed run left:

Outputs (exports, scored files) are written to a hidden temp file in the same
folder and renamed into place, so a final name never holds half a file. A run
killed with SIGKILL cannot delete its temp file, and those can be as large as the
whole output. The name therefore carries the writer's process id,
`.<name>.tmp-<pid>-<random>`, and the next run into the same folder deletes temp
files of `<name>` whose process is gone. Names in the older formats
(`.<name>.tmp-<random>`, `.<name>.<random>.tmp`) carry no pid and are deleted when
older than `LEGACY_AGE_S`.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from duelist.engine.errors import DuelistError
from duelist.engine.files.file_modes import fix_dir_mode, fix_file_mode

LEGACY_AGE_S = 600


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def sweep_stale(out: Path) -> list[Path]:
    """Delete temp files of `out` left behind by dead writers; return what was deleted."""
    folder, name = out.parent, out.name
    ours = re.compile(rf"^\.{re.escape(name)}\.tmp-(\d+)-[^/]+$")
    legacy = re.compile(rf"^\.{re.escape(name)}\.(tmp-[^/]+|[^/]+\.tmp)$")
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        if not entry.name.startswith(f".{name}."):
            continue
        with contextlib.suppress(OSError):
            if not entry.is_file(follow_symlinks=False):
                continue
            m = ours.match(entry.name)
            if m:
                stale = not _alive(int(m.group(1)))
            elif legacy.match(entry.name):
                stale = now - entry.stat(follow_symlinks=False).st_mtime > LEGACY_AGE_S
            else:
                continue
            if stale:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


@contextlib.contextmanager
def atomic_file(out: Path) -> Iterator[Path]:
    """Yield a hidden temp path beside `out`; renamed onto `out` on success, else deleted."""
    sweep_stale(out)
    fd, name = tempfile.mkstemp(prefix=f".{out.name}.tmp-{os.getpid()}-", dir=out.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        fix_file_mode(tmp, out)  # mkstemp made it 0600 whatever the umask (file_modes.py)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def check_writable(out: Path) -> None:
    """Raise OSError now if `out` cannot be written (a directory, a read-only or missing
    folder): checked before minutes of scoring, not after. Also sweeps stale temp files."""
    if out.is_dir():
        raise IsADirectoryError(21, "is a directory", str(out))
    if not out.parent.is_dir():
        raise FileNotFoundError(2, f"folder {out.parent} does not exist", str(out))
    sweep_stale(out)
    fd, name = tempfile.mkstemp(prefix=f".{out.name}.tmp-{os.getpid()}-", dir=out.parent)
    os.close(fd)
    os.unlink(name)


@contextlib.contextmanager
def atomic_dir(target: str | Path, *, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temp dir; on success it replaces `target` in one rename, on error it vanishes."""
    target = Path(target).resolve()
    if target.exists() and not target.is_dir():
        # A file (the project database, a data file) is never a model: never move it aside.
        raise DuelistError(f"'{target}' is an existing file, not a model directory; refusing "
                           "to replace it. Choose another --project-name")
    if overwrite and target.is_dir() and not _replaceable(target):
        # Replacing means deleting the old dir: never do that to a folder that is not a
        # model (the project folder, a data folder picked as --project-name by mistake).
        raise DuelistError(f"'{target}' exists and is not a model directory; refusing to "
                           "replace it. Choose another --project-name")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        yield tmp
        fix_dir_mode(tmp, target)  # mkdtemp made it 0700 whatever the umask
        if target.exists():
            if not overwrite:
                raise FileExistsError(f"{target} already exists")
            # Move the old dir aside first, so there is no moment without a complete model.
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
            os.rename(target, old / "m")
            os.rename(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _replaceable(folder: Path) -> bool:
    """An empty folder, or one holding a model, an adapter or an ensemble."""
    markers = ("duelist.json", "config.json", "adapter_config.json", "ensemble.json")
    return not any(folder.iterdir()) or any((folder / m).is_file() for m in markers)
