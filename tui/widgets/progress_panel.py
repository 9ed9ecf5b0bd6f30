"""Done/total for this annotator and for everyone, drawn as one line of text.

One `Static` instead of two `ProgressBar` widgets: the line changes after every
judgement, and a single renderable keeps the per-key layout work small.
"""

from __future__ import annotations

from duelist.engine.application.annotation_session import Progress
from rich.text import Text
from textual.widgets import Static

FULL, EMPTY = "━", "━"


def bar(done: int, total: int, width: int) -> Text:
    filled = 0 if total <= 0 else min(width, round(width * done / total))
    if done and not filled:
        filled = 1  # something done shows as something
    out = Text(end="")
    out.append(FULL * filled, style="#7aa2f7")
    out.append(EMPTY * (width - filled), style="#3b4261")
    return out


class ProgressPanel(Static):
    """`you ━━━━──── 12/1,000  ·  all ━━━━──── 40/1,000`"""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._progress = Progress()

    def show(self, p: Progress) -> None:
        self._progress = Progress(p.total, p.mine, p.overall)
        self.refresh()

    def render(self) -> Text:
        p = self._progress
        width = max(10, self.size.width)
        counts = []
        for done in (p.mine, p.overall):
            counts.append("counting…" if p.total is None or done is None
                          else f"{done:,}/{p.total:,}")
        label_w = max(len(c) for c in counts) + 1
        bar_w = max(4, (width - 2 * (5 + label_w) - 4) // 2)
        out = Text(end="")
        for i, (name, done) in enumerate((("you", p.mine), ("all", p.overall))):
            if i:
                out.append("    ")
            out.append(f"{name:<4} ", style="#a9b1d6")
            out.append_text(bar(done or 0, p.total or 0, bar_w))
            out.append(f" {counts[i]:>{label_w - 1}}", style="#a9b1d6")
        return out
