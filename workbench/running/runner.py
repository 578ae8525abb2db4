"""Runs a lesson: validates the request, seeds, hands the lesson a context, saves results.

The order matters for a learner's files: every check that can fail on bad input runs
before any work, and models are written only after the lesson has finished, so a
cancelled or failed run never leaves a half-written or half-described model behind.
"""

from __future__ import annotations

import threading
import time
from dataclasses import InitVar, asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Mapping

from workbench import registry
from workbench.course import guide
from workbench.drawing.numbers import disk_full, error_line
from workbench.errors import BadInput, Cancelled
from workbench.i18n.catalogue import ENGINE
from workbench.params import SEED, Settings, resolve
from workbench.registry import Lesson
from workbench.results import store
from workbench.results.recording import Recording, check_tensorboard, tensorboard_wanted, tidy_tensorboard
from workbench.running.context import RunContext
from workbench.running.events import Artifact, Event, Log


@dataclass(frozen=True)
class Result:
    lesson: str
    params: dict[str, Any]
    dataset: str
    metrics: dict[str, Any]
    model_path: str | None
    seconds: float
    device: str
    step: int | None = None  # the guided-path experiment this run was
    claims: list[dict[str, Any]] = field(default_factory=list)  # its claims, judged
    # the predictions this experiment settles, scored (guide.Scored.to_dict)
    predictions: list[dict[str, Any]] = field(default_factory=list)
    run_id: int | None = None  # its row in the run history (None: history not used)
    # What trained it, when more than one device or process did (Placement.described):
    # {"strategy", "workers", "replicas"}, and for a multi-worker run this process's
    # "worker" index (0: the chief, which alone keeps the model). None: one device.
    distribute: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Request:
    """A run that passed every check made before work: what `execute` carries out.
    `settings` hold the values the run will use (presets filled in)."""

    lesson: Lesson
    settings: Settings
    dataset: str
    seed: int
    step: int | None = None  # a guided-path experiment: its claims are judged on the result
    # That step, looked up once, here: BadInput if `step` is not an experiment of the
    # lesson's path. `chosen` passes one already looked up; `dataclasses.replace` passes
    # none, so a request given another step looks that one up.
    experiment: guide.Experiment | None = field(init=False, default=None, repr=False, compare=False)
    chosen: InitVar[guide.Experiment | None] = None

    def __post_init__(self, chosen: guide.Experiment | None) -> None:
        if self.step is not None:
            found = chosen if chosen is not None else guide.experiment(self.lesson, self.step)
            object.__setattr__(self, "experiment", found)


def default_model_path(folder: Path, lesson_id: str, variant: str | None) -> Path:
    return folder / (f"{lesson_id}-{variant}.h5" if variant else f"{lesson_id}.h5")


def planned_paths(lesson: Lesson, settings: Settings, *, out: str | Path | None = None,
                  models_dir: str | Path | None = None, step: int | None = None) -> list[Path]:
    """The model files a run with `settings` will write, known before it starts (from
    the lesson's `Settings.saves`): `out` takes the first, the rest keep their names. A
    path experiment's files carry its step (`knn-step3.h5`): the steps a comparison puts
    side by side keep their models, and a learner's own `knn.h5` is left alone."""
    folder = store.models_dir(models_dir)
    stem = lesson.id if step is None else f"{lesson.id}-step{step}"
    return [Path(out) if (i == 0 and out is not None) else default_model_path(folder, stem, v)
            for i, v in enumerate(settings.saves())]


def request(lesson: Lesson, values: Mapping[str, Any], dataset: str | None, seed: Any,
            step: int | None = None, chosen: guide.Experiment | None = None) -> Request:
    """A request from parameter values already coerced (the app's form checks each field
    itself): the lesson's cross-parameter rules, the dataset and the seed, or BadInput.
    `step`: the path's experiment step it carries out (its preset already in `values`);
    `chosen`: that step, if the caller has looked it up."""
    if step is not None and chosen is None:
        chosen = guide.experiment(lesson, step)  # a wrong step is told before any value
    settings = lesson.settings(**values)
    settings.check()
    dataset = lesson.default_dataset if dataset is None else dataset
    if dataset not in lesson.datasets:
        raise BadInput(f"unknown dataset {dataset!r} for {lesson.id}; choose one of "
                       f"{', '.join(lesson.datasets)}")
    return Request(lesson, settings.with_presets(), dataset, SEED.coerce(seed), step, chosen)


def prepare(lesson_id: str, params: Mapping[str, Any] | None, dataset: str | None,
            seed: Any = 0, step: int | None = None) -> Request:
    """A request from text or Python values (the CLI's --set, the API's keywords). With
    `step`, the path experiment's preset comes first and `params` change it; so does its
    dataset, unless `dataset` names another."""
    lesson = registry.get(lesson_id)
    chosen, preset = None, {}
    if step is not None:
        chosen = guide.experiment(lesson, step)
        preset, dataset = dict(chosen.params), dataset or chosen.dataset
    values = resolve(lesson.params, {**preset, **(params or {})}, owner=f"lesson {lesson_id!r}")
    return request(lesson, values, dataset, seed, step, chosen)


