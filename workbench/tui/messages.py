"""Messages the app's worker threads post to the UI thread.

Workers never touch widgets: `post_message` is thread-safe, so a worker wraps what it has
(a workbench event, a result, an error line) in one of these and the widget that cares
handles it on the UI thread.
"""

from __future__ import annotations

from typing import Any

from textual.message import Message

from workbench.events import Event


def post(target, message: Message) -> None:
    """Post from a worker thread; once the app has closed there is no one to tell."""
    try:
        target.post_message(message)
    except RuntimeError:  # the event loop is already closed
        pass


class RunEvent(Message):
    """One event of the running lesson (stage, progress, log, metric, epoch, picture...)."""

    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event


class RunEnded(Message):
    """The run is over: `outcome` is "done" (with `result`), "cancelled" or "failed" (with
    `error`, the one line the CLI would print)."""

    def __init__(self, outcome: str, result: Any = None, error: str | None = None) -> None:
        super().__init__()
        self.outcome = outcome
        self.result = result
        self.error = error


class BackendReady(Message):
    """The background import finished; `error` is set if it failed."""

    def __init__(self, version: str | None, error: str | None = None) -> None:
        super().__init__()
        self.version = version
        self.error = error


class AnatomyReady(Message):
    """The per-layer table of `arch`, or the reason it could not be built."""

    def __init__(self, arch: str, anatomy: dict | None, error: str | None = None) -> None:
        super().__init__()
        self.arch = arch
        self.anatomy = anatomy
        self.error = error


class TextGenerated(Message):
    """A chunk of sampled text from the generate worker."""

    def __init__(self, chunk: str) -> None:
        super().__init__()
        self.chunk = chunk


class GenerationEnded(Message):
    """Sampling stopped: finished, stopped by the learner, or failed with `error`."""

    def __init__(self, outcome: str, error: str | None = None, seconds: float = 0.0,
                 characters: int = 0) -> None:
        super().__init__()
        self.outcome = outcome
        self.error = error
        self.seconds = seconds
        self.characters = characters
