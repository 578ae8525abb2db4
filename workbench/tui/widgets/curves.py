"""Training curves drawn with plotext: one series per Keras log key, one point per epoch."""

from __future__ import annotations

from typing import Callable

from textual_plotext import PlotextPlot


class Curves(PlotextPlot):
    """The epochs' values of the log keys `wanted` accepts (loss and val_loss, say).

    A lesson that trains two networks (ResNet's plain and residual twins) names each
    training stage ("train plain"); their series are kept apart by that name.
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

    def add_epoch(self, stage: str, epoch: int, logs: dict[str, float]) -> None:
        twin = stage.removeprefix("train").strip()
        for key, value in logs.items():
            if self.wanted(key):
                xs, ys = self.series.setdefault(f"{key} {twin}".strip(), ([], []))
                xs.append(epoch)
                ys.append(value)
        self.replot()

    def replot(self) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.xlabel("epoch")
        if not self.series:
            plt.title("no epochs yet")
        for label, (xs, ys) in self.series.items():
            plt.plot(xs, ys, label=label, marker="braille")
        if any(len(xs) for xs, _ in self.series.values()):
            last = max(max(xs) for xs, _ in self.series.values())
            plt.xticks(sorted({1, last}))
        self.refresh()
