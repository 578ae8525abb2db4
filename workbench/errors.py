"""The exceptions a front end turns into exit codes.

Every error a learner can cause by what they typed is a `BadInput`: the CLI prints its
message as one line and exits 2, the app shows the same line inline. Nothing else in
the code base decides how an error is shown.
"""


class WorkbenchError(Exception):
    """Base class; `exit_code` is what the CLI returns for it."""

    exit_code = 1


class BadInput(WorkbenchError):
    """The request cannot be carried out as given (bad value, missing file, wrong model)."""

    exit_code = 2


class Cancelled(WorkbenchError):
    """The learner stopped the run (Ctrl+C, Escape); nothing was saved."""

    exit_code = 130

    def __init__(self, message: str = "cancelled; nothing was saved"):
        super().__init__(message)


class InputTooSmall(BadInput):
    """A network's windows no longer fit the shrinking image; the message names the layer."""


class DiskFull(WorkbenchError):
    """The disk (or the quota) under a file being written is full. The file was written
    whole or not at all: nothing half-written is left, an older file of that name stays."""
