"""Training curves as real plots (textual-plotext), fed whole series by the dashboard.

Why the widget stays dumb: it never reads events or the store. The dashboard hands
it complete (x, y) series from a `RunState` snapshot, so a live run, a picked-up
run and a run re-opened from history draw identically, and a replaced (skipped)
update message can never leave a gap in a curve.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from duelist.engine.application.run_state import Point
from textual_plotext import PlotextPlot

# plotext colour name -> the Textual colour that looks the same in the border legend.
LEGEND_COLORS = {"cyan": "#00d7d7", "orange": "#ffaf00"}


@dataclass(frozen=True, slots=True)
class Series:
    """One named line: its points and a plotext colour name."""

    label: str
    points: Sequence[Point]
    color: str


class CurvePlot(PlotextPlot):
    """A line plot of one quantity against the optimizer step."""

    def __init__(self, title: str, *, y_range: tuple[float, float] | None = None,
                 id: str | None = None) -> None:
        super().__init__(id=id)
        self.title_text = title
        self.y_range = y_range
        self._signature: tuple = ()
        self.points_drawn = 0
        self.set_series([])

    def set_series(self, series: list[Series], x_max: int | None = None) -> None:
        """Replace what is drawn; cheap no-op when nothing changed."""
        signature = (tuple((s.label, len(s.points), s.points[-1].value if s.points else None)
                           for s in series), x_max)
        if signature == self._signature:
            return
        self._signature = signature
        plt = self.plt
        plt.clear_figure()
        plt.xlabel("step")
        drawn = False
        self.points_drawn = sum(len(s.points) for s in series)
        for s in series:
            if not s.points:
                continue
            xs = [p.step for p in s.points]
            ys = [p.value for p in s.points]
            marker = "braille" if len(xs) > 1 else "dot"
            plt.plot(xs, ys, color=s.color, marker=marker)
            drawn = True
        # The legend lives in the border title: plotext's own legend box sits on top of
        # the first steps of the curve, which is exactly where a run starts.
        legend = "  ".join(f"[{LEGEND_COLORS.get(s.color, s.color)}]━ {s.label}[/]"
                           for s in series)
        waiting = "" if drawn else "  (waiting for the first step)"
        self.border_title = f"{self.title_text}  {legend}{waiting}"
        if self.y_range is not None:
            plt.ylim(*self.y_range)
        if x_max:
            plt.xlim(0, max(1, x_max))
            if x_max <= 10:  # a short run: whole steps, not 1.2 / 2.5 / 3.8
                plt.xticks(list(range(x_max + 1)))
        self.refresh()