def run(lesson_id: str, params: Mapping[str, Any] | None = None, *, dataset: str | None = None,
        seed: int = 0, step: int | None = None, **how: Any) -> Result:
    """Check and carry out a run; `how` as for `execute`."""
    return execute(prepare(lesson_id, params, dataset, seed, step), **how)


def execute(req: Request, *, out: str | Path | None = None, models_dir: str | Path | None = None,
            on_event: Callable[[Event], None] | None = None,
            cancel: threading.Event | None = None, precision: str = "float32",
            distribute: str = "none", workers: int | str | None = None,
            mine: Mapping[str, Callable] | None = None,
            record: bool = True, tensorboard: bool | None = None) -> Result:
    """Carry out a checked request. Every run is recorded in the run history (`record`)
    with its outcome, and its training writes TensorBoard logs (`tensorboard`: None
    follows $WORKBENCH_TENSORBOARD, on by default).

    `distribute="multiworker"` trains across processes: `workers` of them started on
    this machine, this one the chief; without `workers`, this process joins the cluster
    TF_CONFIG describes. Only the chief keeps the model, the history row and the logs."""
    from workbench.running import placement as placing
    from workbench.running.cluster import LocalCluster, joined_task

    placing.check_choice("precision", precision, placing.PRECISIONS)
    local = placing.check_distribution(req.lesson, req.settings, distribute, workers,
                                       mine=mine is not None)
    how = dict(out=out, models_dir=models_dir, on_event=on_event, cancel=cancel,
               precision=precision, distribute=distribute, mine=mine, record=record,
               tensorboard=tensorboard)
    if distribute != "multiworker":
        return _execute(req, cluster=None, **how)
    from workbench.running import multiworker

    multiworker.before_tensorflow()  # the workers started here inherit it
    if local is None:
        return _execute(req, cluster=joined_task(), **how)
    with LocalCluster(local, _worker_run(req, precision)) as cluster:
        return _execute(req, cluster=cluster, **how)


def _worker_run(req: Request, precision: str) -> dict[str, Any]:
    """The run as a local worker is told it (workbench.running.worker): the same settings."""
    return {"lesson": req.lesson.id, "params": req.settings.to_dict(), "dataset": req.dataset,
            "seed": req.seed, "step": req.step, "precision": precision}


def _execute(req: Request, *, out, models_dir, on_event, cancel, precision, distribute, mine,
             record, tensorboard, cluster) -> Result:
    from workbench.running.cluster import LocalCluster, task_of

    lesson = req.lesson
    chief = cluster is None or task_of(cluster).chief
    folder = store.models_dir(models_dir)
    out = Path(out) if out is not None else None
    if chief:  # the other workers write nothing
        store.check_writable_target(out or default_model_path(folder, lesson.id, None))

    from workbench.running import placement as placing
    from workbench.running.quiet import import_tensorflow

    import_tensorflow()  # before the lesson's module, which imports Keras at its top
    import keras

    placement = placing.plan(precision, distribute, trains=lesson.trains, cluster=cluster)
    if isinstance(cluster, LocalCluster):
        from workbench.running import multiworker

        cluster.watch(on_failure=multiworker.abort)
    record = record and chief
    lesson_run = lesson.load_run()
    boards = tensorboard_wanted(tensorboard) and lesson.trains and chief
    board_root_there = check_tensorboard(folder) if boards else True

    recording = Recording(folder, on_event or (lambda event: None), record=record)
    recording.begin(lesson.id, req.settings.to_dict(), step=req.step, dataset=req.dataset,
                    seed=req.seed, device=placement.device, precision=placement.policy)
    # From here on every exception, whatever raised it, is the run's outcome in the history.
    ctx, board = None, (recording.tensorboard_dir(folder) if boards else None)
    try:
        keras.utils.set_random_seed(req.seed)
        ctx = RunContext(dataset=req.dataset, seed=req.seed, emit=recording.tap,
                         cancel=cancel or threading.Event(), replicas=placement.replica_count,
                         batch_scale=placement.batch_scale, mine=mine, texts=req.lesson.texts,
                         tensorboard_dir=board)
        result = _carry_out(req, ctx, lesson_run, placement, folder, out, cluster)
    except BaseException as exc:  # Ctrl+C included: the history says how the run ended
        if ctx is not None:
            ctx.finish_logs(quiet=True)
        if board is not None:
            tidy_tensorboard(board, discard=bool(disk_full(exc)), root_was_there=board_root_there)
        cancelled = isinstance(exc, (Cancelled, KeyboardInterrupt))
        recording.finish("cancelled" if cancelled else "failed",
                         message=None if cancelled else error_line(exc),
                         metrics=ctx.metrics if ctx is not None else {})
        raise
    if board is not None:
        tidy_tensorboard(board, discard=False, root_was_there=board_root_there)
    recording.finish("done", metrics=result.metrics, model_path=result.model_path,
                     claims=result.claims)
    predictions = []
    if req.step is not None and chief:
        answers = recording.history.marks(lesson.id).answers
        predictions = [scored.to_dict() for scored in
                       guide.score(lesson, req.step, result.metrics, answers)]
    return replace(result, run_id=recording.run_id, predictions=predictions)


