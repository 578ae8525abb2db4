"""Keras callbacks that connect `model.fit` to a run, one job each (as Keras' own do).

`TrainingEvents` reports progress and epochs as workbench events, `StopOnCancel` stops
training within a batch when the learner cancels, `StopOnDivergence` stops a run whose
loss is NaN or has blown up, with a message naming the knob to turn. History is Keras'
own: `model.fit(...).history`.
"""

from __future__ import annotations

import errno
import math
import os
import threading
import time
from typing import Callable

import keras
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.plugins.scalar.summary_v2 import scalar_pb
from tensorboard.summary.writer.event_file_writer import EventFileWriter

from workbench.drawing.numbers import disk_full
from workbench.errors import BadInput, Cancelled
from workbench.running.events import EpochEnd, Event, Progress, Stage

# Progress events are throttled: a front end cannot show 1,000 updates a second, and
# emitting them would cost more than the training step on a tiny model.
PROGRESS_INTERVAL_S = 0.1


class TrainingEvents(keras.callbacks.Callback):
    """A `Stage` when training begins, throttled `Progress` per batch, an `EpochEnd` per
    epoch with the epoch's logs (as the callbacks before this one left them)."""

    # Keras may run the per-batch hook on a helper thread, so the training loop never
    # waits for the step's logs to be copied out of the graph (a sync point per step,
    # ~5% of a small model's time).
    async_safe = True

    def __init__(self, emit: Callable[[Event], None], stage: str = "train", series: str = ""):
        super().__init__()
        self.emit, self.stage, self.series = emit, stage, series
        self._last_emit = 0.0
        self._done = 0
        self._total = None

    def on_train_begin(self, logs=None):
        steps, epochs = self.params.get("steps"), self.params.get("epochs", 1)
        self._total = steps * epochs if steps else None
        self._done = 0
        self.emit(Stage(self.stage, self._total, epochs))

    def on_train_batch_end(self, batch, logs=None):
        self._done += 1
        now = time.perf_counter()
        if now - self._last_emit >= PROGRESS_INTERVAL_S:
            self._last_emit = now
            info = {k: float(v) for k, v in (logs or {}).items()}
            self.emit(Progress(self.stage, self._done, self._total, info))

    def on_epoch_end(self, epoch, logs=None):
        logs = {k: float(v) for k, v in (logs or {}).items()}
        self.emit(EpochEnd(epoch + 1, logs, self.series))
        self.emit(Progress(self.stage, self._done, self._total, logs))


class StopOnCancel(keras.callbacks.Callback):
    """Raise `Cancelled` at the first batch that ends after `cancel` was set. On Keras'
    helper thread the exception reaches the loop at the next step's hook: still within
    a batch or two."""

    async_safe = True

    def __init__(self, cancel: threading.Event):
        super().__init__()
        self.cancel = cancel

    def on_train_batch_end(self, batch, logs=None):
        if self.cancel.is_set():
            raise Cancelled()


class EndFitOnNaN(keras.callbacks.Callback):
    """Keras' `TerminateOnNaN` without its print (which would land in the middle of the
    app's screen): the fit ends at the first batch whose loss is not finite, the run
    goes on, and `diverged_at` says the epoch (from 1), for the lesson to report."""

    def __init__(self):
        super().__init__()
        self.diverged_at: int | None = None
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch + 1

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.diverged_at = self._epoch
            self.model.stop_training = True


