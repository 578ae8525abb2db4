"""The CLI's view of a run: a progress bar and log lines on stderr, pictures, a summary."""

from __future__ import annotations

import sys
import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn, TimeElapsedColumn

from workbench import charts, events, pictures
from workbench.formatting import epoch_line, numbers

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

    def __call__(self, event) -> None:
        if self.quiet:
            if isinstance(event, events.Log) and event.level == "warning":
                self.console.print(event.in_language(self.lang), soft_wrap=True)  # one line
            return
        if isinstance(event, events.Stage):
            self._start(event.name, event.total)
        elif isinstance(event, events.Progress):
            if self._bar is not None and self._task is not None:
                self._bar.update(self._task, completed=event.done, total=event.total,
                                 info=numbers(event.info))
            if event.total is not None and event.done >= event.total:
                self._print_epoch_lines()  # the stage is over: nothing more to wait for
        elif isinstance(event, events.Log) and event.level == "warning":
            self._print_epoch_lines()
            self.console.print(event.in_language(self.lang), soft_wrap=True)  # one whole line
        elif isinstance(event, events.Log):
            self._print(event.in_language(self.lang))
        elif isinstance(event, events.EpochEnd):
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

    def _start(self, name: str, total: int | None) -> None:
        self.close()
        if not self.show_bar:
            return
        # 4 redraws a second, not Rich's default 10: each takes ~1 ms of Python (so of the
        # GIL the training loop needs), and a bar redrawn 4 times a second still looks live.
        self._bar = Bar(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), TextColumn("{task.fields[info]}"),
                        console=self.console, transient=True, refresh_per_second=4)
        self._bar.start()
        self._task = self._bar.add_task(name, total=total, info="")

    def close(self) -> None:
        self._print_epoch_lines()
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
            self._task = None
