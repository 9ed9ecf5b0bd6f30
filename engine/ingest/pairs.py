"""`read_pairs`: a preference file straight to PreferencePairs, no store involved.

The trainer's `--data-path FILE` calls this, so a user coming from AutoTrain can
point Duelist at the same prompt/chosen/rejected JSON or CSV they already have.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from duelist.engine.errors import InputError
from duelist.engine.ingest.columns import JUDGED_SHAPES, ColumnMap, ShapeError
from duelist.engine.ingest.items import FileInfo, ReadOptions, iter_items
from duelist.engine.ingest.textio import Progress
from duelist.engine.preferences.pair import PreferencePair


def read_pairs(path: str | Path, prompt_col: str = "prompt", chosen_col: str = "chosen",
               rejected_col: str = "rejected", *, skip_empty: bool = True,
               options: ReadOptions | None = None, info: FileInfo | None = None,
               progress: Progress | None = None) -> list[PreferencePair]:
    """Every judged pair in a JSON/JSONL/CSV/Parquet file or datasets directory.

    Files with prompt/chosen/rejected (or A/B logs with a winner, or ratings) are
    read with the same validation as `duelist import`; tie and both-bad rows of
    an A/B log carry no preference and are left out. A file of comparisons still
    to judge is an error: there is nothing to learn from yet.

    `skip_empty` (default on) leaves out rows with an empty response rather than
    failing: real sets such as hh-rlhf carry a few ("say nothing" was chosen),
    and AutoTrain trains on such files as they are. `info.skipped` counts them.
    `duelist import` is strict by default instead, since it curates the store.
    """
    p = Path(path)
    opts = options or ReadOptions()
    opts = replace(opts, skip_empty=skip_empty,
                   columns=replace(opts.columns, prompt=prompt_col, chosen=chosen_col,
                                   rejected=rejected_col))
    info = info if info is not None else FileInfo(str(p))
    source = p.name
    pairs: list[PreferencePair] = []
    for item in _items_naming_train_flags(p, opts, info, progress):
        if info.shape not in JUDGED_SHAPES:
            raise InputError(f"holds comparisons still to judge (shape '{info.shape}'), not "
                             f"preferences; expected columns {prompt_col}, {chosen_col}, "
                             f"{rejected_col}", path=str(p))
        if item.choice == "a":
            chosen, rejected = item.response_a, item.response_b
        elif item.choice == "b":
            chosen, rejected = item.response_b, item.response_a
        else:
            continue
        pairs.append(PreferencePair(
            prompt=item.prompt, chosen=chosen, rejected=rejected,
            provenance={"source": source, "row": item.row}, margin=item.margin or 0.0))
    if not pairs:
        raise InputError("contains no preference pairs", path=str(p))
    return pairs


def _items_naming_train_flags(p: Path, opts: ReadOptions, info: FileInfo,
                              progress: Progress | None):
    """`iter_items`, but an unknown column layout names the flags `train`/`eval` accept
    (--prompt-text-column, ...), not `import`'s --prompt-column/--shape (issue 14, item 6)."""
    try:
        yield from iter_items(p, opts, info, progress)
    except ShapeError as exc:
        cols = opts.columns
        wanted = [(cols.prompt, "--prompt-text-column"), (cols.chosen, "--text-column"),
                  (cols.rejected, "--rejected-text-column")]
        missing = [(name, flag) for name, flag in wanted if name not in exc.keys]
        found = ", ".join(sorted(exc.keys)) or "none"
        what = ", ".join(f"'{name}'" for name, _ in missing)
        flags = ", ".join(f"{flag} COLUMN" for _, flag in missing)
        raise InputError(f"no {what} column (found: {found}); name yours with {flags}",
                         path=exc.path, row=exc.row) from None


__all__ = ["ColumnMap", "read_pairs"]
