"""From file rows to comparison items, for every shape.

`iter_items` streams: one row in, zero or more items out (shape (b) expands a
row into pairs). Ratings (d) must see every response of a prompt first, so that
shape groups in memory before it yields.
"""

from __future__ import annotations

import itertools
import random
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from duelist.engine.ingest import values
from duelist.engine.ingest.columns import (
    ColumnMap,
    check_columns,
    detect_shape,
    ignored_columns,
    normalise_shape,
    required_roles,
)
from duelist.engine.ingest.readers import iter_rows
from duelist.engine.ingest.textio import Progress
from duelist.engine.ingest.values import Cell, EmptyTextError

MAX_RESPONSES = 100  # 4,950 pairs per row at most, unless lifted


@dataclass(frozen=True)
class ReadOptions:
    """How to read a file: column names, shape, pair expansion."""

    columns: ColumnMap = field(default_factory=ColumnMap)
    shape: str | None = None
    fmt: str | None = None
    pairs_per_prompt: int | None = None
    seed: int = 0
    all_ordered_pairs: bool = False
    skip_empty: bool = False  # leave out rows with an empty text instead of failing
    # Shape b expands a row of n responses into n(n-1)/2 pairs: 2,500 responses were
    # 3.1M comparisons and 1.1 GB. Above this many responses in one row, all-pairs
    # expansion is refused unless sampled (--pairs-per-prompt) or lifted (0 = no cap).
    max_responses: int = MAX_RESPONSES


@dataclass(slots=True)
class Item:
    """One comparison from a file. `choice` is the file's judgement in this
    item's orientation (None for shapes still to judge)."""

    prompt: str
    response_a: str
    response_b: str
    row: int
    prompt_messages: list[dict[str, str]] | None = None
    choice: str | None = None
    gold: str | None = None
    strength: int | None = None  # graded A/B judgement (1-3), from a strength or margin column
    margin: float | None = None  # the file's own margin, kept exactly for --data-path training


@dataclass
class FileInfo:
    """Filled in while reading: what the file turned out to be."""

    path: str
    shape: str = ""
    rows: int = 0
    items: int = 0
    ignored: list[str] = field(default_factory=list)
    skipped: int = 0  # rows left out for an empty text (with skip_empty)
    annotator: str = ""  # who the file's judgements are recorded as (import only)
    note: str = ""  # how that name was chosen, when it is not simply import:<file name>


def iter_items(path: Path, options: ReadOptions, info: FileInfo | None = None,
               progress: Progress | None = None) -> Iterator[Item]:
    info = info if info is not None else FileInfo(str(path))
    cmap = options.columns
    forced = normalise_shape(options.shape)
    where = str(path)
    shape = ""
    rows = iter_rows(path, options.fmt, progress)
    convert = None
    required: list[str] = []
    ratings: dict[str, list[tuple[float, str, int, Any]]] = {}
    for rownum, rec in rows:
        keys = rec.keys()
        if not shape:
            key_set = set(keys)
            shape = forced or detect_shape(key_set, cmap, path=where, row=rownum)
            info.shape = shape
            info.ignored = ignored_columns(key_set, shape, cmap)
            convert = _CONVERTERS.get(shape)
            required = [cmap.source(r) for r in required_roles(shape)]
        for name in required:
            if name not in rec:
                check_columns(set(keys), shape, cmap, path=where, row=rownum)
        info.rows += 1
        try:
            if shape == "ratings":
                _collect_rating(rec, cmap, where, rownum, ratings)
                continue
            # Converters validate a whole row before returning any of its items.
            produced = convert(rec, cmap, where, rownum, options)  # type: ignore[misc]
        except EmptyTextError as exc:
            if not options.skip_empty:  # only `import` reads strictly, and it has the flag
                raise EmptyTextError(f"{exc} (--skip-empty leaves such rows out)") from None
            info.skipped += 1
            continue
        info.items += len(produced)
        yield from produced
    if not shape:
        from duelist.engine.errors import InputError

        raise InputError("has no data rows", path=where)
    if shape == "ratings":
        for item in _ratings_items(ratings, options.all_ordered_pairs):
            info.items += 1
            yield item


def _prompt(rec: dict, cmap: ColumnMap, where: str, row: int):
    return values.prompt(rec[cmap.prompt], where, row, cmap.prompt)


def _gold(rec: dict, cmap: ColumnMap, where: str, row: int) -> str | None:
    if cmap.gold not in rec:
        return None
    return values.gold(rec[cmap.gold], Cell(where, row, cmap.gold))


def _two(rec: dict, col_a: str, col_b: str, where: str, row: int) -> tuple[str, str]:
    a = values.text_at(rec[col_a], where, row, col_a)
    b = values.text_at(rec[col_b], where, row, col_b)
    if a == b:
        raise Cell(where, row, col_b).error(f"is identical to '{col_a}'; nothing to compare")
    return a, b


