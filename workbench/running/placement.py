"""Where and how a run computes: device, mixed precision, replicas.

The learner asks (`--precision float32|mixed`, `--distribute none|mirrored`); this module
decides what the machine can actually do and says so when it differs, instead of failing
or silently ignoring the request. `applied()` then sets it up around the lesson:

- mixed precision is a Keras dtype policy. Keras keeps the policy per thread, so it is
  set in the thread that trains (the app's worker, the CLI's main thread) and restored
  after. On a GPU it is mixed_float16 (Keras wraps the optimizer in loss scaling); with
  no GPU it is mixed_bfloat16, which CPUs run, and which needs no loss scaling.
- mirrored is `tf.distribute.MirroredStrategy` over every GPU, or, on a CPU-only machine
  split into logical devices, over those. Models are built and compiled inside its
  scope; the lesson's batch is per replica, so the global batch grows with the replicas.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from workbench.errors import BadInput
from workbench.running import devices
from workbench.running.quiet import import_tensorflow

PRECISIONS = ("float32", "mixed")
DISTRIBUTIONS = ("none", "mirrored")


@dataclass
class Placement:
    policy: str  # the Keras dtype policy that runs: float32, mixed_float16 or mixed_bfloat16
    replicas: list[str]  # the devices the strategy mirrors over; [] when not distributed
    device: str  # in words, for the result and the app's header
    notices: list[str] = field(default_factory=list)

    @property
    def replica_count(self) -> int:
        return max(1, len(self.replicas))


def check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise BadInput(f"--{name} must be one of {', '.join(allowed)}; got {value!r}")


def plan(precision: str = "float32", distribute: str = "none", *, trains: bool = True) -> Placement:
    check_choice("precision", precision, PRECISIONS)
    check_choice("distribute", distribute, DISTRIBUTIONS)
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

    if distribute == "mirrored":
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

    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(placement.policy)
    try:
        if placement.replicas:
            strategy = tf.distribute.MirroredStrategy(devices=placement.replicas)
            with strategy.scope():
                yield
        else:
            yield
    finally:
        keras.config.set_dtype_policy(previous)
