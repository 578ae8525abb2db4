"""Ctrl+C during a headless run.

Python turns SIGINT into KeyboardInterrupt wherever the main thread happens to be, and
library code can swallow it: Keras builds its loss inside bare `except:` clauses while
it traces the first training step, so an interrupt landing there vanished and the run
went on to the end. Here Ctrl+C also sets the run's cancel flag, which the run checks at
every batch (and the lessons between their own steps); a swallowed interrupt still
stops the run, a moment later, as a KeyboardInterrupt like any other.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Iterator

from workbench.errors import Cancelled


@contextmanager
def interrupt_cancels(cancel: threading.Event) -> Iterator[None]:
    """Within the block, Ctrl+C raises KeyboardInterrupt and sets `cancel`; a `Cancelled`
    that follows from it leaves the block as KeyboardInterrupt. Where SIGINT is ignored
    (a background job) or this is not the main thread, nothing changes."""
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is signal.SIG_IGN):
        yield
        return

    def on_interrupt(signum, frame):
        cancel.set()
        signal.default_int_handler(signum, frame)

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield
    except Cancelled:
        if cancel.is_set():
            raise KeyboardInterrupt from None
        raise
    finally:
        signal.signal(signal.SIGINT, previous)
