"""TensorFlow's side of `--distribute multiworker`: the strategy and what Keras 3 needs.

`tf.distribute.MultiWorkerMirroredStrategy` reads the cluster from `TF_CONFIG` and starts
this process's gRPC server when it is made, which configures TensorFlow's collective
ops; that is only possible before anything has started TensorFlow's runtime (listing
devices does), so the strategy is made first, once per process, and kept here.

Keras 3 needs corrections to train under it: workbench.running.keras_fixes.
"""

from __future__ import annotations

import os
import sys

from workbench.running.quiet import import_tensorflow

STRATEGY_NAME = "MultiWorkerMirroredStrategy"


_made = None  # this process's strategy, once made
_made_for: str | None = None  # the TF_CONFIG it was made for


def runtime_started() -> bool:
    """Whether it is too late for this process to join a cluster: TensorFlow's runtime is
    up, or it has joined one already (a process belongs to one cluster for life, and the
    workers of a finished run have gone)."""
    if _made is not None:  # joined: only the same cluster again (a worker's own run)
        return os.environ.get("TF_CONFIG") != _made_for
    if "tensorflow" not in sys.modules:
        return False
    from tensorflow.python.eager import context

    return context.context()._context_handle is not None  # noqa: SLF001  (no public probe)


# TensorFlow 2.21's oneDNN kernels on the CPU crash (heap corruption, SIGABRT or SIGSEGV)
# in the residual lesson's training step on a batch of odd size: `workbench run resnet
# --set batch_size=27` in one process, as well. Across workers the last batch of an
# epoch is split (the digits' 1078 training images at 64: 54, so 27 a worker), so a
# multi-worker run turns those kernels off, in every process, before TensorFlow starts;
# an explicit TF_ENABLE_ONEDNN_OPTS is kept.
ONEDNN = "TF_ENABLE_ONEDNN_OPTS"


def before_tensorflow() -> None:
    if "tensorflow" not in sys.modules:
        os.environ.setdefault(ONEDNN, "0")


def strategy():
    """This process's MultiWorkerMirroredStrategy, for the cluster in TF_CONFIG; made once
    (a second would configure the collective ops again, which TensorFlow refuses). It
    returns when every process of the cluster has joined. A port taken by another
    program fails here with "Could not start gRPC server", and nothing is kept: the
    caller may try again with other ports."""
    global _made, _made_for
    if _made is None:
        tf = import_tensorflow()
        _made = tf.distribute.MultiWorkerMirroredStrategy()
        _made_for = os.environ.get("TF_CONFIG")
    return _made


def abort(message: str) -> None:
    """End every collective op of this process, waiting or to come, with `message`: a
    peer has gone, and the all-reduce it was part of would wait for it for ever."""
    from tensorflow.python.eager import context
    from tensorflow.python.framework import errors

    context.context().abort_collective_ops(errors.UNAVAILABLE, message)
