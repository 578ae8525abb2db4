"""One run's entry in the run history: opened when work starts, closed with its outcome.

The runner wraps every run in a `Recording`. It taps the run's events for the per-epoch
history (whatever a lesson trains, through `ctx.callbacks`) and writes the row twice:
`running` before the lesson starts, then done, failed or cancelled. A history that fails
at any point costs one warning line and nothing else: the run goes on, its model is saved.
An outcome that meets a locked file is kept beside it, and the warning says where.

The run's TensorBoard folder is checked before the run (`check_tensorboard`: one line,
exit 2, where it cannot be written) and tidied after it (`tidy_tensorboard`): folders
left empty go, and so do the logs of a run that failed on a full disk (half-written).
"""

from __future__ import annotations

import datetime as _dt
import errno
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from workbench.errors import BadInput
from workbench.i18n.catalogue import tr
from workbench.i18n.language import LANGUAGES
from workbench.results.history import Guarded, Unavailable, in_language, open_history
from workbench.running.events import EpochEnd, Event, Log

TENSORBOARD_DIR = "tensorboard"
# Set to 0 to keep runs from writing TensorBoard logs (as `--no-tensorboard` does).
TENSORBOARD_ENV = "WORKBENCH_TENSORBOARD"


def tensorboard_wanted(flag: bool | None = None) -> bool:
    """`--no-tensorboard` (flag False) or WORKBENCH_TENSORBOARD=0 turn the logs off."""
    if flag is not None:
        return flag
    return os.environ.get(TENSORBOARD_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


class Recording:
    def __init__(self, folder: Path, emit: Callable[[Event], None], *, record: bool = True):
        self._emit = emit
        self.history = Guarded(open_history(folder) if record else Unavailable(""), self._warn)
        self.run_id: int | None = None
        self.epochs: list[dict[str, Any]] = []

    def _warn(self, reason: str) -> None:
        self._emit(Log.worded({lang: tr(lang, "warning: this run is not in the run history: {reason}",
                                         reason=in_language(reason, lang)) for lang in LANGUAGES},
                              level="warning"))

    def tap(self, event: Event) -> None:
        """Passes every event on, keeping the epochs."""
        if isinstance(event, EpochEnd):
            self.epochs.append({"series": event.series, "epoch": event.epoch, **event.logs})
        self._emit(event)

    def begin(self, lesson: str, params: Mapping[str, Any], **about: Any) -> None:
        self.run_id = self.history.begin(lesson, params, **about)

    def finish(self, outcome: str, *, message: str | None = None,
               metrics: Mapping[str, Any] | None = None, model_path: str | None = None,
               claims: Sequence[Mapping] = ()) -> None:
        if self.run_id is None:
            return
        kept_aside = self.history.finish(self.run_id, outcome, message=message, metrics=metrics,
                                         history=self.epochs, model_path=model_path, claims=claims)
        if kept_aside:  # the file was locked: the outcome waits beside it
            self._emit(Log.worded({lang: in_language(kept_aside, lang) for lang in LANGUAGES},
                                  level="warning"))

    def tensorboard_dir(self, folder: Path) -> Path:
        """`<models>/tensorboard/<run id>/`; a timestamp names it when no history does."""
        name = (str(self.run_id) if self.run_id is not None else
                "run-" + _dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f"))
        return folder / TENSORBOARD_DIR / name


def check_tensorboard(folder: Path) -> bool:
    """BadInput unless TensorBoard logs can be written in `<folder>/tensorboard`: told
    before any work rather than after the first epoch. A file is made and removed in the
    nearest folder that exists; nothing is left. Whether `tensorboard/` was there."""
    target = folder / TENSORBOARD_DIR
    existing = target
    while not os.path.lexists(existing) and existing.parent != existing:
        existing = existing.parent
    advice = "use --no-tensorboard, or --models-dir for a folder you can write"
    if not existing.is_dir():
        raise BadInput(f"TensorBoard logs cannot be written in {target}: {existing} is not a "
                       f"folder ({advice})")
    try:
        handle, probe = tempfile.mkstemp(prefix=".workbench-probe-", dir=existing)
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:  # no inode left: the command's one line says so
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(existing)) from None
        raise BadInput(f"TensorBoard logs cannot be written in {target}: {exc.strerror or exc} "
                       f"({advice})") from None
    return existing == target


def tidy_tensorboard(run_dir: Path, *, discard: bool, root_was_there: bool = True) -> None:
    """After a run: its log folder goes whole when `discard` (a full disk half-wrote it),
    else the folders in it that hold nothing; `tensorboard/` itself when this run made it
    and it is left empty."""
    if discard:
        shutil.rmtree(run_dir, ignore_errors=True)
    elif run_dir.is_dir():
        for here, _, _ in sorted(os.walk(run_dir), key=lambda entry: -len(entry[0])):
            try:
                os.rmdir(here)  # only an empty folder goes
            except OSError:
                pass
    if not root_was_there:
        try:
            os.rmdir(run_dir.parent)
        except OSError:
            pass