class StopOnDivergence(keras.callbacks.Callback):
    """Like Keras' `TerminateOnNaN`, but the run fails with a learner's message instead of
    saving a useless model: at an epoch whose loss is NaN, infinite, or (when
    `diverge_above` is given) above it; Adam with a huge step can stay finite and still
    be lost. `knob` is what the message tells the learner to lower."""

    def __init__(self, knob: str = "learning_rate", diverge_above: float | None = None):
        super().__init__()
        self.knob, self.diverge_above = knob, diverge_above

    def on_epoch_end(self, epoch, logs=None):
        loss = float((logs or {}).get("loss", 0.0))
        if not math.isfinite(loss):
            raise BadInput(f"loss became {'NaN' if math.isnan(loss) else 'infinite'} at epoch "
                           f"{epoch + 1}; lower {self.knob}")
        if self.diverge_above is not None and loss > self.diverge_above:
            raise BadInput(f"loss blew up to {loss:.3g} at epoch {epoch + 1} (the run stops above "
                           f"{self.diverge_above:.3g}); lower {self.knob}")


class EpochTensorBoard(keras.callbacks.Callback):
    """Per-epoch scalars for TensorBoard, in the layout and with the tags of Keras' own
    callback (`train/` and `validation/`; `epoch_loss`, `epoch_accuracy`,
    `epoch_learning_rate`...), written as TensorBoard's protocol buffers by its
    pure-Python event writer.

    Keras' callback goes through TensorFlow's summary ops: writer resources pushed and
    popped around every evaluation, and a few eager ops per scalar. On a model whose
    epoch takes 70 ms that was a tenth of the fit; building the same records here costs
    about 20 microseconds a scalar, and the writer's own thread does the file work.

    The logs never cost a run but on a full disk, where its model could not be kept
    either: that fails the run with an OSError (ENOSPC) naming the log folder. Any other
    failure to write (the folder was checked before the run) is said once, through
    `warn(reason)`, and the logs stop; the run goes on. Without `warn`, it is raised."""

    def __init__(self, log_dir: str, warn: Callable[[str], None] | None = None):
        super().__init__()
        self.log_dir = log_dir
        self._warn = warn
        self._stopped = False
        self._writers: dict[str, EventFileWriter] = {}

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        learning_rate = self._learning_rate()
        if learning_rate is not None:
            train["learning_rate"] = learning_rate
        validation = {k[len("val_"):]: v for k, v in logs.items() if k.startswith("val_")}
        for split, values in (("train", train), ("validation", validation)):
            if values:
                self._write(split, epoch, values)

    def _write(self, split: str, epoch: int, values: dict) -> None:
        if self._stopped:
            return
        summary = summary_pb2.Summary()
        for name in sorted(values):
            summary.value.extend(scalar_pb(f"epoch_{name}", float(values[name])).value)
        try:
            if split not in self._writers:
                self._writers[split] = EventFileWriter(os.path.join(self.log_dir, split))
            self._writers[split].add_event(event_pb2.Event(wall_time=time.time(), step=epoch,
                                                           summary=summary))
        except Exception as exc:  # noqa: BLE001  (TensorFlow's errors, from gfile)
            self._failed(exc)

    def _failed(self, exc: BaseException) -> None:
        self._stopped = True
        self.finish_writing(quiet=True)
        if disk_full(exc):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), self.log_dir) from exc
        if self._warn is None:
            raise exc
        self._warn(f"{self.log_dir}: {type(exc).__name__}: {exc}")

    def _learning_rate(self) -> float | None:
        optimizer = getattr(self.model, "optimizer", None)
        rate = getattr(optimizer, "learning_rate", None)
        return None if rate is None else float(keras.ops.convert_to_numpy(rate))

    def on_train_end(self, logs=None):
        self.finish_writing()

    def finish_writing(self, quiet: bool = False) -> None:
        """Flush and close the event files: at the fit's end, and by the run when a fit
        ends in an exception (cancelled, diverged), which Keras' on_train_end skips.
        `quiet`: a run that has failed already closes them without a second error."""
        writers, self._writers = list(self._writers.values()), {}
        trouble = None
        for writer in writers:
            try:
                writer.close()
            except Exception as exc:  # noqa: BLE001  (the last events met a full disk, say)
                trouble = trouble or exc
        if trouble is not None and not quiet:
            self._failed(trouble)
