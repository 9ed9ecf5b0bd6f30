"""Reading text files line by line, safely: encodings, BOMs, NUL bytes, bad bytes.

Why a layer of its own: every text format (JSONL, JSON, CSV) needs the same
checks, and each failure must name the file and the line. Decoding one line at a
time keeps memory flat for million-row files and makes the line number of a bad
byte exact.
"""

from __future__ import annotations

import codecs
import io
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from duelist.engine.errors import InputError

Progress = Callable[[int, int], None]
"""progress(done, total): bytes (or rows) read so far, out of total."""

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_UTF32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)


def check_readable_file(path: Path) -> None:
    """Fail with one line when `path` is missing, a directory, or unreadable."""
    if not path.exists():
        if path.is_symlink():
            raise InputError("symbolic link to nowhere (dangling, or a loop)", path=str(path))
        raise InputError("no such file", path=str(path))
    if path.is_dir():
        raise InputError("is a directory, not a data file (a HF datasets directory needs its "
                         "dataset_info.json / state.json)", path=str(path))
    if not path.is_file():  # reading a FIFO with no writer would block forever
        raise InputError("is not a regular file (a pipe, socket or device); save the data to "
                         "a file first", path=str(path))
    if not os.access(path, os.R_OK):
        raise InputError("cannot read the file (permission denied)", path=str(path))


def sniff_encoding(path: Path) -> str:
    """'utf-8', 'utf-8-sig' or 'utf-16', from the first bytes of the file."""
    try:
        with path.open("rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        raise InputError(f"cannot open the file ({exc.strerror or exc})", path=str(path)) from None
    if head.startswith(_UTF32_BOMS[0]) or head.startswith(_UTF32_BOMS[1]):
        raise InputError("is UTF-32 encoded; save it as UTF-8", path=str(path))
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith(_UTF16_BOMS):
        return "utf-16"
    return "utf-8"


def iter_lines(path: Path, progress: Progress | None = None) -> Iterator[tuple[int, str]]:
    """Yield (line number, text) with line endings kept, 1-based.

    UTF-8 (with or without BOM) is decoded per line so an invalid byte is
    reported at its line; UTF-16 with a BOM is decoded as a stream.
    """
    check_readable_file(path)
    encoding = sniff_encoding(path)
    total = path.stat().st_size
    if encoding == "utf-16":
        yield from _iter_utf16(path, total, progress)
        return
    done = 0
    step = max(total // 200, 1 << 20)
    next_report = step
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot open the file ({exc.strerror or exc})", path=str(path)) from None
    with fh:
        for lineno, raw in enumerate(fh, 1):
            done += len(raw)
            if lineno == 1 and encoding == "utf-8-sig":
                raw = raw[len(codecs.BOM_UTF8):]
            if b"\x00" in raw:
                raise InputError(_nul_message(raw), path=str(path), row=lineno)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"invalid UTF-8 byte 0x{raw[exc.start]:02x} at byte {exc.start + 1} of the line; "
                    "save the file as UTF-8", path=str(path), row=lineno) from None
            if progress is not None and done >= next_report:
                progress(done, total)
                next_report = done + step
            yield lineno, text
    if progress is not None:
        progress(total, total)


def _nul_message(raw: bytes) -> str:
    if raw.count(b"\x00") * 3 >= len(raw):
        return "contains NUL bytes: looks like UTF-16 without a BOM or a binary file; save it as UTF-8"
    return "contains a NUL byte (binary data?); remove it"


def _iter_utf16(path: Path, total: int, progress: Progress | None) -> Iterator[tuple[int, str]]:
    lineno = 0
    try:
        with path.open("rb") as raw, io.TextIOWrapper(raw, encoding="utf-16", newline="") as fh:
            while True:
                try:
                    line = fh.readline()
                except UnicodeDecodeError:
                    raise InputError("invalid UTF-16 data; save the file as UTF-8",
                                     path=str(path), row=lineno + 1) from None
                if not line:
                    break
                lineno += 1
                if "\x00" in line:
                    raise InputError("contains a NUL character; remove it", path=str(path), row=lineno)
                yield lineno, line
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror or exc})", path=str(path)) from None
    if progress is not None:
        progress(total, total)
