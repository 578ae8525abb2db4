"""Messages the app's worker threads post to the UI thread.

Workers never touch widgets: `post_message` is thread-safe, so a worker wraps what it has
(a workbench event, a result, an error line) in one of these and the widget that cares
handles it on the UI thread. Each is a dataclass: its fields are all it carries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message

from workbench.running.events import Event


def post(target, message: Message) -> None:
    """Post from a worker thread; once the app has closed there is no one to tell."""
    try:
        target.post_message(message)
    except RuntimeError:  # the event loop is already closed
        pass


@dataclass
class RunEvent(Message):
    """One event of the running lesson (stage, progress, log, metric, epoch, picture...)."""

    event: Event


@dataclass
class RunEnded(Message):
    """The run is over: `outcome` is "done" (with `result`), "cancelled" or "failed" (with
    `error`, the one line the CLI would print)."""

    outcome: str
    result: Any = None
    error: str | None = None


@dataclass
class BackendReady(Message):
    """The background import finished; `error` is set if it failed."""

    version: str | None
    error: str | None = None


@dataclass
class AnatomyReady(Message):
    """The `workbench.results.anatomy.Anatomy` of `built` (architecture, input shape or None for
    the paper's), or the reason it could not be built."""

    built: tuple
    anatomy: Any
    error: str | None = None


@dataclass
class TextGenerated(Message):
    """A chunk of sampled text from the generate worker."""

    chunk: str


@dataclass
class GenerationEnded(Message):
    """Sampling stopped: finished, stopped by the learner, or failed with `error`."""

    outcome: str
    error: str | None = None
    seconds: float = 0.0
    characters: int = 0
