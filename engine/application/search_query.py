"""The `/` search line, as in less and vim: words to find, plus `key:value` filters.

    sky colour annotator:alice status:disputed gold:yes uncertain:0.5

Free words (quoted with "..." to keep spaces) must appear in the prompt or a
response; `annotator:` keeps items that person judged; `status:` is unjudged,
judged, skipped or disputed; `gold:` yes/no; `uncertain:X` keeps items the
current model scores less than X apart. Textual-free, so the CLI, the annotate
screen and the review screen parse it the same way.
"""

from __future__ import annotations

import shlex

from duelist.store.review import STATUSES, SearchFilter

KEYS = ("annotator", "status", "gold", "uncertain")
_YES = {"yes": True, "y": True, "true": True, "1": True, "no": False, "n": False,
        "false": False, "0": False}


class QueryError(ValueError):
    """A search line that cannot be understood; the message says which part."""


def parse_query(line: str, model_id: int | None = None) -> SearchFilter:
    """A SearchFilter from a `/` line. Raises QueryError naming the bad part."""
    try:
        parts = shlex.split(line)
    except ValueError as exc:
        raise QueryError(f"cannot read the search: {exc}") from None
    words: list[str] = []
    found: dict[str, object] = {}
    for part in parts:
        key, sep, value = part.partition(":")
        if not sep or key.lower() not in KEYS:
            words.append(part)
            continue
        key = key.lower()
        if not value:
            raise QueryError(f"{key}: needs a value")
        if key == "annotator":
            found["annotator"] = value
        elif key == "status":
            if value.lower() not in STATUSES:
                raise QueryError(f"status:{value}: use one of {', '.join(STATUSES)}")
            found["status"] = value.lower()
        elif key == "gold":
            if value.lower() not in _YES:
                raise QueryError(f"gold:{value}: use gold:yes or gold:no")
            found["gold"] = _YES[value.lower()]
        else:
            try:
                found["uncertain_below"] = float(value)
            except ValueError:
                raise QueryError(f"uncertain:{value}: give a number, e.g. uncertain:0.5") from None
            if model_id is None:
                raise QueryError("uncertain: needs a scored model (train one first)")
            found["model_id"] = model_id
    return SearchFilter(text=" ".join(words), **found)  # type: ignore[arg-type]


def describe(f: SearchFilter) -> str:
    """A short line saying what a filter keeps (for the screens' headers)."""
    bits = []
    if f.text:
        bits.append(f'"{f.text}"')
    if f.annotator is not None:
        bits.append(f"annotator {f.annotator}")
    if f.status is not None:
        bits.append(f.status)
    if f.gold is not None:
        bits.append("gold" if f.gold else "no gold")
    if f.uncertain_below is not None:
        bits.append(f"model margin < {f.uncertain_below:g}")
    return ", ".join(bits) or "everything"
