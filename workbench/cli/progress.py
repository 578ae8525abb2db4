"""The CLI's view of a run: a progress bar and log lines on stderr, pictures, a summary."""

from __future__ import annotations

import sys
import time

from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress as Bar, TaskProgressColumn,
                           TextColumn, TimeElapsedColumn)

from workbench.drawing import charts
from workbench.drawing import pictures
from workbench.drawing.numbers import epoch_line, numbers
from workbench.i18n.catalogue import tr
from workbench.running import events

class EpochCount:
    """Where a stage is, in words: `epoch 2/5` while a model trains, `2/3` for other work.

    Read from the events alone: a training stage's `Stage` says its epochs (Keras'
    callback does); for a loop that says none, the first `EpochEnd` tells how many of
    the stage's steps an epoch takes.
    """

    def __init__(self) -> None:
        self.stage(None)

    def stage(self, total: int | None, epochs: int | None = None) -> None:
        self.total, self.done, self.planned = total, 0, epochs
        self.epochs_ended = 0
        self.per_epoch: float | None = None

    def progress(self, done: int, total: int | None) -> None:
        self.total, self.done = total, done

    def epoch_end(self, epoch: int) -> None:
        self.epochs_ended = epoch
        if self.per_epoch is None and self.done and epoch:
            self.per_epoch = self.done / epoch

    @property
    def epochs(self) -> int | None:
        """How many epochs the stage trains (None: it trains none, or not known yet)."""
        if self.planned:
            return self.planned
        if self.per_epoch and self.total:
            return max(1, round(self.total / self.per_epoch))
        return None

    def text(self, lang: str = "en") -> str:
        """`epoch 2/5` (in `lang`) while training; `2/3` for a stage that trains no epochs."""
        epochs = self.epochs
        if epochs:
            finished = self.total is not None and self.done >= self.total
            current = epochs if finished else min(epochs, self.epochs_ended + 1)
            return tr(lang, "epoch {n}/{total}", n=current, total=epochs)
        return f"{self.done}/{self.total}" if self.total else ""


# Epoch lines are printed at most this often, several in one go when epochs are quicker:
# each print redraws a live bar (~0.5 ms of Python), which for a model whose epochs take
# 30 ms would alone cost 2% of its training time.
EPOCH_PRINT_INTERVAL_S = 0.25


class ConsoleView:
    """Consumes events; draws a bar only on a terminal and only when not quiet."""

    def __init__(self, quiet: bool = False, stream=None, lang: str = "en"):
        self.lang = lang
        self.console = Console(file=stream or sys.stderr, highlight=False)
        self.quiet = quiet
        self.show_bar = not quiet and self.console.is_terminal
        self._bar: Bar | None = None
        self._task = None
        self._epoch_lines: list[str] = []
        self._last_print = 0.0
        self._count = EpochCount()

    def __call__(self, event) -> None:
        if self.quiet:
            if isinstance(event, events.Log) and event.level == "warning":
                self.console.print(event.in_language(self.lang), soft_wrap=True)  # one line
            return
        if isinstance(event, events.Stage):
            self._start(event.name, event.total, event.epochs)
        elif isinstance(event, events.Progress):
            self._count.progress(event.done, event.total)
            if self._bar is not None and self._task is not None:
                self._bar.update(self._task, completed=event.done, total=event.total,
                                 info=numbers(event.info), epoch=self._epoch_text())
            if event.total is not None and event.done >= event.total:
                self._print_epoch_lines()  # the stage is over: nothing more to wait for
        elif isinstance(event, events.Log) and event.level == "warning":
            self._print_epoch_lines()
            self.console.print(event.in_language(self.lang), soft_wrap=True)  # one whole line
        elif isinstance(event, events.Log):
            self._print(event.in_language(self.lang))
        elif isinstance(event, events.EpochEnd):
            self._count.epoch_end(event.epoch)
            self._epoch_lines.append(epoch_line(event.epoch, event.logs, event.series))
            if time.perf_counter() - self._last_print >= EPOCH_PRINT_INTERVAL_S:
                self._print_epoch_lines()
        elif isinstance(event, events.Picture):
            self._print(pictures.render(event, color=self.console.is_terminal, width=self.console.width))
        elif isinstance(event, events.Chart):
            self._print(charts.render(event, width=min(self.console.width, 100),
                                      color=self.console.is_terminal))
        elif isinstance(event, events.Artifact):
            self._print(f"saved {event.kind}: {event.path}")

    def _print(self, renderable) -> None:
        """Print after any epoch lines still waiting, so the order is kept."""
        self._print_epoch_lines()
        self.console.print(renderable)
        self._last_print = time.perf_counter()

    def _print_epoch_lines(self) -> None:
        if self._epoch_lines:
            self.console.print("\n".join(self._epoch_lines))
            self._epoch_lines.clear()
            self._last_print = time.perf_counter()

    def _epoch_text(self) -> str:
        """`epoch 2/5 ` while a model trains (the bar's own column counts batches)."""
        text = self._count.text(self.lang) if self._count.epochs else ""
        return f"{text} " if text else ""

    def _start(self, name: str, total: int | None, epochs: int | None = None) -> None:
        self._count.stage(total, epochs)
        self.close()
        if not self.show_bar:
            return
        # 4 redraws a second, not Rich's default 10: each takes ~1 ms of Python (so of the
        # GIL the training loop needs), and a bar redrawn 4 times a second still looks live.
        self._bar = Bar(TextColumn("[bold]{task.description}"), TextColumn("{task.fields[epoch]}"),
                        BarColumn(), TaskProgressColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), TextColumn("{task.fields[info]}"),
                        console=self.console, transient=True, refresh_per_second=4)
        self._bar.start()
        self._task = self._bar.add_task(name, total=total, info="", epoch="")

    def close(self) -> None:
        self._print_epoch_lines()
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
            self._task = None
