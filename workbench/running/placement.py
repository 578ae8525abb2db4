"""Where and how a run computes: device, mixed precision, replicas, workers.

The learner asks (`--precision float32|mixed`, `--distribute none|mirrored|multiworker`,
`--workers N`); this module
decides what the machine can actually do and says so when it differs, instead of failing
or silently ignoring the request. `applied()` then sets it up around the lesson:

- mixed precision is a Keras dtype policy. Keras keeps the policy per thread, so it is
  set in the thread that trains (the app's worker, the CLI's main thread) and restored
  after. On a GPU it is mixed_float16 (Keras wraps the optimizer in loss scaling); with
  no GPU it is mixed_bfloat16, which CPUs run, and which needs no loss scaling.
- mirrored is `tf.distribute.MirroredStrategy` over every GPU, or, on a CPU-only machine
  split into logical devices, over those. Models are built and compiled inside its
  scope; the lesson's batch is per replica, so the global batch grows with the replicas.
- multiworker is `tf.distribute.MultiWorkerMirroredStrategy` over processes, N started
  here (`--workers N`, workbench.running.cluster) or a cluster TF_CONFIG describes. The
  lesson's batch is the global batch: the strategy splits each one across the workers,
  so a run trains as one process with that batch would. Only a lesson that trains with
  Keras' `fit` can (every process must run the same all-reduces); the others are told so
  before any work.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from typing import Any

from workbench.errors import BadInput
from workbench.params import Param
from workbench.running import devices
from workbench.running.cluster import LocalCluster, Task, joined_task, task_of
from workbench.running.quiet import import_tensorflow

PRECISIONS = ("float32", "mixed")
DISTRIBUTIONS = ("none", "mirrored", "multiworker")
WORKERS = Param("workers", int, 2, "worker processes to start on this machine", low=1, high=64)


@dataclass
class Placement:
    policy: str  # the Keras dtype policy that runs: float32, mixed_float16 or mixed_bfloat16
    replicas: list[str]  # the devices MirroredStrategy mirrors over; [] when it does not run
    device: str  # in words, for the result and the app's header
    notices: list[str] = field(default_factory=list)
    strategy: Any = None  # the MultiWorkerMirroredStrategy of a multi-worker run
    task: Task | None = None  # this process's place among the workers; None: one process

    @property
    def replica_count(self) -> int:
        if self.strategy is not None:
            return self.strategy.num_replicas_in_sync
        return max(1, len(self.replicas))

    @property
    def batch_scale(self) -> int:
        """How many of the lesson's batches one step takes: the mirrored replicas each
        take one; across workers the lesson's batch is the global batch."""
        return 1 if self.task is not None else self.replica_count

    def described(self) -> dict[str, Any] | None:
        """What ran, for the result: the strategy, the processes and the replicas (None:
        no distribution, as when mirrored found one device)."""
        if self.task is not None:
            return {"strategy": "MultiWorkerMirroredStrategy", "workers": self.task.workers,
                    "replicas": self.replica_count}
        if self.replicas:
            return {"strategy": "MirroredStrategy", "workers": 1, "replicas": self.replica_count}
        return None


def check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise BadInput(f"--{name} must be one of {', '.join(allowed)}; got {value!r}")


def check_across_workers(lesson, settings,
                         remedy: str = "run it without --distribute multiworker") -> None:
    """Refuse a lesson, or settings of it, that do not train with Keras' `fit`."""
    if not lesson.spreads_across_workers:
        raise BadInput(f"lesson {lesson.id!r} cannot train across workers: it does not train "
                       f"with Keras' fit; {remedy}")
    why_not = settings.why_not_across_workers()
    if why_not:
        raise BadInput(f"{lesson.id}: {why_not}; {remedy}")


