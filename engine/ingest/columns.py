"""Column names and input shapes: which columns a row has decides what it means.

Shapes (the letters match the import docs):
  pairs        (a) prompt + response_a + response_b        comparisons to judge
  responses    (b) prompt + responses (a list)              expanded into pairs
  preferences  (c) prompt + chosen + rejected               already judged
  ratings      (d) prompt + response + score                best vs worst per prompt
  ab           (e) prompt + response_a + response_b + winner  A/B test logs
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from duelist.engine.errors import InputError

SHAPES = ("pairs", "responses", "preferences", "ratings", "ab")
SHAPE_ALIASES = {"a": "pairs", "b": "responses", "c": "preferences", "d": "ratings", "e": "ab"}
JUDGED_SHAPES = frozenset({"preferences", "ratings", "ab"})

# Which ColumnMap fields each shape needs, most specific first (detection order).
_REQUIRED: dict[str, tuple[str, ...]] = {
    "ab": ("prompt", "response_a", "response_b", "winner"),
    "preferences": ("prompt", "chosen", "rejected"),
    "ratings": ("prompt", "response", "score"),
    "responses": ("prompt", "responses"),
    "pairs": ("prompt", "response_a", "response_b"),
}
_OPTIONAL: dict[str, tuple[str, ...]] = {shape: ("gold",) for shape in SHAPES}
# A judged row may say how much better the winner was (TRL's margin, or a 1-3 / name).
for _shape in ("preferences", "ab"):
    _OPTIONAL[_shape] = ("gold", "margin", "strength")


@dataclass(frozen=True)
class ColumnMap:
    """Source column name for each role. Defaults are the conventional names;
    `--prompt-column X` (or AutoTrain's `--prompt-text-column X`) overrides one."""

    prompt: str = "prompt"
    response_a: str = "response_a"
    response_b: str = "response_b"
    responses: str = "responses"
    chosen: str = "chosen"
    rejected: str = "rejected"
    response: str = "response"
    score: str = "score"
    winner: str = "winner"
    gold: str = "gold"
    margin: str = "margin"
    strength: str = "strength"

    @classmethod
    def roles(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def source(self, role: str) -> str:
        return getattr(self, role)


def normalise_shape(shape: str | None) -> str | None:
    if shape is None:
        return None
    s = shape.strip().lower()
    s = SHAPE_ALIASES.get(s, s)
    if s not in SHAPES:
        raise InputError(f"unknown shape '{shape}' (use one of {', '.join(SHAPES)}, or a-e)")
    return s


def required_roles(shape: str) -> tuple[str, ...]:
    return _REQUIRED[shape]


def optional_roles(shape: str) -> tuple[str, ...]:
    return _OPTIONAL[shape]


class ShapeError(InputError):
    """No shape fits a row's columns; `keys` lets a caller name the flags IT accepts."""

    def __init__(self, message: str, *, keys: set[str], path: str, row: int) -> None:
        super().__init__(message, path=path, row=row)
        self.keys = keys


def detect_shape(keys: set[str], cmap: ColumnMap, *, path: str, row: int) -> str:
    """The shape whose columns the first row carries; ambiguous or unknown is an error."""
    present = [s for s, roles in _REQUIRED.items() if all(cmap.source(r) in keys for r in roles)]
    if "ab" in present:
        present.remove("pairs")  # ab is pairs plus a winner
    if len(present) == 1:
        return present[0]
    found = ", ".join(sorted(keys)) or "none"
    if not present:
        near = _nearest(keys, cmap)
        if near is not None:
            check_columns(keys, near, cmap, path=path, row=row)
        raise ShapeError(
            "cannot tell the input shape from the columns (found: "
            f"{found}); expected prompt+response_a+response_b, prompt+responses, "
            "prompt+chosen+rejected, prompt+response+score, or +winner; map yours with "
            "--prompt-column/--chosen-column/... or pick one with --shape",
            keys=keys, path=path, row=row)
    raise InputError(f"columns fit several shapes ({', '.join(present)}); pick one with --shape",
                     path=path, row=row)


def _nearest(keys: set[str], cmap: ColumnMap) -> str | None:
    """The shape a row almost fits (all but one column, beyond the prompt), if any."""
    for shape, roles in _REQUIRED.items():
        have = [r for r in roles if cmap.source(r) in keys]
        if len(have) == len(roles) - 1 and len(have) >= 2 and "prompt" in have:
            return shape
    return None


def check_columns(keys: set[str], shape: str, cmap: ColumnMap, *, path: str, row: int) -> None:
    """Every column the shape needs must be present in this row."""
    for role in _REQUIRED[shape]:
        name = cmap.source(role)
        if name not in keys:
            found = ", ".join(sorted(keys)) or "none"
            raise InputError(f"missing column (shape '{shape}' needs it; found: {found})",
                             path=path, row=row, column=name)


def ignored_columns(keys: set[str], shape: str, cmap: ColumnMap) -> list[str]:
    used = {cmap.source(r) for r in (*_REQUIRED[shape], *_OPTIONAL[shape])}
    return sorted(keys - used)
