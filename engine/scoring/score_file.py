"""Score a data file (JSONL, JSON, CSV/TSV, Parquet) and write it back with reward columns.

Every input column is kept, in order; reward columns are appended:
- one response column `response`      -> `reward`
- response columns C (e.g. chosen, rejected) -> `reward_C`
- an ensemble adds `<reward col>_std` (spread across members, the uncertainty);
- aspects add `<reward col>_<aspect>` per aspect (the reward col is the weighted sum);
- exactly two response columns A, B add `p_A_over_B` = sigmoid((r_A - r_B) / T), with the
  fitted temperature when `calibrated` (else T = 1).

The output is written to a temp file beside OUT and renamed into place, so OUT is
either the old file or the complete new one, never half written. A column that the
output would add and that the input already has is refused (never overwritten), and
OUT's folder is checked for writability before the model loads.

Memory is bounded by `CHUNK_ROWS` rows, not by the file: a first pass checks every
row, the second scores and writes chunk by chunk (engine/files/table_writer.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from duelist.engine.errors import InputError
from duelist.engine.files.atomic import atomic_file, check_writable
from duelist.engine.files.table_writer import SchemaCollector, TableWriter
from duelist.engine.ingest import values
from duelist.engine.ingest.readers import detect_format, iter_rows
from duelist.engine.scoring.model_set import (
    Progress,
    ScoreDetail,
    bt_prob,
    detail_of,
    temperature_of,
)

AUTO_RESPONSE_COLUMNS = (("response",), ("chosen", "rejected"), ("response_a", "response_b"))
WRITABLE = ("jsonl", "json", "csv", "tsv", "parquet")
CHUNK_ROWS = 256  # rows scored and written at a time


@dataclass(frozen=True, slots=True)
class ScoreSummary:
    rows: int
    responses: int
    columns_added: list[str]
    out: str


def pick_columns(keys: Sequence[str], requested: Sequence[str] | None, path: str) -> list[str]:
    """The response columns: requested ones (each must exist), else the first auto option."""
    keys = set(keys)
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
    """A validated input, ready to score: every row checked BEFORE any model loads, so a
    bad file fails in one line without seconds of waiting. Rows are not kept."""

    src: Path
    in_fmt: str
    out: Path
    out_fmt: str
    prompt_column: str
    response_columns: list[str]
    fields: list[str]  # every input column, in first-seen order
    n_rows: int
    n_texts: int
    schema: Any = None  # Parquet output: one Arrow schema for all input columns


def _chunks(src: Path, fmt: str) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    chunk: list[dict[str, Any]] = []
    first = 1
    for row_no, rec in iter_rows(src, fmt):
        if not chunk:
            first = row_no
        chunk.append(rec)
        if len(chunk) >= CHUNK_ROWS:
            yield first, chunk
            chunk = []
    if chunk:
        yield first, chunk


def _texts(chunk: list[dict[str, Any]], first: int, prompt_column: str, cols: Sequence[str],
           path: str) -> tuple[list[str], list[str]]:
    prompts, texts = [], []
    for row_no, rec in enumerate(chunk, first):
        if prompt_column not in rec:
            raise InputError("missing prompt column", path=path, row=row_no, column=prompt_column)
        prompt, _ = values.prompt(rec[prompt_column], path, row_no, prompt_column)
        for col in cols:
            if col not in rec:
                raise InputError("missing response column", path=path, row=row_no, column=col)
            prompts.append(prompt)
            texts.append(response_text(rec[col], path, row_no, col))
    return prompts, texts


def prepare(src: Path, out: Path, *, prompt_column: str = "prompt",
            response_columns: Sequence[str] | None = None) -> ScoreJob:
    in_fmt = detect_format(src)
    if in_fmt not in WRITABLE:
        raise InputError(f"'{in_fmt}' input cannot be scored in place; use JSONL, JSON, CSV or "
                         "Parquet", path=str(src))
    out_fmt = output_format(out, in_fmt)
    _check_out(out)
    path = str(src)
    fields: dict[str, None] = {}
    cols: list[str] | None = None
    n_rows = n_texts = 0
    schema = SchemaCollector(path) if out_fmt == "parquet" else None
    for first, chunk in _chunks(src, in_fmt):
        for rec in chunk:
            fields.update(dict.fromkeys(rec))
        if cols is None:
            cols = pick_columns(list(chunk[0]), response_columns, path)
        _, texts = _texts(chunk, first, prompt_column, cols, path)
        n_rows += len(chunk)
        n_texts += len(texts)
        if schema is not None:
            schema.add(chunk, list(fields), first)
    if cols is None:
        raise InputError("file has no rows to score", path=path)
    check_no_clash(list(fields), cols, path)
    return ScoreJob(src, in_fmt, out, out_fmt, prompt_column, cols, list(fields), n_rows,
                    n_texts, schema.schema(list(fields)) if schema is not None else None)


def _check_out(out: Path) -> None:
    try:
        check_writable(out)
    except OSError as exc:
        raise InputError(f"cannot write the output here ({exc.strerror or exc}); nothing was "
                         "scored", path=str(out)) from None


def score_chunk(model: Any, rows: list[dict[str, Any]], prompts: list[str], texts: list[str],
                cols: Sequence[str], temperature: float, fields: Sequence[str], path: str,
                progress: Progress | None = None, shift: float = 0.0,
                scale: float = 1.0) -> list[str]:
    """Add reward columns to `rows` in place; return the names added.

    `shift`/`scale`: reward columns become (reward - shift) / scale (`--normalize`: the
    model dir's saved mean/std, engine/scoring/reward_stats.py); probabilities use raw margins.
    """
    k = len(cols)
    if k == 2 and hasattr(model, "score_pairs"):  # a single model: near ties re-checked in fp32
        a, b = model.score_pairs(prompts[0::2], texts[0::2], texts[1::2], progress=progress)
        detail = ScoreDetail([v for pair in zip(a, b, strict=True) for v in pair])
    else:
        detail = detail_of(model, prompts, texts, progress)
    added: list[str] = []
    for col in cols:
        base = reward_column(col)
        added.append(base)
        if detail.std is not None:
            added.append(f"{base}_std")
        if detail.aspects:
            added += [f"{base}_{a}" for a in detail.aspects]
    if k == 2:
        added.append(f"p_{cols[0]}_over_{cols[1]}")
    _refuse_clash(fields, added, path)
    for j, col in enumerate(cols):
        base = reward_column(col)
        for i, rec in enumerate(rows):
            at = i * k + j
            rec[base] = (detail.scores[at] - shift) / scale
            if detail.std is not None:
                rec[f"{base}_std"] = detail.std[at]
            for a, vals in (detail.aspects or {}).items():
                rec[f"{base}_{a}"] = vals[at]
    if k == 2:
        name = added[-1]
        for i, rec in enumerate(rows):
            rec[name] = bt_prob(detail.scores[2 * i], detail.scores[2 * i + 1], temperature)
    return added


def response_text(value: Any, path: str, row: int, column: str) -> str:
    """A response to score. Empty ones ("", whitespace, null) are scored, not refused:
    RL rollouts do produce empty completions, and every row must get its reward."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return value or ""
    return values.text_at(value, path, row, column)


def planned_columns(response_columns: Sequence[str]) -> list[str]:
    """Columns every model adds (ensembles and aspects add more, checked when known)."""
    names = [reward_column(c) for c in response_columns]
    if len(response_columns) == 2:
        names.append(f"p_{response_columns[0]}_over_{response_columns[1]}")
    return names


def check_no_clash(fields: Sequence[str], response_columns: Sequence[str], path: str) -> None:
    """Refuse to overwrite an input column of the same name (e.g. scoring twice), in ANY row."""
    _refuse_clash(fields, planned_columns(response_columns), path)


def _refuse_clash(fields: Sequence[str], added: Sequence[str], path: str) -> None:
    present = set(fields)
    for name in added:
        if name in present:
            raise InputError("the input already has a column that scoring would add; it is "
                             "never overwritten (score the original file, or rename the "
                             "column)", path=path, column=name)


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


def run(model: Any, job: ScoreJob, *, calibrated: bool = False,
        progress: Progress | None = None, normalize: bool = False) -> ScoreSummary:
    """Score a prepared job chunk by chunk and write its output atomically."""
    cols = job.response_columns
    temperature = temperature_of(model, calibrated) if len(cols) == 2 else 1.0
    shift, scale = 0.0, 1.0
    if normalize:
        from duelist.engine.scoring.reward_stats import normalizer

        shift, scale = normalizer(model)
    path, done = str(job.src), 0
    added: list[str] = []

    def chunk_progress(n: int, _total: int) -> None:
        if progress is not None:
            progress(done + n, job.n_texts)

    try:
        with atomic_file(job.out) as tmp:
            writer = TableWriter(tmp, job.out_fmt, job.fields, job.schema, path)
            try:
                for first, chunk in _chunks(job.src, job.in_fmt):
                    prompts, texts = _texts(chunk, first, job.prompt_column, cols, path)
                    added = score_chunk(model, chunk, prompts, texts, cols, temperature,
                                        job.fields, path, chunk_progress, shift, scale)
                    writer.write(chunk, added, first)
                    done += len(texts)
                    chunk_progress(0, job.n_texts)
            finally:
                writer.close()
    except OSError as exc:
        raise InputError(f"could not write the output ({exc.strerror or exc}); nothing was "
                         "changed", path=str(job.out)) from None
    return ScoreSummary(rows=job.n_rows, responses=job.n_texts, columns_added=added,
                        out=str(job.out))


def score_file(model: Any, src: Path, out: Path, *, prompt_column: str = "prompt",
               response_columns: Sequence[str] | None = None, calibrated: bool = False,
               progress: Progress | None = None, normalize: bool = False) -> ScoreSummary:
    """Read `src`, add reward columns, write `out` atomically (format from its extension)."""
    job = prepare(src, out, prompt_column=prompt_column, response_columns=response_columns)
    return run(model, job, calibrated=calibrated, progress=progress, normalize=normalize)
