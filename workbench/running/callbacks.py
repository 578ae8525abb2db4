"""Keras callbacks that connect `model.fit` to a run, one job each (as Keras' own do).

`TrainingEvents` reports progress and epochs as workbench events, `StopOnCancel` stops
training within a batch when the learner cancels, `StopOnDivergence` stops a run whose
loss is NaN or has blown up, with a message naming the knob to turn. History is Keras'
own: `model.fit(...).history`.
"""

from __future__ import annotations

import concurrent.futures
import errno
import math
import os
import threading
import time
from typing import Callable

import keras
from tensorboard.compat.proto import event_pb2, tensor_pb2, tensor_shape_pb2, types_pb2
from tensorboard.plugins.scalar import metadata as scalar_metadata
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
        # The epoch's numbers on the bar, throttled as the batches' are (epochs of a small
        # model end 30 times a second); never the last, which tells a view the stage is over.
        now = time.perf_counter()
        last = self._done == self._total or self._total is None or self.model.stop_training
        if last or now - self._last_emit >= PROGRESS_INTERVAL_S:
            self._last_emit = now
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
    popped around every evaluation, and a few eager ops per scalar. Here an epoch costs
    the training loop only a copy of its numbers (and of the learning rate, see
    `_current_learning_rate`): the records are built and written by a thread of this
    callback's own, in batches: when the fit ends, and every `WRITE_INTERVAL_S` while it
    runs (so TensorBoard, open during a long fit, still sees its curves grow). Writing each epoch as it ended cost
    about half a millisecond of the loop's time per epoch, 2% of a small model's fit.

    The run waits for that thread before it saves anything (`finish_writing`), so no
    epoch is lost and a failure to write is known in time. The logs never cost a run but
    on a full disk, where its model could not be kept either: that fails the run with an
    OSError (ENOSPC) naming the log folder. Any other failure to write (the folder was
    checked before the run) is said once, through `warn(reason)`, and the logs stop; the
    run goes on. Without `warn`, it is raised."""

    WRITE_INTERVAL_S = 20.0
    RATE_READ_INTERVAL_S = 1.0

    def __init__(self, log_dir: str, warn: Callable[[str], None] | None = None):
        super().__init__()
        self.log_dir = log_dir
        self._warn = warn
        self._stopped = False  # set by the writing thread at its first failure
        self._writers: dict[str, EventFileWriter] = {}  # touched by the writing thread only
        # (split, epoch, wall time, {name: value}) not yet handed to the writing thread
        self._pending: list[tuple[str, int, float, dict[str, float]]] = []
        self._writing: concurrent.futures.ThreadPoolExecutor | None = None
        self._failure: BaseException | None = None  # the writing thread's, said by finish_writing
        self._handed_at = time.perf_counter()
        self._rate: float | None = None
        self._rate_read_at = -math.inf

    def on_train_begin(self, logs=None):
        self._handed_at = time.perf_counter()
        self._rate_read_at = -math.inf  # the rate read afresh at the first epoch's end

    def on_epoch_end(self, epoch, logs=None):
        if self._stopped:
            return
        train, validation = {}, {}
        for key, value in (logs or {}).items():
            if key.startswith("val_"):
                validation[key[len("val_"):]] = float(value)
            else:
                train[key] = float(value)
        if "learning_rate" not in train:  # Keras' rate callbacks put it there
            learning_rate = self._current_learning_rate()
            if learning_rate is not None:
                train["learning_rate"] = learning_rate
        wall_time = time.time()
        self._pending.extend((split, epoch, wall_time, values)
                             for split, values in (("train", train), ("validation", validation)) if values)
        if time.perf_counter() - self._handed_at >= self.WRITE_INTERVAL_S:
            self._hand_over()

    def on_train_end(self, logs=None):
        """The fit's last records, then the files closed, on the writing thread; the fit
        does not wait for them (the run does, in `finish_writing`, after what it does
        meanwhile: an evaluation, the next fit)."""
        self._hand_over()
        self._close_on_writing_thread()

    def _hand_over(self) -> None:
        """Give the pending records to the writing thread (started on first use)."""
        self._handed_at = time.perf_counter()
        if not self._pending or self._stopped:
            return
        records, self._pending = self._pending, []
        if self._writing is None:
            self._writing = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="tensorboard")
        self._writing.submit(self._write, records)

    def _close_on_writing_thread(self) -> None:
        if self._writing is not None:
            self._writing.submit(self._close_after_writing)

    def _close_after_writing(self) -> None:
        trouble = self._close_writers()
        self._failure = self._failure or trouble

    def _write(self, records) -> None:
        """On the writing thread: one event per (split, epoch), in the order they came.
        The first failure stops the logs; `finish_writing` reports it."""
        if self._failure is not None:
            return
        try:
            for split, epoch, wall_time, values in records:
                if split not in self._writers:
                    self._writers[split] = EventFileWriter(os.path.join(self.log_dir, split))
                self._writers[split].add_event(_epoch_event(epoch, wall_time, values))
        except Exception as exc:  # noqa: BLE001  (TensorFlow's errors, from gfile)
            self._failure = exc
            self._stopped = True
            self._close_writers()

    def _close_writers(self) -> BaseException | None:
        writers, self._writers = list(self._writers.values()), {}
        trouble = None
        for writer in writers:
            try:
                writer.close()
            except Exception as exc:  # noqa: BLE001  (the last events met a full disk, say)
                trouble = trouble or exc
        return trouble

    def _current_learning_rate(self) -> float | None:
        """The optimizer's rate: a schedule's (or a callable's) every epoch, a fixed
        rate's at most every RATE_READ_INTERVAL_S. Reading the variable is an eager
        TensorFlow op, which between a small model's epochs cost about 0.4 ms each, more
        than all the rest of this callback; a fixed rate changes only when a callback sets
        it, and Keras' own put the new rate in the epoch's logs, which are used first."""
        optimizer = getattr(self.model, "optimizer", None)
        schedule = callable(getattr(optimizer, "_learning_rate", None))  # a Variable is not
        now = time.perf_counter()
        if schedule or now - self._rate_read_at >= self.RATE_READ_INTERVAL_S:
            self._rate, self._rate_read_at = self._read_learning_rate(optimizer), now
        return self._rate

    @staticmethod
    def _read_learning_rate(optimizer) -> float | None:
        rate = getattr(optimizer, "learning_rate", None)
        if rate is None:
            return None
        # The TensorFlow variable under Keras' own reads in half the time of
        # `convert_to_numpy`; a schedule's rate is a tensor already.
        rate = getattr(rate, "value", rate)
        return float(rate.numpy() if hasattr(rate, "numpy") else keras.ops.convert_to_numpy(rate))

    def finish_writing(self, quiet: bool = False) -> None:
        """Write what is pending, wait for the writing thread, and flush and close the
        event files: called by the run after its lesson, before anything is saved (and
        when a fit ends in an exception, which Keras' on_train_end skips). A failure to
        write is said here. `quiet`: a run that has failed already closes them without a
        second error. Once finished, the callback can be used for another fit."""
        self._hand_over()
        self._close_on_writing_thread()
        writing, self._writing = self._writing, None
        if writing is not None:
            writing.shutdown(wait=True)
        failure, self._failure = self._failure, None
        if failure is None or quiet:
            return
        if disk_full(failure):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), self.log_dir) from failure
        if self._warn is None:
            raise failure
        self._warn(f"{self.log_dir}: {type(failure).__name__}: {failure}")


# What TensorBoard's `scalar_pb` attaches to every scalar, made once: building it and the
# tensor through its helpers took three times as long as the record itself.
_SCALAR_METADATA = scalar_metadata.create_summary_metadata(display_name=None, description=None)
_SCALAR_SHAPE = tensor_shape_pb2.TensorShapeProto()


def _epoch_event(epoch: int, wall_time: float, values: dict[str, float]) -> event_pb2.Event:
    """One epoch's numbers as TensorBoard's scalars (`epoch_<name>`), as `scalar_pb` makes
    them, filled in place (an Event given a Summary copies it)."""
    event = event_pb2.Event(wall_time=wall_time, step=epoch)
    for name in sorted(values):
        event.summary.value.add(tag=f"epoch_{name}", metadata=_SCALAR_METADATA,
                                tensor=tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT,
                                                              tensor_shape=_SCALAR_SHAPE,
                                                              float_val=[values[name]]))
    return event