def _pairs(rec, cmap, where, row, options) -> list[Item]:
    prompt, messages = _prompt(rec, cmap, where, row)
    a, b = _two(rec, cmap.response_a, cmap.response_b, where, row)
    return [Item(prompt, a, b, row, messages, None, _gold(rec, cmap, where, row))]


def _grade(rec: dict, cmap: ColumnMap, where: str, row: int) -> tuple[int | None, float | None]:
    """(strength, margin) from a `margin` or else a `strength` column; (None, None) if neither."""
    from duelist.engine.preferences.strength import (
        margin_for,
        parse_margin,
        parse_strength,
        strength_for_margin,
    )

    for column, parse in ((cmap.margin, parse_margin), (cmap.strength, parse_strength)):
        if column in rec and rec[column] is not None and rec[column] != "":
            try:
                value = parse(rec[column])
            except ValueError as exc:
                raise Cell(where, row, column).error(str(exc)) from None
            if column == cmap.margin:
                return strength_for_margin(value), value  # type: ignore[arg-type]
            return value, margin_for(value)  # type: ignore[arg-type]
    return None, None


def _ab(rec, cmap, where, row, options) -> list[Item]:
    prompt, messages = _prompt(rec, cmap, where, row)
    a, b = _two(rec, cmap.response_a, cmap.response_b, where, row)
    choice = values.winner(rec[cmap.winner], Cell(where, row, cmap.winner))
    strength, margin = _grade(rec, cmap, where, row) if choice in ("a", "b") else (None, None)
    return [Item(prompt, a, b, row, messages, choice, _gold(rec, cmap, where, row),
                 strength, margin)]


def _preferences(rec, cmap, where, row, options) -> list[Item]:
    prompt, messages = _prompt(rec, cmap, where, row)
    chosen, rejected = _two(rec, cmap.chosen, cmap.rejected, where, row)
    strength, margin = _grade(rec, cmap, where, row)
    return [Item(prompt, chosen, rejected, row, messages, "a", _gold(rec, cmap, where, row),
                 strength, margin)]


def _responses(rec, cmap, where, row, options) -> list[Item]:
    prompt, messages = _prompt(rec, cmap, where, row)
    texts = values.text_list(rec[cmap.responses], Cell(where, row, cmap.responses))
    k = len(texts)
    total = k * (k - 1) // 2
    n = options.pairs_per_prompt
    if n is not None and n < total:
        # Seeded per prompt, so the sample does not depend on the file's row order.
        # Sampling positions of range(total) picks exactly what sampling the list of all
        # pairs picked, without building that list (n² memory).
        rng = random.Random(f"{options.seed}:{zlib.crc32(prompt.encode('utf-8'))}")
        pairs = [_unrank(at, k) for at in sorted(rng.sample(range(total), n))]
    else:
        cap = options.max_responses
        if cap and k > cap:
            raise Cell(where, row, cmap.responses).error(
                f"has {k:,} responses: all pairs would be {total:,} comparisons; sample them "
                f"with --pairs-per-prompt N, or lift the cap of {cap} with --max-responses 0")
        pairs = list(itertools.combinations(range(k), 2))
    return [Item(prompt, texts[i], texts[j], row, messages) for i, j in pairs]


def _unrank(at: int, k: int) -> tuple[int, int]:
    """The `at`-th pair (i < j) of range(k) in itertools.combinations order."""
    i = 0
    while at >= k - 1 - i:
        at -= k - 1 - i
        i += 1
    return i, i + 1 + at


def _collect_rating(rec, cmap, where, row, groups) -> None:
    prompt, messages = _prompt(rec, cmap, where, row)
    response = values.text_at(rec[cmap.response], where, row, cmap.response)
    value = values.score(rec[cmap.score], Cell(where, row, cmap.score))
    groups.setdefault(prompt, []).append((value, response, row, messages))


def _ratings_items(groups: dict, all_ordered: bool) -> Iterator[Item]:
    """The AutoTrain guide's recipe: best against worst per prompt (stable: the
    first-seen response wins a tie for best/worst), or every strictly ordered pair."""
    for prompt, group in groups.items():
        ranked = sorted(group, key=lambda g: -g[0])  # stable sort keeps file order
        messages = group[0][3]
        if all_ordered:
            for hi, lo in itertools.combinations(ranked, 2):
                if hi[0] > lo[0] and hi[1] != lo[1]:
                    yield Item(prompt, hi[1], lo[1], lo[2], messages, "a")
        else:
            best, worst = ranked[0], ranked[-1]
            if best[0] > worst[0] and best[1] != worst[1]:
                yield Item(prompt, best[1], worst[1], worst[2], messages, "a")


_CONVERTERS = {"pairs": _pairs, "ab": _ab, "preferences": _preferences, "responses": _responses}
