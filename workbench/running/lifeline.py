"""A child process that must not outlive its parent: a worker of a run across workers,
or the app's run in a child. Killed with it however it goes (SIGKILL included), by the
kernel on Linux (PR_SET_PDEATHSIG); elsewhere by a thread that watches for the parent
to change, a little later."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1  # <sys/prctl.h>
PARENT_POLL_S = 0.5


def die_with_parent(parent: int) -> None:
    """From now on this process ends when `parent`, which started it, does."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # it went before the line above
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="workbench-lifeline").start()
