"""Score a data file (JSONL, JSON, CSV/TSV, Parquet) and write it back with reward columns.

Every input column is kept, in order; reward columns are appended:
- one response column `response`      -> `reward`
- response columns C (e.g. chosen, rejected) -> `reward_C`
- an ensemble adds `<reward col>_std` (spread across members, the uncertainty);
- aspects add `<reward col>_<aspect>` per aspect (the reward col is the weighted sum);
- exactly two response columns A, B add `p_A_over_B` = sigmoid((r_A - r_B) / T), with the
  fitted temperature when `calibrated` (else T = 1).

The output is written to a temp file beside OUT and renamed into place, so OUT is
either the old file or the complete new one, never half written.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InputError
from .file_modes import fix_file_mode
from .ingest import values
from .ingest.readers import detect_format, iter_rows
from .model_set import Progress, ScoreDetail, bt_prob, detail_of, temperature_of

AUTO_RESPONSE_COLUMNS = (("response",), ("chosen", "rejected"), ("response_a", "response_b"))
WRITABLE = ("jsonl", "json", "csv", "tsv", "parquet")


@dataclass(frozen=True, slots=True)
class ScoreSummary:
    rows: int
    responses: int
    columns_added: list[str]
    out: str


def read_table(path: Path, progress: Progress | None = None) -> tuple[str, list[dict[str, Any]]]:
    fmt = detect_format(path)
    if fmt not in WRITABLE:
        raise InputError(f"'{fmt}' input cannot be scored in place; use JSONL, JSON, CSV or "
                         "Parquet", path=str(path))
    return fmt, [rec for _, rec in iter_rows(path, fmt, progress)]


def pick_columns(rows: Sequence[dict[str, Any]], requested: Sequence[str] | None,
                 path: str) -> list[str]:
    keys = set(rows[0]) if rows else set()
    if requested:
        for col in requested:
            if col not in keys:
                raise InputError(f"no such response column (columns: {', '.join(sorted(keys))})",
                                 path=path, row=1, column=col)
        return list(requested)
    for option in AUTO_RESPONSE_COLUMNS:
        if all(c in keys for c in option):
            return list(option)
    raise InputError("no response column found: expected 'response', 'chosen'+'rejected' or "
                     "'response_a'+'response_b' (or pass --response-column)", path=path, row=1)


def reward_column(col: str) -> str:
    return "reward" if col == "response" else f"reward_{col}"


@dataclass
class ScoreJob:
    """A validated input, ready to score: read and checked BEFORE any model loads, so a
    bad file fails in one line without seconds of waiting."""

    src: Path
    out: Path
    out_fmt: str
    rows: list[dict[str, Any]]
    response_columns: list[str]
    prompts: list[str]  # row-major: row 0's columns, then row 1's, ...
    texts: list[str]


def prepare(src: Path, out: Path, *, prompt_column: str = "prompt",
            response_columns: Sequence[str] | None = None) -> ScoreJob:
    in_fmt, rows = read_table(src)
    out_fmt = output_format(out, in_fmt)
    path = str(src)
    if not rows:
        raise InputError("file has no rows to score", path=path)
    cols = pick_columns(rows, response_columns, path)
    check_no_clash(rows, cols, path)
    prompts, texts = [], []
    for row_no, rec in enumerate(rows, 1):
        if prompt_column not in rec:
            raise InputError("missing prompt column", path=path, row=row_no, column=prompt_column)
        prompt, _ = values.prompt(rec[prompt_column], path, row_no, prompt_column)
        for col in cols:
            if col not in rec:
                raise InputError("missing response column", path=path, row=row_no, column=col)
            prompts.append(prompt)
            texts.append(values.text_at(rec[col], path, row_no, col))
    return ScoreJob(src, out, out_fmt, rows, cols, prompts, texts)


def score_rows(model: Any, job: ScoreJob, *, calibrated: bool = False,
               progress: Progress | None = None) -> list[str]:
    """Add reward columns to the job's rows in place; return the names added."""
    cols, rows = job.response_columns, job.rows
    temperature = temperature_of(model, calibrated) if len(cols) == 2 else 1.0
    k = len(cols)
    if k == 2 and hasattr(model, "score_pairs"):  # a single model: near ties re-checked in fp32
        a, b = model.score_pairs(job.prompts[0::2], job.texts[0::2], job.texts[1::2],
                                 progress=progress)
        detail = ScoreDetail([v for pair in zip(a, b, strict=True) for v in pair])
    else:
        detail = detail_of(model, job.prompts, job.texts, progress)
    added: list[str] = []
    for j, col in enumerate(cols):
        base = reward_column(col)
        added.append(base)
        if detail.std is not None:
            added.append(f"{base}_std")
        if detail.aspects:
            added += [f"{base}_{a}" for a in detail.aspects]
        for i, rec in enumerate(rows):
            at = i * k + j
            rec[base] = detail.scores[at]
            if detail.std is not None:
                rec[f"{base}_std"] = detail.std[at]
            for a, vals in (detail.aspects or {}).items():
                rec[f"{base}_{a}"] = vals[at]
    if k == 2:
        a, b = cols
        name = f"p_{a}_over_{b}"
        added.append(name)
        for i, rec in enumerate(rows):
            rec[name] = bt_prob(detail.scores[2 * i], detail.scores[2 * i + 1], temperature)
    return added


