"""Row readers for every supported input: JSONL, JSON array, CSV/TSV, Parquet, and a
HF `datasets` directory written by `save_to_disk`.

Each reader yields `(row_number, dict)` one row at a time (1-based: the line for
JSONL, the element for a JSON array, the data row for CSV/Parquet/datasets), so
memory stays flat whatever the file size. Parquet and datasets directories are
read with pyarrow directly: no `datasets` import, which costs seconds.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from duelist.engine.errors import InputError
from duelist.engine.files import safe_read
from duelist.engine.ingest import parquet_budget
from duelist.engine.ingest.jsonstream import first_char, iter_json_array, iter_jsonl
from duelist.engine.ingest.textio import Progress, check_readable_file, iter_lines

FORMATS = ("jsonl", "json", "csv", "tsv", "parquet", "hf")
_EXT = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".tsv": "tsv",
        ".parquet": "parquet", ".pq": "parquet"}
_BATCH = 8192
BATCH_BYTES = 16 << 20  # bytes per Arrow batch (datasets dir; Parquet: parquet_budget.py)

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
        seen: set[str] = set()  # a set, not names.index(): 100,000 columns took 60 s
        for i, name in enumerate(names, 1):
            if not name:
                raise InputError(f"header field {i} is empty", path=str(path), row=None)
            if name in seen:
                raise InputError("column appears twice in the header", path=str(path), column=name)
            seen.add(name)
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

    try:
        pf = parquet_budget.open_parquet(path)  # memory budget: parquet_budget.py
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"not a readable Parquet file ({_first_line(exc)})", path=str(path)) from None
    _refuse_duplicate_columns(pf.schema_arrow.names, path)
    parquet_budget.check_row_groups(pf, path)
    total = pf.metadata.num_rows
    row = 0
    try:
        for batch in pf.iter_batches(batch_size=parquet_budget.batch_rows(pf), use_threads=False):
            for rec in batch.to_pylist():
                row += 1
                yield row, rec
            if progress is not None:
                progress(row, total)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"corrupt Parquet data ({_first_line(exc)})", path=str(path),
                         row=row + 1) from None


def _refuse_duplicate_columns(names: list[str], path: Path) -> None:
    """Two columns with one name: the row dict would keep only the last, silently.
    CSV refuses the same thing."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise InputError("column appears twice in the file's schema", path=str(path),
                             column=name)
        seen.add(name)


def _hf_data_files(path: Path, probe: bool = False) -> list[Path]:
    """The Arrow files of a `save_to_disk` directory, in order (all splits of a DatasetDict).

    Every file is opened only if it is a regular file inside `path` (after symlinks) and
    the JSON files are read with a size limit: `state.json` can name `../../etc/shadow`
    or a FIFO, a `dataset_dict.json` can list the split "." (endless recursion).
    """
    dict_file = path / "dataset_dict.json"
    if dict_file.is_file() or dict_file.is_symlink():
        if probe:
            return [dict_file]
        splits = _meta(dict_file, path, "splits")
        files: list[Path] = []
        for split in splits:
            if not isinstance(split, str) or not _plain_name(split):
                raise InputError(f"dataset_dict.json names the split {split!r}, which is not a "
                                 "folder name", path=str(path))
            files.extend(_split_files(path / split, path))
        return files
    state = path / "state.json"
    if not (state.is_file() or state.is_symlink()):
        return []
    if probe:
        return [state]
    return _split_files(path, path)


def _plain_name(name: str) -> bool:
    return bool(name) and name not in (".", "..") and "/" not in name and "\\" not in name \
        and "\x00" not in name


def _split_files(folder: Path, root: Path) -> list[Path]:
    """The Arrow files one split's state.json names, each checked."""
    entries = _meta(folder / "state.json", root, "_data_files")
    files = []
    for entry in entries:
        name = entry.get("filename") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not _plain_name(name):
            raise InputError(f"state.json names the data file {name!r}, which is not a file "
                             "name inside the directory", path=str(folder))
        file = folder / name
        try:
            safe_read.check_inside(file, root)
            safe_read.check_regular(file)
        except safe_read.UnsafeFile as exc:
            raise InputError(f"state.json names an unusable data file ({exc})",
                             path=str(folder)) from None
        files.append(file)
    return files


def _meta(file: Path, root: Path, key: str) -> list[Any]:
    try:
        value = safe_read.read_json(file, inside=root)[key]
        if not isinstance(value, list):
            raise TypeError(key)
        return value
    except safe_read.UnsafeFile as exc:
        raise InputError(f"{file.name} cannot be read safely ({exc})", path=str(root)) from None
    except (ValueError, KeyError, TypeError, OSError):
        raise InputError(f"{file.name} is unreadable (not a save_to_disk directory?)",
                         path=str(root)) from None


def iter_hf_dir(path: Path, progress: Progress | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    import pyarrow as pa

    files = _hf_data_files(path)
    row = 0
    for n, file in enumerate(files, 1):
        try:
            with pa.memory_map(str(file)) as source:
                reader = pa.ipc.open_stream(source)
                _refuse_duplicate_columns(reader.schema.names, file)
                for batch in reader:
                    per_row = batch.nbytes / max(1, batch.num_rows)
                    step = max(1, min(_BATCH, int(BATCH_BYTES / max(1.0, per_row))))
                    for at in range(0, batch.num_rows, step):
                        for rec in batch.slice(at, step).to_pylist():
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
