"""Plots in the Run tab, drawn by `workbench.drawing.charts` (as the CLI draws its charts).

`Curves`: training curves, one series per Keras log key, one point per epoch.
`ChartView`: a lesson's `Chart` event (gradient norm by depth, say).
The legend goes in the box's bottom border, each name in its line's colour; a box that
holds a `Legend` under the plot gets it there instead, wrapped, so no name is cut.
"""

from __future__ import annotations

from typing import Callable

from textual.widgets import Static
from textual_plotext import PlotextPlot

from workbench.drawing import charts
from workbench.running.events import Chart, EpochEnd


class Legend(Static):
    """Under a plot, in the plot's box: every line's name whole, in its colour, the
    entries wrapped onto as many lines as the width needs (a border cuts them with …)."""

    def show(self, lines: charts.Lines) -> None:
        self.update(charts.Legend(lines))
        self.display = bool(lines)


class Plot(PlotextPlot):
    """A plotext widget that draws `lines()` and writes their legend on its box (or in
    the box's `Legend`, when it has one)."""

    def lines(self) -> charts.Lines:
        raise NotImplementedError

    def draw(self, lines: charts.Lines) -> None:
        raise NotImplementedError

    def on_mount(self) -> None:
        self.replot()

    def replot(self) -> None:
        lines = self.lines()
        self.draw(lines)
        if self.parent is not None:
            legends = list(self.parent.query_children(Legend).results(Legend))
            if legends:
                legends[0].show(lines)
            else:
                self.parent.border_subtitle = charts.legend(lines)
        self.refresh()


class Curves(Plot):
    """The epochs' values of the log keys `wanted` accepts (loss and val_loss, say).

    A run that trains several networks (ResNet's plain and residual twins) names each
    one's epochs (`EpochEnd.series`); their lines are kept apart by that name.
    """

    def __init__(self, wanted: Callable[[str], bool], *, log_y: bool = False,
                 id: str | None = None) -> None:
        super().__init__(id=id)
        self.wanted, self.log_y = wanted, log_y
        self.series: dict[str, tuple[list[float], list[float]]] = {}

    def lines(self) -> charts.Lines:
        return self.series

    def draw(self, lines: charts.Lines) -> None:
        charts.draw(self.plt, lines, x_label="epoch", log_y=self.log_y)

    def clear(self) -> None:
        self.series.clear()
        self.replot()

    def add_epoch(self, epoch: EpochEnd) -> None:
        for key, value in epoch.logs.items():
            if self.wanted(key):
                xs, ys = self.series.setdefault(f"{key} {epoch.series}".strip(), ([], []))
                xs.append(epoch.epoch)
                ys.append(value)
        self.replot()


class ChartView(Plot):
    def __init__(self, chart: Chart) -> None:
        super().__init__()
        self.chart = chart

    def lines(self) -> charts.Lines:
        return charts.chart_lines(self.chart)

    def draw(self, lines: charts.Lines) -> None:
        charts.draw(self.plt, lines, x_label=self.chart.x_label, log_y=self.chart.log_y,
                    scatter=self.chart.scatter)
