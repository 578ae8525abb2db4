"""The CLI's view of a run: a progress bar and log lines on stderr, pictures, a summary."""

from __future__ import annotations

import sys
import threading
import time
from typing import Callable

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
# each print redraws a live bar (~0.5 ms of Python, holding the GIL the training loop
# needs), which for a model whose epochs take 30 ms would alone cost 2% of its training.
EPOCH_PRINT_INTERVAL_S = 1.0
# The bar is drawn when what it shows changes, at most this often (a draw is ~0.7 ms),
# and once a second while nothing changes, so its clock still moves.
REDRAW_INTERVAL_S = 0.5
CLOCK_INTERVAL_S = 1.0


class ConsoleView:
    """Consumes events; draws a bar only on a terminal and only when not quiet."""

    def __init__(self, quiet: bool = False, stream=None, lang: str = "en"):
        self.lang = lang
        self.console = Console(file=stream or sys.stderr, highlight=False)
        self.quiet = quiet
        self.show_bar = not quiet and self.console.is_terminal
        self._bar: Bar | None = None
        self._task = None
        self._drawing: _Drawing | None = None
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
            finished = event.total is not None and event.done >= event.total
            if self._drawing is not None:
                self._drawing.show(event.done, event.total, numbers(event.info), self._epoch_text(),
                                   now=finished)
            if finished:
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
        self._print_now(renderable)

    def _print_epoch_lines(self) -> None:
        if self._epoch_lines:
            self._print_now("\n".join(self._epoch_lines))
            self._epoch_lines.clear()

    def _print_now(self, renderable) -> None:
        """A print under a live bar draws the bar again too, with what it shows now."""
        if self._drawing is not None:
            self._drawing.draw_with(lambda: self.console.print(renderable))
        else:
            self.console.print(renderable)
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
        # Drawn by `_Drawing`, not by Rich's own thread, which redraws 4 times a second
        # whether anything changed or not.
        self._bar = Bar(TextColumn("[bold]{task.description}"), TextColumn("{task.fields[epoch]}"),
                        BarColumn(), TaskProgressColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), TextColumn("{task.fields[info]}"),
                        console=self.console, transient=True, auto_refresh=False)
        self._bar.start()
        self._task = self._bar.add_task(name, total=total, info="", epoch="")
        self._drawing = _Drawing(self._bar, self._task)

    def close(self) -> None:
        self._print_epoch_lines()
        if self._drawing is not None:
            self._drawing.stop()
            self._drawing = None
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
            self._task = None


class _Drawing:
    """When a live bar is drawn: as soon as the numbers on it change, but at most every
    REDRAW_INTERVAL_S (the last numbers wait for the next draw, never lost), at once for a
    stage's final state, and every CLOCK_INTERVAL_S for its elapsed time; never twice
    for the same picture. Progress comes from Keras' helper thread, epoch lines and the
    clock from others: one lock keeps their draws apart."""

    def __init__(self, bar: Bar, task) -> None:
        self._bar, self._task = bar, task
        self._lock = threading.Lock()
        self._shown: tuple | None = None  # (done, total, info, epoch) as last handed to the bar
        self._drawn: tuple | None = None  # ... and the elapsed second, as last drawn
        self._drawn_at = 0.0
        self._stopped = threading.Event()
        self._clock = threading.Thread(target=self._tick, name="progress-clock", daemon=True)
        self._clock.start()

    def show(self, done: int, total: int | None, info: str, epoch: str, now: bool = False) -> None:
        """New numbers for the bar; drawn now if `now` (a stage's end) or due."""
        with self._lock:
            shown = (done, total, info, epoch)
            if shown != self._shown:
                self._shown = shown
                self._bar.update(self._task, completed=done, total=total, info=info, epoch=epoch)
            if now or time.perf_counter() - self._drawn_at >= REDRAW_INTERVAL_S:
                self._draw()

    def draw_with(self, printing: Callable[[], None]) -> None:
        """Run `printing`, which draws the bar below what it prints: that counts as a draw."""
        with self._lock:
            printing()
            self._drawn, self._drawn_at = self._picture(), time.perf_counter()

    def _draw(self) -> None:
        picture = self._picture()
        if picture != self._drawn:
            self._bar.refresh()
            self._drawn = picture
        self._drawn_at = time.perf_counter()

    def _picture(self) -> tuple:
        """What a draw would show: the numbers, and the clock to the second (one task a bar)."""
        elapsed = self._bar.tasks[0].elapsed if self._bar.tasks else None
        return self._shown, int(elapsed or 0)

    def _tick(self) -> None:
        while not self._stopped.wait(CLOCK_INTERVAL_S):
            with self._lock:
                if time.perf_counter() - self._drawn_at >= CLOCK_INTERVAL_S:
                    self._draw()

    def stop(self) -> None:
        """No clock draw after this returns (the bar is stopped next)."""
        self._stopped.set()
        self._clock.join()
