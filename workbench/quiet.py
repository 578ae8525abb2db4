"""Keep TensorFlow's chatter off the learner's screen, and import it only when needed.

TensorFlow prints from C++ (absl start-up lines, oneDNN and CUDA notices) straight to
file descriptor 2, past anything Python's `logging` can filter, and Keras warns through
absl that HDF5 is "legacy". Front ends call `detach_native_stderr()` once so native
writes go to /dev/null while Python's own `sys.stderr` keeps the terminal; library
callers get the quieter `import_tensorflow()`, which mutes fd 2 only around the import.
Set WORKBENCH_DEBUG=1 to see everything.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import warnings

_DEBUG = os.environ.get("WORKBENCH_DEBUG") == "1"


def _set_quiet_env() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")


@contextlib.contextmanager
def _native_stderr_muted():
    if _DEBUG:
        yield
        return
    try:
        saved = os.dup(2)
    except OSError:  # no fd 2 at all (some embedded interpreters): nothing to mute
        yield
        return
    sys.stderr.flush()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def detach_native_stderr() -> None:
    """Send fd 2 to /dev/null for good; Python's `sys.stderr` keeps writing to the terminal.

    Only when `sys.stderr` is still the process's own: a host that replaced it (pytest's
    capture, an IDE console) owns the stream, and we leave it alone.
    """
    if _DEBUG or sys.stderr is not sys.__stderr__:
        return
    try:
        saved = os.dup(2)
    except OSError:
        return
    sys.stderr.flush()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    encoding = getattr(sys.stderr, "encoding", None) or "utf-8"
    stream = os.fdopen(saved, "w", buffering=1, encoding=encoding, errors="backslashreplace")
    sys.stderr = stream


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
    _set_quiet_env()
    with _native_stderr_muted():
        import tensorflow as tf
        import keras  # noqa: F401  (Keras' first import also talks; keep it inside the mute)
    _quiet_python_loggers()
    return tf