def check_distribution(lesson, settings, distribute: str, workers: Any = None, *,
                       mine: bool = False) -> int | None:
    """Refuse, before any work, what cannot run across workers: the number of workers
    (an integer >= 1, and only with multiworker), a lesson or settings that do not train
    with `fit`, the learner's own functions, a cluster given twice or not at all. Returns
    the workers to start here (None: none; a multi-worker run then joins TF_CONFIG's)."""
    check_choice("distribute", distribute, DISTRIBUTIONS)
    if distribute != "multiworker":
        if workers is not None:
            raise BadInput("--workers applies to --distribute multiworker only")
        return None
    check_across_workers(lesson, settings)
    if mine:
        raise BadInput("--mine runs your functions in this process only; it does not combine "
                       "with --distribute multiworker")
    from workbench.running import multiworker

    if multiworker.runtime_started():
        raise BadInput("--distribute multiworker needs a fresh process: TensorFlow joins a "
                       "process to one cluster, before its runtime starts, and this one has "
                       "started it (or joined one) already; run it from the CLI")
    if workers is None:
        joined_task()  # TF_CONFIG, checked now
        return None
    count = WORKERS.coerce(workers)
    if os.environ.get("TF_CONFIG", "").strip():
        raise BadInput("--workers starts a cluster on this machine but TF_CONFIG describes one "
                       "already: drop --workers to join it, or unset TF_CONFIG")
    return count


def plan(precision: str = "float32", distribute: str = "none", *, trains: bool = True,
         cluster: LocalCluster | Task | None = None) -> Placement:
    """What the run will compute on. A multi-worker run (`cluster`: the workers started
    here, or this process's task in TF_CONFIG's) makes its strategy first: TensorFlow
    takes a cluster only before its runtime starts, which listing the devices does."""
    check_choice("precision", precision, PRECISIONS)
    check_choice("distribute", distribute, DISTRIBUTIONS)
    strategy = None
    if cluster is not None:
        from workbench.running import multiworker

        strategy = (cluster.strategy(multiworker.strategy) if isinstance(cluster, LocalCluster)
                    else multiworker.strategy())
    tf = import_tensorflow()
    gpus = [d.name.replace("/device:", "") for d in tf.config.list_logical_devices("GPU")]
    cpus = [d.name.replace("/device:", "") for d in tf.config.list_logical_devices("CPU")]
    placement = Placement("float32", [], devices.run_device())
    if not trains:
        if (precision, distribute) != ("float32", "none"):
            placement.notices.append("this lesson does not train: --precision and --distribute "
                                     "do not apply; it ran in float32 on one device")
        return placement

    if precision == "mixed":
        if gpus:
            placement.policy = "mixed_float16"
        else:
            placement.policy = "mixed_bfloat16"
            placement.notices.append("no GPU: mixed precision runs as mixed_bfloat16 on the CPU "
                                     "(same numerics lesson, no speed-up expected)")

    if cluster is not None:
        task = task_of(cluster)
        placement.strategy, placement.task = strategy, task
        placement.device = (f"{task.workers} workers, {placement.replica_count} replicas "
                            f"({placement.device} each)")
    elif distribute == "mirrored":
        pool = gpus if gpus else cpus
        if len(pool) >= 2:
            placement.replicas = pool
            placement.device = f"{len(pool)} replicas: {', '.join(pool)}"
        else:
            placement.notices.append(f"--distribute mirrored needs two or more devices and "
                                     f"TensorFlow sees one ({placement.device}); ran without "
                                     "distribution")
    return placement


@contextlib.contextmanager
def applied(placement: Placement):
    """The dtype policy and the distribution scope of `placement`, undone on exit."""
    import keras
    import tensorflow as tf

    from workbench.running import keras_fixes

    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(placement.policy)
    try:
        if placement.strategy is not None:
            with (keras_fixes.multi_worker_training(), keras_fixes.losses_outside_steps(),
                  keras_fixes.measurements_outside_steps(), placement.strategy.scope()):
                yield
        elif placement.replicas:
            strategy = tf.distribute.MirroredStrategy(devices=placement.replicas)
            with (keras_fixes.losses_outside_steps(), keras_fixes.measurements_outside_steps(),
                  strategy.scope()):
                yield
        else:
            yield
    finally:
        keras.config.set_dtype_policy(previous)