def check_no_clash(rows: Sequence[dict[str, Any]], response_columns: Sequence[str],
                   path: str) -> None:
    """Refuse to overwrite an existing column of the same name (e.g. scoring twice)."""
    if not rows:
        return
    for col in response_columns:
        if reward_column(col) in rows[0]:
            raise InputError("the input already has this reward column (score the original "
                             "file, or rename the column)", path=path, column=reward_column(col))


def _atomic_write(out: Path, write: Callable[[Path], None]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        fix_file_mode(tmp, out)  # mkstemp made it 0600 whatever the umask
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def output_format(out: Path, in_fmt: str) -> str:
    ext = out.suffix.lower()
    by_ext = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv",
              ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet"}
    if ext in by_ext:
        return by_ext[ext]
    if ext == "" and in_fmt in WRITABLE:
        return in_fmt
    raise InputError(f"unknown output type '{ext}'; use .jsonl, .json, .csv, .tsv or .parquet",
                     path=str(out))


def write_table(out: Path, fmt: str, rows: list[dict[str, Any]]) -> None:
    fields: dict[str, None] = {}
    for rec in rows:
        fields.update(dict.fromkeys(rec))

    def jsonl(tmp: Path) -> None:
        with tmp.open("w", encoding="utf-8") as fh:
            for rec in rows:
                fh.write(json.dumps(rec, ensure_ascii=False, default=str) + "\n")

    def json_array(tmp: Path) -> None:
        tmp.write_text(json.dumps(rows, ensure_ascii=False, indent=1, default=str) + "\n",
                       encoding="utf-8")

    def delimited(tmp: Path) -> None:
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(fields), delimiter="\t" if fmt == "tsv" else ",")
            w.writeheader()
            for rec in rows:
                w.writerow({k: _cell(v) for k, v in rec.items()})

    def parquet(tmp: Path) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(rows), str(tmp))

    writer = {"jsonl": jsonl, "json": json_array, "csv": delimited, "tsv": delimited,
              "parquet": parquet}[fmt]
    _atomic_write(out, writer)


def _cell(value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else value


def run(model: Any, job: ScoreJob, *, calibrated: bool = False,
        progress: Progress | None = None) -> ScoreSummary:
    """Score a prepared job and write its output atomically."""
    added = score_rows(model, job, calibrated=calibrated, progress=progress)
    write_table(job.out, job.out_fmt, job.rows)
    return ScoreSummary(rows=len(job.rows), responses=len(job.texts), columns_added=added,
                        out=str(job.out))


def score_file(model: Any, src: Path, out: Path, *, prompt_column: str = "prompt",
               response_columns: Sequence[str] | None = None, calibrated: bool = False,
               progress: Progress | None = None) -> ScoreSummary:
    """Read `src`, add reward columns, write `out` atomically (format from its extension)."""
    job = prepare(src, out, prompt_column=prompt_column, response_columns=response_columns)
    return run(model, job, calibrated=calibrated, progress=progress)
