"""Row readers for every supported input: JSONL, JSON array, CSV/TSV, Parquet, and a
HF `datasets` directory written by `save_to_disk`.

Each reader yields `(row_number, dict)` one row at a time (1-based: the line for
JSONL, the element for a JSON array, the data row for CSV/Parquet/datasets), so
memory stays flat whatever the file size. Parquet and datasets directories are
read with pyarrow directly: no `datasets` import, which costs seconds.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from duelist.engine.errors import InputError

from .jsonstream import first_char, iter_json_array, iter_jsonl
from .textio import Progress, check_readable_file, iter_lines

FORMATS = ("jsonl", "json", "csv", "tsv", "parquet", "hf")
_EXT = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".tsv": "tsv",
        ".parquet": "parquet", ".pq": "parquet"}
_BATCH = 8192

csv.field_size_limit(1 << 30)


def detect_format(path: Path) -> str:
    """Pick a reader from the extension, or from the first bytes when it says nothing."""
    if not path.exists():
        if path.is_symlink():
            raise InputError("symbolic link to nowhere (dangling, or a loop)", path=str(path))
        raise InputError("no such file or directory", path=str(path))
    if path.is_dir():
        if _hf_data_files(path, probe=True):
            return "hf"
        raise InputError("is a directory, not a data file (not a HF datasets directory: no "
                         "state.json or dataset_dict.json inside)", path=str(path))
    check_readable_file(path)
    ext = path.suffix.lower()
    if ext in _EXT:
        return _EXT[ext]
    with path.open("rb") as fh:
        head = fh.read(4)
    if head == b"PAR1":
        return "parquet"
    if ext == ".json" or ext == "":
        return "json" if first_char(path) == "[" else "jsonl"
    ch = first_char(path)
    if ch == "[":
        return "json"
    if ch == "{":
        return "jsonl"
    raise InputError(f"unknown file type '{ext}'; use .jsonl, .json, .csv, .tsv or .parquet, "
                     "or a datasets directory", path=str(path))


def iter_rows(path: Path, fmt: str | None = None,
              progress: Progress | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """Rows of any supported file as plain dicts, streamed."""
    fmt = fmt or detect_format(path)
    if fmt == "jsonl":
        yield from iter_jsonl(path, progress)
    elif fmt == "json":
        yield from iter_json_array(path, progress)
    elif fmt in ("csv", "tsv"):
        yield from iter_csv(path, progress, delimiter="\t" if fmt == "tsv" else ",")
    elif fmt == "parquet":
        yield from iter_parquet(path, progress)
    elif fmt == "hf":
        yield from iter_hf_dir(path, progress)
    else:
        raise InputError(f"unknown format '{fmt}' (use one of {', '.join(FORMATS)})", path=str(path))


def iter_csv(path: Path, progress: Progress | None = None,
             delimiter: str = ",") -> Iterator[tuple[int, dict[str, Any]]]:
    line_of = {"n": 0}

    def texts() -> Iterator[str]:
        for lineno, text in iter_lines(path, progress):
            line_of["n"] = lineno
            yield text

    reader = csv.reader(texts(), delimiter=delimiter, strict=True)
    row = 0
    try:
        header = next(reader, None)
        if header is None or not any(h.strip() for h in header):
            raise InputError("file is empty (no header row)", path=str(path))
        names = [h.strip() for h in header]
        for i, name in enumerate(names, 1):
            if not name:
                raise InputError(f"header field {i} is empty", path=str(path), row=None)
            if names.index(name) != i - 1:
                raise InputError("column appears twice in the header", path=str(path), column=name)
        width = len(names)
        for fields in reader:
            if not fields:
                continue  # blank line
            row += 1
            if len(fields) != width:
                kind = "more" if len(fields) > width else "fewer"
                raise InputError(f"has {len(fields)} fields, {kind} than the {width} columns in "
                                 f"the header (line {line_of['n']})", path=str(path), row=row)
            yield row, dict(zip(names, fields, strict=True))
    except csv.Error as exc:
        raise InputError(f"malformed CSV at line {line_of['n']}: {exc}", path=str(path),
                         row=row + 1 if line_of["n"] > 1 else None) from None


def iter_parquet(path: Path, progress: Progress | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(str(path))
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"not a readable Parquet file ({_first_line(exc)})", path=str(path)) from None
    total = pf.metadata.num_rows
    row = 0
    try:
        for batch in pf.iter_batches(batch_size=_BATCH):
            for rec in batch.to_pylist():
                row += 1
                yield row, rec
            if progress is not None:
                progress(row, total)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"corrupt Parquet data ({_first_line(exc)})", path=str(path),
                         row=row + 1) from None


def _hf_data_files(path: Path, probe: bool = False) -> list[Path]:
    """The Arrow files of a `save_to_disk` directory, in order (all splits of a DatasetDict)."""
    dict_file = path / "dataset_dict.json"
    if dict_file.is_file():
        try:
            splits = json.loads(dict_file.read_text("utf-8"))["splits"]
        except (ValueError, KeyError, TypeError, OSError):
            if probe:
                return [dict_file]
            raise InputError("dataset_dict.json is unreadable", path=str(path)) from None
        files: list[Path] = []
        for split in splits:
            files.extend(_hf_data_files(path / split, probe))
        return files
    state = path / "state.json"
    if not state.is_file():
        return []
    if probe:
        return [state]
    try:
        names = [f["filename"] for f in json.loads(state.read_text("utf-8"))["_data_files"]]
    except (ValueError, KeyError, TypeError, OSError):
        raise InputError("state.json is unreadable (not a save_to_disk directory?)",
                         path=str(path)) from None
    return [path / n for n in names]


def iter_hf_dir(path: Path, progress: Progress | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    import pyarrow as pa

    files = _hf_data_files(path)
    row = 0
    for n, file in enumerate(files, 1):
        try:
            with pa.memory_map(str(file)) as source:
                reader = pa.ipc.open_stream(source)
                for batch in reader:
                    for rec in batch.to_pylist():
                        row += 1
                        yield row, rec
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(f"unreadable Arrow data in {file.name} ({_first_line(exc)})",
                             path=str(path), row=row + 1) from None
        if progress is not None:
            progress(n, len(files))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
