"""Training curves drawn with plotext: one series per Keras log key, one point per epoch.

The legend is not drawn inside the plot, where it hid the first epochs' points: it goes
in the box's bottom border, each name in its line's colour.
"""

from __future__ import annotations

from typing import Callable

from textual_plotext import PlotextPlot

from workbench.events import EpochEnd

# Colours both plotext and Rich know by these names, so a line and its legend entry match.
COLORS = ("cyan", "magenta", "green", "yellow", "red", "blue")


class Curves(PlotextPlot):
    """The epochs' values of the log keys `wanted` accepts (loss and val_loss, say).

    A run that trains several networks (ResNet's plain and residual twins) names each
    one's epochs (`EpochEnd.series`); their lines are kept apart by that name.
    """

    def __init__(self, wanted: Callable[[str], bool], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.wanted = wanted
        self.series: dict[str, tuple[list[float], list[float]]] = {}

    def on_mount(self) -> None:
        self.replot()

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

    def replot(self) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.xlabel("epoch")
        if not self.series:
            plt.title("no epochs yet")
        legend = []
        for (label, (xs, ys)), color in zip(self.series.items(), COLORS * len(self.series)):
            plt.plot(xs, ys, marker="braille", color=color)
            legend.append(f"[{color}]━ {label}[/]")
        if self.parent is not None:
            self.parent.border_subtitle = "  ".join(legend)
        if any(len(xs) for xs, _ in self.series.values()):
            last = max(max(xs) for xs, _ in self.series.values())
            plt.xticks(sorted({1, last}))
        self.refresh()
