"""One run's entry in the run history: opened when work starts, closed with its outcome.

The runner wraps every run in a `Recording`. It taps the run's events for the per-epoch
history (whatever a lesson trains, through `ctx.callbacks`) and writes the row twice:
`running` before the lesson starts, then done, failed or cancelled. A history that fails
at any point costs one warning line and nothing else: the run goes on, its model is saved.
"""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from workbench.i18n.catalogue import ENGINE
from workbench.results.history import Guarded, Unavailable, open_history
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
        line = ENGINE.everywhere("warning: this run is not in the run history: {reason}", reason=reason)
        self._emit(Log.worded(line, level="warning"))

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
        self.history.finish(self.run_id, outcome, message=message, metrics=metrics,
                            history=self.epochs, model_path=model_path, claims=claims)

    def tensorboard_dir(self, folder: Path) -> Path:
        """`<models>/tensorboard/<run id>/`; a timestamp names it when no history does."""
        name = (str(self.run_id) if self.run_id is not None else
                "run-" + _dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f"))
        return folder / TENSORBOARD_DIR / name
