"""Reading small metadata files that a model dir or a dataset dir names: safely.

Why: `duelist.json`, `calibration.json`, `ensemble.json`, a datasets directory's
`state.json` / `dataset_dict.json` all come with files we did not write. One of them
can be a FIFO (opening it blocks forever), a link to `/dev/zero` (reading never
ends and memory runs out), or can name a file outside its folder
(`"filename": "../../../../etc/shadow"`). Everything here opens only regular files,
only inside the folder it belongs to (symlinks followed, then checked), and never
reads more than a size limit.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

META_LIMIT = 4 << 20  # no metadata file Duelist reads is anywhere near 4 MiB


class UnsafeFile(ValueError):
    """A file that must not be read: not regular, outside its folder, or too large."""


def check_inside(path: Path, folder: Path) -> Path:
    """`path` resolved; UnsafeFile when it leads outside `folder` (after symlinks)."""
    real, root = Path(os.path.realpath(path)), Path(os.path.realpath(folder))
    if real != root and not real.is_relative_to(root):
        raise UnsafeFile(f"'{path}' leads outside '{folder}'")
    return real


def check_regular(path: Path) -> os.stat_result:
    """stat of `path` (symlinks followed); UnsafeFile unless it is a regular file."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise UnsafeFile(f"'{path}': {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        raise UnsafeFile(f"'{path}' is not a regular file (a pipe, device or folder)")
    return st


def read_bytes(path: Path, *, inside: Path | None = None, limit: int = META_LIMIT) -> bytes:
    """The bytes of a small regular file, or UnsafeFile."""
    path = Path(path)
    if inside is not None:
        check_inside(path, inside)
    check_regular(path)
    try:
        # O_NONBLOCK: if the file was swapped for a FIFO after the check, open still returns.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise UnsafeFile(f"'{path}': {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise UnsafeFile(f"'{path}' is not a regular file (a pipe, device or folder)")
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise UnsafeFile(f"'{path}' is larger than {limit >> 20} MiB; not a metadata file")
    return data


def read_json(path: Path, *, inside: Path | None = None, limit: int = META_LIMIT) -> Any:
    """Parsed JSON of a small regular file. UnsafeFile, or ValueError for bad JSON."""
    data = read_bytes(path, inside=inside, limit=limit)
    try:
        return json.loads(data.decode("utf-8"))
    except RecursionError:
        raise ValueError("nested too deeply") from None
