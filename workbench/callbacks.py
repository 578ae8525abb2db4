"""Keras callbacks that connect `model.fit` to a run, one job each (as Keras' own do).

`TrainingEvents` reports progress and epochs as workbench events, `StopOnCancel` stops
training within a batch when the learner cancels, `StopOnDivergence` stops a run whose
loss is NaN or has blown up, with a message naming the knob to turn. History is Keras'
own: `model.fit(...).history`.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from typing import Callable

import keras

from workbench.errors import BadInput, Cancelled
from workbench.events import EpochEnd, Event, Progress, Stage

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
        self.emit(Stage(self.stage, self._total))

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


class EpochTensorBoard(keras.callbacks.TensorBoard):
    """Keras' TensorBoard callback writing scalars per epoch, without its per-batch cost.

    With `update_freq="epoch"` Keras still builds a `batch_*` summary for every log key
    of every batch (0.5 ms each in eager mode) only for `record_if` to drop it, and writes
    an `evaluation_*_vs_iterations` copy of the validation metrics after each epoch; on
    a small model that is most of its overhead. Here a batch only counts, and the epoch's
    summaries are Keras' own (`epoch_loss`, `epoch_accuracy`, `learning_rate`...), written
    by a thread of their own (each takes a few eager ops) while the next epoch trains;
    the fit ends only once they are all written."""

    def __init__(self, log_dir: str):
        super().__init__(log_dir=log_dir, write_graph=False, update_freq="epoch", profile_batch=0)
        self._epochs: queue.SimpleQueue = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._compiled: dict = {}

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        self._writer = threading.Thread(target=self._write_epochs, name="tensorboard-epochs",
                                        daemon=True)
        self._writer.start()

    def _write_epochs(self) -> None:
        while (item := self._epochs.get()) is not None:
            self._log_epoch_metrics(*item)

    def _log_epoch_metrics(self, epoch, logs):
        """Keras' epoch scalars (the same tags, `epoch_loss` in train/ and validation/),
        each writer's written by one compiled function instead of an eager op chain per
        scalar: 2 ms a scalar becomes a fraction of a millisecond an epoch."""
        if not logs:
            return
        train = self._collect_learning_rate({k: v for k, v in logs.items() if not k.startswith("val_")})
        val = {k[len("val_"):]: v for k, v in logs.items() if k.startswith("val_")}
        for writer, values in ((self._train_writer, train), (self._val_writer, val)):
            if values:
                self._scalars(writer, tuple(sorted(values)))(
                    [float(values[name]) for name in sorted(values)], epoch)

    def _scalars(self, writer, names: tuple[str, ...]):
        import tensorflow as tf

        key = (id(writer), names)
        if key not in self._compiled:
            @tf.function(input_signature=[tf.TensorSpec([len(names)], tf.float32),
                                          tf.TensorSpec([], tf.int64)])
            def write(values, step):
                with writer.as_default(step=step):
                    for i, name in enumerate(names):
                        tf.summary.scalar(f"epoch_{name}", values[i])

            self._compiled[key] = write
        return self._compiled[key]

    def on_epoch_end(self, epoch, logs=None):
        self._epochs.put((epoch, dict(logs or {})))

    def on_train_end(self, logs=None):
        self.finish_writing()
        super().on_train_end(logs)

    def finish_writing(self) -> None:
        """Write what is queued and end the thread: at the fit's end, and by the run when a
        fit ends in an exception (cancelled, diverged), which Keras' on_train_end skips."""
        if self._writer is not None:
            self._epochs.put(None)
            self._writer.join()
            self._writer = None

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1

    def on_train_batch_end(self, batch, logs=None):
        pass

    def on_test_batch_begin(self, batch, logs=None):
        self._global_test_batch += 1

    def on_test_end(self, logs=None):
        self._pop_writer()
