"""Keep native stderr off the app's screen for as long as the app runs.

TensorFlow writes from C++ straight to file descriptor 2 (absl start-up lines, oneDNN
and CUDA notices), at import and during training, past anything Python can filter. In
a terminal app those bytes would land in the middle of the drawn screen. Textual draws
on `sys.__stderr__`, so we move that stream to a duplicate of the terminal and point
fd 2 itself at a log file (WORKBENCH_DEBUG=1) or /dev/null. Python's own warnings do
not need this: Textual captures `sys.stderr` while it runs.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Iterator

DEBUG_LOG = "workbench-app.log"


@contextlib.contextmanager
def native_stderr_diverted() -> Iterator[str | None]:
    """Within the block, fd 2 goes to the debug log or /dev/null and `sys.__stderr__`
    (Textual's output) to the terminal. Yields the log's path, or None for /dev/null."""
    try:
        terminal_fd = os.dup(2)
    except OSError:  # no fd 2 at all: nothing can garble the screen
        yield None
        return
    log = str(Path(DEBUG_LOG).resolve()) if os.environ.get("WORKBENCH_DEBUG") == "1" else None
    sink = os.open(log or os.devnull, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    saved_streams = sys.stderr, sys.__stderr__
    encoding = getattr(sys.__stderr__, "encoding", None) or "utf-8"
    terminal = os.fdopen(terminal_fd, "w", encoding=encoding, errors="backslashreplace")
    sys.stderr.flush()
    os.dup2(sink, 2)
    os.close(sink)
    sys.stderr = sys.__stderr__ = terminal
    try:
        yield log
    finally:
        terminal.flush()
        os.dup2(terminal_fd, 2)
        sys.stderr, sys.__stderr__ = saved_streams
        terminal.close()
