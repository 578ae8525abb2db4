"""The Keras callback that turns `model.fit` into workbench events."""

from __future__ import annotations

import math
import time

import keras

from workbench.errors import BadInput, Cancelled
from workbench.events import EpochEnd, Progress, Stage

# Progress events are throttled: a front end cannot show 1,000 updates a second, and
# emitting them would cost more than the training step on a tiny model.
PROGRESS_INTERVAL_S = 0.1


class EventCallback(keras.callbacks.Callback):
    # Keras may run the per-batch hook on a helper thread, so the training loop never
    # waits for the step's logs to be copied out of the graph (a sync point per step,
    # ~5% of a small model's time). An exception raised there (Cancelled) reaches the
    # loop at the next step's hook, so cancellation still stops training within a batch.
    async_safe = True

    def __init__(self, ctx, stage: str = "train", knob: str = "learning_rate",
                 diverge_above: float | None = None):
        super().__init__()
        self.ctx = ctx
        self.stage = stage
        self.knob = knob  # named in the message when the loss blows up
        # A finite loss can blow up too (Adam with a huge step stays finite): above this
        # value the run is stopped as diverged rather than left to save a useless model.
        self.diverge_above = diverge_above
        self._last_emit = 0.0
        self._done = 0
        self._total = None

    def on_train_begin(self, logs=None):
        steps, epochs = self.params.get("steps"), self.params.get("epochs", 1)
        self._total = steps * epochs if steps else None
        self._done = 0
        self.ctx.emit(Stage(self.stage, self._total))

    def on_train_batch_end(self, batch, logs=None):
        self._done += 1
        if self.ctx.cancelled:
            raise Cancelled()
        now = time.perf_counter()
        if now - self._last_emit >= PROGRESS_INTERVAL_S:
            self._last_emit = now
            info = {k: float(v) for k, v in (logs or {}).items()}
            self.ctx.emit(Progress(self.stage, self._done, self._total, info))

    def on_epoch_end(self, epoch, logs=None):
        logs = {k: float(v) for k, v in (logs or {}).items()}
        loss = logs.get("loss", 0.0)
        if not math.isfinite(loss):
            raise BadInput(f"loss became {'NaN' if math.isnan(loss) else 'infinite'} at epoch "
                           f"{epoch + 1}; lower {self.knob}")
        if self.diverge_above is not None and loss > self.diverge_above:
            raise BadInput(f"loss blew up to {loss:.3g} at epoch {epoch + 1} (the run stops above "
                           f"{self.diverge_above:.3g}); lower {self.knob}")
        self.ctx.record_epoch(EpochEnd(epoch + 1, logs))
        self.ctx.emit(Progress(self.stage, self._done, self._total, logs))
