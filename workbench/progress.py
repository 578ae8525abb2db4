"""The CLI's view of a run: a progress bar and log lines on stderr, pictures, a summary."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn, TimeElapsedColumn

from workbench import events, pictures


class ConsoleView:
    """Consumes events; draws a bar only on a terminal and only when not quiet."""

    def __init__(self, quiet: bool = False, stream=None):
        self.console = Console(file=stream or sys.stderr, highlight=False)
        self.quiet = quiet
        self.show_bar = not quiet and self.console.is_terminal
        self._bar: Bar | None = None
        self._task = None

    def __call__(self, event) -> None:
        if self.quiet:
            return
        if isinstance(event, events.Stage):
            self._start(event.name, event.total)
        elif isinstance(event, events.Progress):
            if self._bar is not None and self._task is not None:
                info = "  ".join(f"{k} {v:.4g}" for k, v in event.info.items())
                self._bar.update(self._task, completed=event.done, total=event.total, info=info)
        elif isinstance(event, events.Log):
            self.console.print(event.text)
        elif isinstance(event, events.EpochEnd):
            shown = "  ".join(f"{k} {v:.4f}" for k, v in event.logs.items())
            self.console.print(f"epoch {event.epoch}: {shown}")
        elif isinstance(event, events.Picture):
            self.console.print(pictures.render(event, color=self.console.is_terminal,
                                               width=self.console.width))
        elif isinstance(event, events.Artifact):
            self.console.print(f"saved {event.kind}: {event.path}")

    def _start(self, name: str, total: int | None) -> None:
        self.close()
        if not self.show_bar:
            return
        self._bar = Bar(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), TextColumn("{task.fields[info]}"),
                        console=self.console, transient=True)
        self._bar.start()
        self._task = self._bar.add_task(name, total=total, info="")

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
            self._task = None
