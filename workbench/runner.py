"""Runs a lesson: validates the request, seeds, hands the lesson a context, saves results.

The order matters for a learner's files: every check that can fail on bad input runs
before any work, and models are written only after the lesson has finished, so a
cancelled or failed run never leaves a half-written or half-described model behind.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from workbench import registry, store
from workbench.context import RunContext
from workbench.errors import BadInput
from workbench.events import Artifact, Event
from workbench.params import resolve


@dataclass(frozen=True)
class Result:
    lesson: str
    params: dict[str, Any]
    dataset: str
    metrics: dict[str, Any]
    model_path: str | None
    seconds: float
    device: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def default_model_path(folder: Path, lesson_id: str, variant: str | None) -> Path:
    return folder / (f"{lesson_id}-{variant}.h5" if variant else f"{lesson_id}.h5")


def prepare(lesson_id: str, params: Mapping[str, Any] | None, dataset: str | None):
    """The lesson, its validated parameter values and dataset name, or BadInput."""
    lesson = registry.get(lesson_id)
    if not lesson.built:
        raise BadInput(f"lesson {lesson_id!r} is not built yet")
    values = resolve(lesson.params, params or {}, owner=f"lesson {lesson_id!r}")
    if lesson.check:
        lesson.check(values)
    dataset = lesson.default_dataset if dataset is None else dataset
    if dataset not in lesson.datasets:
        raise BadInput(f"unknown dataset {dataset!r} for {lesson_id}; choose one of "
                       f"{', '.join(lesson.datasets)}")
    return lesson, values, dataset


def run(lesson_id: str, params: Mapping[str, Any] | None = None, *, dataset: str | None = None,
        seed: int = 0, out: str | Path | None = None, models_dir: str | Path | None = None,
        on_event: Callable[[Event], None] | None = None,
        cancel: threading.Event | None = None, precision: str = "float32",
        distribute: str = "none") -> Result:
    lesson, values, dataset = prepare(lesson_id, params, dataset)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise BadInput(f"seed must be a non-negative integer, got {seed!r}")
    folder = store.models_dir(models_dir)
    out = Path(out) if out is not None else None
    store.check_writable_target(out or default_model_path(folder, lesson.id, None))

    from workbench import placement as placing
    from workbench.quiet import import_tensorflow

    import_tensorflow()  # before the lesson's module, which imports Keras at its top
    import keras

    placement = placing.plan(precision, distribute, trains=lesson.trains)
    lesson_run = lesson.load_run()

    keras.utils.set_random_seed(seed)
    device = placement.device
    ctx = RunContext(lesson_id=lesson.id, params=values, dataset=dataset, seed=seed,
                     emit=on_event or (lambda event: None), cancel=cancel or threading.Event(),
                     replicas=placement.replica_count)
    for notice in placement.notices:
        ctx.log(f"notice: {notice}")
    started = time.perf_counter()
    with placing.applied(placement):
        lesson_run(values, ctx)
    ctx.check_cancelled()

    paths = []
    for i, pending in enumerate(ctx.saves):
        path = out if (i == 0 and out is not None) else default_model_path(folder, lesson.id, pending.variant)
        metadata = {
            "lesson": lesson.id, "variant": pending.variant, "params": _plain(values),
            "dataset": dataset, "seed": seed, "device": device, "precision": placement.policy,
            "replicas": placement.replica_count, "notices": placement.notices,
            "metrics": ctx.metrics if pending.metrics is None else pending.metrics,
            "history": ctx.history if pending.history is None else pending.history, **pending.extra,
        }
        paths.append(store.save_model(pending.model, path, metadata))
        ctx.emit(Artifact("model", str(paths[-1])))
    stem = paths[0].with_suffix("") if paths else folder / lesson.id
    for name, pixels in ctx.images_to_save.items():
        image = store.save_png(pixels, f"{stem}-{name}.png")
        ctx.emit(Artifact("image", str(image)))
    return Result(lesson.id, _plain(values), dataset, ctx.metrics,
                  str(paths[0]) if paths else None, round(time.perf_counter() - started, 3), device)


def _plain(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}
