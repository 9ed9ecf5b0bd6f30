"""Streaming JSON readers: JSON Lines, and a top-level JSON array of objects.

The array reader decodes one element at a time from a rolling buffer
(`JSONDecoder.raw_decode`), so a million-row array never sits in memory whole.
Rows are numbered from 1: the line number for JSONL, the element index for an
array; syntax errors also give the file's line and column.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from duelist.engine.errors import InputError
from duelist.engine.ingest.textio import Progress, iter_lines

_decoder = json.JSONDecoder()
_WS = " \t\r\n"
_CHUNK_LINES = 4096
_TOO_DEEP = "JSON nested too deeply (thousands of levels): not a list of records"


def _type_name(value: Any) -> str:
    return {list: "an array", str: "a string", int: "a number", float: "a number",
            bool: "a boolean", type(None): "null"}.get(type(value), type(value).__name__)


def _number_error(exc: ValueError) -> str:
    return f"a number has too many digits ({' '.join(str(exc).split())[:80]})"


def iter_jsonl(path: Path, progress: Progress | None = None) -> Iterator[tuple[int, dict]]:
    # The C scanner straight away (what json.loads reaches after two Python
    # wrappers); any line it does not take whole goes through json.loads, which
    # parses it the same way or gives the precise error.
    scan = _decoder.scan_once
    loads = json.loads
    for lineno, text in iter_lines(path, progress):
        try:
            obj, end = scan(text, 0)
            if end != len(text) and text[end:].strip():
                obj = loads(text)  # trailing data: let json.loads word the error
        except (StopIteration, json.JSONDecodeError):
            if not text.strip():
                continue
            try:
                obj = loads(text)
            except json.JSONDecodeError as exc:
                raise InputError(f"malformed JSON at column {exc.colno}: {exc.msg}",
                                 path=str(path), row=lineno) from None
        except RecursionError:
            raise InputError(_TOO_DEEP, path=str(path), row=lineno) from None
        except ValueError as exc:  # a 5,000-digit integer: Python's conversion limit
            raise InputError(_number_error(exc), path=str(path), row=lineno) from None
        if not isinstance(obj, dict):
            raise InputError(f"expected a JSON object per line, got {_type_name(obj)}",
                             path=str(path), row=lineno)
        yield lineno, obj


def first_char(path: Path) -> str:
    """The first non-blank character of a text file ('' when it is empty)."""
    for _, text in iter_lines(path):
        stripped = text.strip()
        if stripped:
            return stripped[0]
    return ""


class _ArrayReader:
    """Pull elements of `[ {...}, {...} ]` out of a growing text buffer."""

    def __init__(self, path: Path, progress: Progress | None) -> None:
        self.path = path
        self.lines = iter_lines(path, progress)
        self.buf = ""
        self.pos = 0
        self.base_line = 1  # file line of buf[0]
        self.eof = False

    def _more(self) -> bool:
        if self.eof:
            return False
        parts = []
        for _ in range(_CHUNK_LINES):
            try:
                parts.append(next(self.lines)[1])
            except StopIteration:
                self.eof = True
                break
        if self.pos:
            self.base_line += self.buf.count("\n", 0, self.pos)
            self.buf = self.buf[self.pos:]
            self.pos = 0
        self.buf += "".join(parts)
        return bool(parts)

    def _skip_ws(self) -> str:
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in _WS:
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._more():
                return ""

    def _line_col(self, index: int) -> tuple[int, int]:
        line = self.base_line + self.buf.count("\n", 0, index)
        col = index - (self.buf.rfind("\n", 0, index) + 1) + 1
        return line, col

    def _fail(self, message: str, index: int, row: int | None = None) -> InputError:
        line, col = self._line_col(index)
        return InputError(f"malformed JSON at line {line} column {col}: {message}",
                          path=str(self.path), row=row)

    def __iter__(self) -> Iterator[tuple[int, dict]]:
        ch = self._skip_ws()
        if ch == "":
            raise InputError("file is empty", path=str(self.path))
        if ch != "[":
            raise self._fail("expected a JSON array of objects", self.pos)
        self.pos += 1
        row = 0
        expect_value = False
        while True:
            ch = self._skip_ws()
            if ch == "":
                raise self._fail("unexpected end of file inside the array", len(self.buf), row + 1)
            if ch == "]" and not expect_value:
                self.pos += 1
                break
            row += 1
            obj = self._decode(row)
            if not isinstance(obj, dict):
                raise InputError(f"expected a JSON object, got {_type_name(obj)}",
                                 path=str(self.path), row=row)
            yield row, obj
            ch = self._skip_ws()
            if ch == ",":
                self.pos += 1
                expect_value = True
            elif ch == "]":
                self.pos += 1
                break
            else:
                raise self._fail("expected ',' or ']' after an element", self.pos, row)
        if self._skip_ws() != "":
            raise self._fail("extra data after the closing ']'", self.pos)

    def _may_be_truncated(self, exc: json.JSONDecodeError) -> bool:
        # More text can only help when the error is at the end of what we hold.
        return exc.msg.startswith("Unterminated") or exc.pos >= len(self.buf.rstrip()) - 1

    def _decode(self, row: int) -> Any:
        while True:
            try:
                obj, end = _decoder.raw_decode(self.buf, self.pos)
            except RecursionError:
                raise self._fail(_TOO_DEEP, self.pos, row) from None
            except json.JSONDecodeError as exc:
                if self.eof or not self._may_be_truncated(exc):
                    raise self._fail(exc.msg, exc.pos, row) from None
                if not self._more():
                    raise self._fail(exc.msg, exc.pos, row) from None
                continue
            except ValueError as exc:  # a 5,000-digit integer: Python's conversion limit
                raise self._fail(_number_error(exc), self.pos, row) from None
            if end >= len(self.buf) and not self.eof:
                # A number at the very end of the buffer may go on in the next chunk.
                self._more()
                continue
            self.pos = end
            return obj


def iter_json_array(path: Path, progress: Progress | None = None) -> Iterator[tuple[int, dict]]:
    yield from _ArrayReader(path, progress)