def _collective_error(exc: BaseException) -> bool:
    """A TensorFlow op failed (an all-reduce whose peer went), not the lesson's own check."""
    import tensorflow as tf

    return isinstance(exc, tf.errors.OpError)


def _carry_out(req: Request, ctx: RunContext, lesson_run: Callable, placement, folder: Path,
               out: Path | None, cluster=None) -> Result:
    from workbench.running import placement as placing
    from workbench.running.cluster import LocalCluster

    lesson = req.lesson
    for notice in placement.notices:
        ctx.emit(Log(f"notice: {notice}"))  # the engine's words, not the lesson's
    if placement.task is not None:
        task, replicas = placement.task, placement.replica_count
        if task.chief:
            words = ENGINE.everywhere(
                "training across {workers} workers (MultiWorkerMirroredStrategy, {replicas} "
                "replicas), each batch split among them; this is worker 0, the chief: it "
                "keeps the model, the run history and the TensorBoard logs",
                workers=task.workers, replicas=replicas)
        else:
            words = ENGINE.everywhere(
                "training across {workers} workers (MultiWorkerMirroredStrategy, {replicas} "
                "replicas), each batch split among them; this is worker {index}: the chief "
                "(worker 0) keeps the model", workers=task.workers, replicas=replicas,
                index=task.index)
        ctx.emit(Log.worded(words))
    started = time.perf_counter()
    local = cluster if isinstance(cluster, LocalCluster) else None
    try:
        with placing.applied(placement):
            lesson_run(req.settings, ctx)
    except Exception as exc:  # a worker's death ends the chief's all-reduce: say the death
        if local is not None and (local.failure is not None or _collective_error(exc)):
            death = local.death_behind()
            if death is not None:
                raise death from exc
        raise
    if local is not None:
        local.finish()  # every worker ended well, or nothing is saved
    ctx.check_cancelled()
    ctx.finish_logs()  # the last TensorBoard events written (or the disk found full) before any save

    params = req.settings.to_dict()
    distribute = placement.described()
    if placement.task is not None:
        distribute["worker"] = placement.task.index
    if placement.task is not None and not placement.task.chief:
        return Result(lesson.id, params, req.dataset, ctx.metrics, None,
                      round(time.perf_counter() - started, 3), placement.device, req.step,
                      distribute=distribute)
    paths = planned_paths(lesson, req.settings, out=out, models_dir=folder, step=req.step)
    saved = tuple(pending.variant for pending in ctx.saves)
    if saved != req.settings.saves():  # the names shown before the run would lie
        raise RuntimeError(f"lesson {lesson.id!r} saved {saved} but its settings declare "
                           f"{req.settings.saves()} (Settings.saves)")
    # Pictures go beside the first model, which lists them: they are its, to be replaced
    # with it and deleted with it (an old run's picture must not sit beside a new model).
    stem = paths[0].with_suffix("") if paths else folder / lesson.id
    pictures = [Path(f"{stem}-{name}.png") for name in ctx.images_to_save]
    for i, (pending, path) in enumerate(zip(ctx.saves, paths)):
        own = pictures if i == 0 else []
        stale = [p for p in store.pictures_of(path) if p not in own]
        metadata = {
            "lesson": lesson.id, "variant": pending.variant, "params": params,
            "dataset": req.dataset, "seed": req.seed, "device": placement.device,
            "precision": placement.policy, "replicas": placement.replica_count,
            "distribute": distribute,
            "notices": placement.notices, "key_metric": lesson.key_metric,
            "metrics": ctx.metrics if pending.metrics is None else pending.metrics,
            "history": pending.history, "pictures": [p.name for p in own], **pending.extra,
        }
        store.save_model(pending.model, path, metadata)
        for old in stale:
            old.unlink(missing_ok=True)
        ctx.emit(Artifact("model", str(path)))
    for picture, pixels in zip(pictures, ctx.images_to_save.values()):
        ctx.emit(Artifact("image", str(store.save_png(pixels, picture))))
    claims = [claim.check(ctx.metrics).to_dict() for claim in req.experiment.claims] if req.experiment else []
    return Result(lesson.id, params, req.dataset, ctx.metrics, str(paths[0]) if paths else None,
                  round(time.perf_counter() - started, 3), placement.device, req.step, claims,
                  distribute=distribute)
