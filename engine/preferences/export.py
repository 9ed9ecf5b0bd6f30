"""Writing resolved preference pairs as TRL-ready files.

Columns: prompt, chosen, rejected (what `trl.RewardTrainer` and AutoTrain read),
margin (TRL's optional margin column, from graded strength; 0 when ungraded, see
engine/preferences/strength.py), then provenance: comparison_id, source, annotators, votes,
agreement, weight, strengths (who graded how, e.g. "alice=much"), notes (the annotators' rationale
notes, "name: text" joined by " | "), adjudicated (a lead decided it).

Rows go out through the one table writer (engine/files/table_writer.py), into a temp
file (or dir, engine/files/atomic.py) beside the target that is renamed into place, so
a crash or a full disk never leaves a half-written export under the final name, and an
older export stays intact until the new one is complete.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from duelist.engine.errors import DuelistError
from duelist.engine.files.atomic import atomic_dir, atomic_file
from duelist.engine.files.table_writer import TableWriter, arrow_table, formula_safe
from duelist.engine.preferences.pair import PreferencePair

EXPORT_FORMATS = ("jsonl", "json", "csv", "parquet", "hf")
COLUMNS = ("prompt", "chosen", "rejected", "margin", "comparison_id", "source", "annotators",
           "votes", "agreement", "weight", "strengths", "notes", "adjudicated")
_EXT = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv",
        ".parquet": "parquet", ".pq": "parquet"}


def format_for(out: Path, fmt: str | None) -> str:
    """The explicit format, or the one the file name implies (no extension: a datasets dir)."""
    if fmt:
        if fmt not in EXPORT_FORMATS:
            raise DuelistError(f"unknown export format '{fmt}' (use {', '.join(EXPORT_FORMATS)})")
        return fmt
    ext = out.suffix.lower()
    if ext in _EXT:
        return _EXT[ext]
    if ext == "":
        return "hf"
    raise DuelistError(f"{out}: cannot tell the format from '{ext}'; pass --format "
                       f"({', '.join(EXPORT_FORMATS)})")


def record(pair: PreferencePair) -> dict[str, Any]:
    prov = pair.provenance
    return {
        "prompt": pair.prompt, "chosen": pair.chosen, "rejected": pair.rejected,
        "margin": float(pair.margin), "comparison_id": pair.comparison_id, "source": str(prov.get("source", "")),
        "annotators": str(prov.get("annotators", "")), "votes": str(prov.get("votes", "")),
        "agreement": float(prov.get("agreement", 1.0)), "weight": float(pair.weight),
        "strengths": str(prov.get("strength", "")),
        "notes": str(prov.get("notes", "")), "adjudicated": bool(prov.get("adjudicated", False)),
    }


def _check_target(out: Path, fmt: str) -> None:
    if not out.parent.exists():
        raise DuelistError(f"{out}: folder {out.parent} does not exist")
    if fmt != "hf" and out.is_dir():
        raise DuelistError(f"{out}: is a directory; give a file name (or --format hf)")
    if fmt == "hf" and out.exists():
        if not out.is_dir():
            raise DuelistError(f"{out}: exists and is not a directory")
        markers = {"state.json", "dataset_info.json", "dataset_dict.json"}
        if any(out.iterdir()) and not markers & {p.name for p in out.iterdir()}:
            raise DuelistError(f"{out}: folder is not empty and is not a datasets directory; "
                               "refusing to replace it")


def export_pairs(pairs: list[PreferencePair], out: str | Path, fmt: str | None = None) -> str:
    """Write `pairs` to `out`; returns the format used."""
    out = Path(out)
    fmt = format_for(out, fmt)
    _check_target(out, fmt)
    rows = [record(p) for p in pairs]
    try:
        if fmt == "hf":
            _write_hf(rows, out)
            return fmt
        with atomic_file(out) as tmp:
            # indented JSON, and CSV cells a spreadsheet cannot run as formulas
            writer = TableWriter(tmp, fmt, COLUMNS, _schema() if fmt == "parquet" else None,
                                 str(out), json_indent=1, cell=formula_safe)
            writer.write(rows)
            writer.close()
    except OSError as exc:
        raise DuelistError(f"{out}: could not write the export ({exc.strerror or exc}); "
                           "nothing was changed") from None
    return fmt


def _schema() -> Any:
    import pyarrow as pa

    types = {"margin": pa.float64(), "comparison_id": pa.int64(), "agreement": pa.float64(),
             "weight": pa.float64(), "adjudicated": pa.bool_()}
    return pa.schema([(name, types.get(name, pa.string())) for name in COLUMNS])


def _write_hf(rows: list[dict], out: Path) -> None:
    # `datasets` costs seconds to import, so only this format pays for it.
    import datasets

    quiet = datasets.utils.are_progress_bars_disabled()
    datasets.disable_progress_bars()  # no tqdm noise on the CLI's stderr
    try:
        with atomic_dir(out) as tmp:
            datasets.Dataset(arrow_table(rows, COLUMNS, _schema())).save_to_disk(str(tmp))
    finally:
        if not quiet:
            datasets.enable_progress_bars()
