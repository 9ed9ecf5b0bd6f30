"""Word-level diff of two responses, as two Rich `Text`s.

Why words, not characters or lines: responses to the same prompt often share
long stretches and differ in a claim, a number or a code line; highlighting
words makes those differences jump out without the noise of a character diff.
Inputs must already be cleaned (`sanitize.display`): this module only colours.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from rich.text import Text

_TOKENS = re.compile(r"\s+|\w+|[^\w\s]")
# Past this many tokens a side, SequenceMatcher gets slow (quadratic worst case);
# the remainder is shown without highlighting.
MAX_TOKENS = 6000

REMOVED = "bold #1b1b1b on #e8a0a0"
ADDED = "bold #1b1b1b on #9fd8a8"


def word_diff(left: str, right: str) -> tuple[Text, Text]:
    """(left with words not in right highlighted, right with words not in left)."""
    lt, rt = _TOKENS.findall(left), _TOKENS.findall(right)
    lhead, ltail = lt[:MAX_TOKENS], "".join(lt[MAX_TOKENS:])
    rhead, rtail = rt[:MAX_TOKENS], "".join(rt[MAX_TOKENS:])
    out_l, out_r = Text(end=""), Text(end="")
    matcher = SequenceMatcher(None, lhead, rhead, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        a, b = "".join(lhead[i1:i2]), "".join(rhead[j1:j2])
        if op == "equal":
            out_l.append(a)
            out_r.append(b)
        else:
            _mark(out_l, a, REMOVED)
            _mark(out_r, b, ADDED)
    out_l.append(ltail)
    out_r.append(rtail)
    return out_l, out_r


def _mark(out: Text, chunk: str, style: str) -> None:
    """Highlight words but not the whitespace between them (calmer to read)."""
    for tok in re.split(r"(\s+)", chunk):
        if tok:
            out.append(tok, style=None if tok.isspace() else style)


def similarity(left: str, right: str) -> float:
    """Share of words in common (0..1), shown next to the diff toggle."""
    lt, rt = _TOKENS.findall(left)[:MAX_TOKENS], _TOKENS.findall(right)[:MAX_TOKENS]
    if not lt and not rt:
        return 1.0
    return SequenceMatcher(None, lt, rt, autojunk=False).ratio()
