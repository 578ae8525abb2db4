"""What a lesson gets from the runner: data, events, cancellation and a place to keep models."""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from workbench.errors import Cancelled
from workbench.i18n.catalogue import ENGINE, Catalogue
from workbench.running import data as datasets
from workbench.running.events import Chart, Event, Log, Metric, Picture, Progress, Stage


# Resized images are cached between epochs up to this size; CIFAR-10 at 96x96 (5 GB)
# is resized afresh each epoch instead of filling a laptop's memory.
CACHE_LIMIT_BYTES = 1 << 30


@dataclass
class PendingSave:
    """A model the lesson wants kept; the runner writes it once the run has succeeded."""

    model: Any
    variant: str | None
    history: list[dict[str, float]]  # one row per epoch: {"epoch": 1, "loss": ...}
    extra: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] | None = None  # None: the run's metrics


def history_rows(history: Mapping[str, list[float]] | None) -> list[dict[str, float]]:
    """Keras' `fit(...).history` ({"loss": [...], ...}) as one row per epoch, as files keep it."""
    if not history:
        return []
    epochs = len(next(iter(history.values())))
    return [{"epoch": i + 1, **{name: float(values[i]) for name, values in history.items()}}
            for i in range(epochs)]


class RunContext:
    def __init__(self, *, dataset: str, seed: int, emit: Callable[[Event], None],
                 cancel: threading.Event, replicas: int = 1, batch_scale: int | None = None,
                 mine: Mapping[str, Callable] | None = None, tensorboard_dir=None,
                 texts: Catalogue | None = None):
        self.dataset = dataset
        # The lesson's message catalogue: its log lines in every language.
        self.texts = texts or Catalogue(None)
        # Where each fit writes its TensorBoard logs, in a folder of its own; None: none.
        self.tensorboard_dir = tensorboard_dir
        self._fits = 0
        self._boards: list = []
        # The learner's own functions (`workbench run --mine`), by exercise name; empty
        # otherwise. A lesson that finds them here runs with them beside its own.
        self.mine: Mapping[str, Callable] = mine or {}
        self.seed = seed
        self.replicas = replicas
        # How many of the lesson's batches a step takes: one per mirrored replica; one in
        # all across workers, whose strategy splits the (global) batch among them.
        self.batch_scale = replicas if batch_scale is None else batch_scale
        self._emit = emit
        self._cancel = cancel
        self.metrics: dict[str, Any] = {}
        self.saves: list[PendingSave] = []
        self.images_to_save: dict[str, Any] = {}

    # -- data ---------------------------------------------------------------------------
    @functools.cached_property
    def images(self) -> datasets.ImageData:
        return datasets.load_images(self.dataset)

    def global_batch(self, per_replica: int) -> int:
        """With N mirrored replicas each step sees N batches of the lesson's size; across
        workers the lesson's batch is the step's."""
        return per_replica * self.batch_scale

    def batches(self, x, y, per_replica: int, *, shuffle: bool = False, preprocess=None,
                augment=None, preprocessed_bytes: int = 0):
        """A tf.data pipeline of (x, y) at the global batch size, seeded by the run;
        `preprocess` runs once and is cached when its result (`preprocessed_bytes`, if the
        lesson knows them) fits in CACHE_LIMIT_BYTES; `augment` runs every epoch."""
        from workbench.running.pipeline import batches

        return batches(x, y, self.global_batch(per_replica), shuffle=shuffle, seed=self.seed,
                       preprocess=preprocess, augment=augment,
                       cache=preprocessed_bytes <= CACHE_LIMIT_BYTES)

    # -- events -------------------------------------------------------------------------
    def emit(self, event: Event) -> None:
        self._emit(event)

    def log(self, message: str, **fields: Any) -> None:
        """An explanatory line: `message` in English with `{named}` placeholders filled
        from `fields`, looked up in the lesson's catalogue for every language, so the
        front end shows the learner's."""
        self.emit(Log.worded(self.texts.everywhere(message, **fields)))

    def metric(self, name: str, value: Any) -> None:
        self.metrics[name] = value
        self.emit(Metric(name, value))

    def stage(self, name: str, total: int | None = None) -> None:
        self.check_cancelled()
        self.emit(Stage(name, total))

    def progress(self, stage: str, done: int, total: int | None, **info: float) -> None:
        self.check_cancelled()
        self.emit(Progress(stage, done, total, info))

    def picture(self, title: str, images, captions: list[str], columns: int = 0) -> None:
        """Grayscale images (2-D arrays in [0, 1]) for the front end to draw."""
        rows = [[[float(v) for v in row] for row in image] for image in images]
        self.emit(Picture(title, rows, list(captions), columns))

    def chart(self, title: str, x_label: str, x, series: Mapping[str, Any], *,
              log_y: bool = False, xs: Mapping[str, Any] | None = None,
              scatter: bool = False) -> None:
        """Lines for the front end to draw (the CLI in text, the app as a plot); `xs`
        gives a series x values of its own."""
        floats = lambda values: [float(v) for v in values]  # noqa: E731
        self.emit(Chart(title, x_label, floats(x), {name: floats(ys) for name, ys in series.items()},
                        log_y, {name: floats(v) for name, v in (xs or {}).items()}, scatter))

    def callbacks(self, stage: str = "train", *, series: str = "", knob: str = "learning_rate",
                  diverge_above: float | None = None, divergence_fails: bool = True) -> list:
        """The Keras callbacks that tie a `fit` to this run: stop on divergence (naming
        `knob`), stop on cancel, report progress and epochs (as `series`). Put them after
        the lesson's own callbacks, so the epochs reported carry what those add. A run
        that shows divergence on purpose (`divergence_fails=False`) only ends that `fit`
        at a NaN loss (`EndFitOnNaN`, first in the list) and goes on."""
        from workbench.running.callbacks import EndFitOnNaN, StopOnCancel, StopOnDivergence, TrainingEvents

        guard = StopOnDivergence(knob, diverge_above) if divergence_fails else EndFitOnNaN()
        return [guard, StopOnCancel(self._cancel), TrainingEvents(self.emit, stage, series),
                *self._tensorboard(series or stage)]

    def _tensorboard(self, name: str) -> list:
        """TensorBoard's scalars for one fit, per epoch only (no graph, no profile: they
        would cost more than a small model's training)."""
        if self.tensorboard_dir is None:
            return []
        from workbench.running.callbacks import EpochTensorBoard

        self._fits += 1
        board = EpochTensorBoard(str(self.tensorboard_dir / f"{self._fits:02d}-{name}"),
                                 warn=self._tensorboard_stopped)
        self._boards.append(board)
        return [board]

    def _tensorboard_stopped(self, reason: str) -> None:
        self.emit(Log.worded(ENGINE.everywhere(
            "warning: TensorBoard logs stopped, the run goes on: {reason}", reason=reason),
            level="warning"))

    def finish_logs(self, quiet: bool = False) -> None:
        """Write every fit's last TensorBoard events and close the files, also those of a
        fit that raised (`quiet`: after the run has failed, without raising again). The
        callbacks write on threads of their own: this waits for them, so it comes before
        anything is saved. A board that fails here is done with; the others are left for
        the `quiet` call that follows the failure."""
        while self._boards:
            self._boards.pop(0).finish_writing(quiet=quiet)

    # -- cancellation -------------------------------------------------------------------
    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check_cancelled(self) -> None:
        if self._cancel.is_set():
            raise Cancelled()

    # -- results ------------------------------------------------------------------------
    def save(self, model, variant: str | None = None, *,
             history: Mapping[str, list[float]] | None = None,
             metrics: dict[str, Any] | None = None, **extra: Any) -> None:
        """Keep `model` with its training `history` (`fit(...).history`); `extra` goes into
        its metadata (what it needs to be used again). A run that trains several models
        (the residual lesson's twins) gives each its own `metrics`; otherwise the file gets
        the run's."""
        self.saves.append(PendingSave(model, variant, history_rows(history), extra, metrics))

    def save_image(self, name: str, images, captions: Sequence[str] = (), columns: int = 0) -> None:
        """Keep images ((H, W) or (H, W, 3) in [0, 1]) as `<model>-<name>.png` beside the
        (first) saved model: enlarged, on a sheet, each with its caption underneath."""
        from workbench.drawing.sheets import sheet

        self.images_to_save[name] = sheet(list(images), list(captions), columns)
