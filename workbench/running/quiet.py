"""Keep TensorFlow's chatter off the learner's screen, and import it only when needed.

TensorFlow prints from C++ (absl start-up lines, oneDNN and CUDA notices) straight to
file descriptor 2, past anything Python's `logging` can filter, and Keras warns through
absl that HDF5 is "legacy". `native_stderr_diverted()` is the one place that deals with
it: within the block fd 2 goes to /dev/null (or a log file) while Python's own stderr,
where the CLI prints and the app draws, keeps the terminal. The CLI holds it around a
command, the app around its whole run, `import_tensorflow()` around the import for
library callers. Set WORKBENCH_DEBUG=1 to see everything.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import warnings
from typing import Iterator

DEBUG = os.environ.get("WORKBENCH_DEBUG") == "1"


@contextlib.contextmanager
def native_stderr_diverted(sink: str | None = None) -> Iterator[None]:
    """Within the block, native writes to fd 2 go to `sink` (default: /dev/null; with
    WORKBENCH_DEBUG=1 and no sink, nothing is diverted) and `sys.stderr` and
    `sys.__stderr__` (Textual draws on the latter) write to the terminal.

    Python's streams are moved only while they are still the process's own: a host that
    replaced `sys.stderr` (pytest's capture, an IDE console) keeps it."""
    if DEBUG and sink is None:
        yield
        return
    try:
        terminal_fd = os.dup(2)
    except OSError:  # no fd 2 at all (some embedded interpreters): nothing can garble
        yield
        return
    own = sys.stderr is sys.__stderr__
    saved = sys.stderr, sys.__stderr__
    sys.stderr.flush()
    target = os.open(sink or os.devnull, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(target, 2)
    os.close(target)
    terminal = None
    if own:
        encoding = getattr(sys.stderr, "encoding", None) or "utf-8"
        terminal = os.fdopen(os.dup(terminal_fd), "w", buffering=1, encoding=encoding,
                             errors="backslashreplace")
        sys.stderr = sys.__stderr__ = terminal
    try:
        yield
    finally:
        if terminal is not None:
            terminal.flush()
        sys.stderr, sys.__stderr__ = saved
        os.dup2(terminal_fd, 2)
        os.close(terminal_fd)
        if terminal is not None:
            terminal.close()


def _quiet_python_loggers() -> None:
    for name in ("absl", "tensorflow", "keras", "h5py"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module=r"(keras|tensorflow|absl)(\.|$)")
    warnings.filterwarnings("ignore", message=r".*HDF5 file.*legacy.*")


def import_tensorflow():
    """`import tensorflow` with its native noise muted and its Python loggers capped at ERROR."""
    if "tensorflow" in sys.modules and "keras" in sys.modules:
        _quiet_python_loggers()
        return sys.modules["tensorflow"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    _quiet_python_loggers()  # Python's own warnings during the import, too
    with native_stderr_diverted():
        import tensorflow as tf
        import keras  # noqa: F401  (Keras' first import also talks; keep it inside the mute)
    _quiet_python_loggers()
    return tf
