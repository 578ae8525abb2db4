"""Keras 3 (3.15, TensorFlow 2.21 backend) under tf.distribute: what the workbench corrects.

Each correction is made only within a run that uses a strategy, undone after it, and
reproduced in tests/test_multiworker.py, so the day Keras fixes one the test says so.

Under any strategy of more than one replica (`losses_outside_steps`): a Keras loss
object divides its mean by the number of replicas, so that the gradients the replicas
sum make the mean's. That is right inside a training step, on one replica's share of
the batch; a lesson that scores a loss itself, on all its data, outside `fit` (the
linear lesson's loss before and after training) got it divided by the replicas. Only a
step (a replica context) scales now.

Under any strategy (`measurements_outside_steps`): a lesson measures its model outside
`fit` as well (a gradient on a probe batch with `tf.GradientTape`, a hand-written
training loop), in the cross-replica context, where TensorFlow reads a mirrored variable
from this device's copy but will not give the tape that copy's handle ("DistributedVariable
.handle is not available outside the replica context"). Every copy holds the same
values, so the tape is given the copy the reads use, as TensorFlow itself does while
saving. A Keras optimizer stepping a variable there (a toy descent on a bowl) asks for
the replica context to merge its update from, and there is none; the cross-replica
context it wants is the one it is in, so the update runs as it is. Every worker of a
multi-worker run runs the lesson's lines alike, so each measures the same.

Under MultiWorkerMirroredStrategy (`multi_worker_training`), `fit` fails twice:
- it first builds the model from one batch, got by averaging the first distributed
  batch over every replica with `strategy.reduce`; across workers that reduce cannot
  take the (x, y) pair ("Attempt to convert a value (PerReplica ...) with an
  unsupported type"; keras-team/keras#20585). Only the batch's shapes are used, so
  this process's own part of the batch builds the model as well;
- every step's logs (scalars) are averaged with `strategy.reduce("MEAN", v, axis=0)`,
  which fails on a scalar ("Invalid reduction dimension 0 for input with 0
  dimensions"); the mean over the replicas, `axis=None`, is what one process computes.
"""

from __future__ import annotations

import contextlib


@contextlib.contextmanager
def _replaced(owner, name: str, replacement):
    original = getattr(owner, name)
    setattr(owner, name, replacement(original))
    try:
        yield
    finally:
        setattr(owner, name, original)


def _scaled_in_steps_only(scale):
    import tensorflow as tf

    def scale_in_a_step(value):
        return value if tf.distribute.in_cross_replica_context() else scale(value)

    return scale_in_a_step


def losses_outside_steps():
    """Keras' losses scaled for the replicas inside a step only."""
    from keras.src.losses import loss

    return _replaced(loss, "scale_loss_for_distribution", _scaled_in_steps_only)


def _handle_of_the_copy_read(handle):
    from tensorflow.python.distribute import values_util

    def handle_of_the_copy_read(self):
        if values_util.get_current_replica_id_as_int() is None:
            return self._get_on_device_or_primary().handle
        return handle.fget(self)

    return property(handle_of_the_copy_read)


def _merged_where_already_merged(merge):
    import tensorflow as tf

    def merged_where_already_merged(fn, strategy, *args, **kwargs):
        if tf.distribute.in_cross_replica_context():
            return fn(strategy, *args, **kwargs)
        return merge(fn, strategy, *args, **kwargs)

    return merged_where_already_merged


@contextlib.contextmanager
def measurements_outside_steps():
    """A mirrored variable's handle in the cross-replica context: the copy that reads
    use; an optimizer's update there: made as it stands."""
    import tensorflow as tf
    from tensorflow.python.distribute import values

    with (_replaced(values.DistributedVariable, "handle", _handle_of_the_copy_read),
          _replaced(tf.__internal__.distribute.interim, "maybe_merge_call",
                    _merged_where_already_merged)):
        yield


def _build_from_local_batch(build):
    import tensorflow as tf

    def build_from_local_batch(self, iterator=None, data_batch=None):
        if self._distribute_strategy is None:
            return build(self, iterator, data_batch)
        if iterator is not None:
            for _, _, batches in iterator:
                data_batch = tf.nest.map_structure(
                    lambda v: (self.distribute_strategy.experimental_local_results(v)[0]
                               if isinstance(v, tf.distribute.DistributedValues) else v),
                    next(batches))
                break
        with self.distribute_strategy.scope():
            self._symbolic_build(data_batch=data_batch)

    return build_from_local_batch


def _mean_over_replicas(reduce):
    import tensorflow as tf
    from keras.src.backend.tensorflow import trainer

    def mean_over_replicas(values, strategy, reduction):
        if reduction in ("auto", "mean") and trainer._collective_all_reduce_multi_worker(strategy):
            return tf.nest.map_structure(lambda v: strategy.reduce("MEAN", v, axis=None), values)
        return reduce(values, strategy, reduction)

    return mean_over_replicas


@contextlib.contextmanager
def multi_worker_training():
    """Keras' TensorFlow trainer with the two corrections for several workers."""
    from keras.src.backend.tensorflow import trainer

    with (_replaced(trainer.TensorFlowTrainer, "_maybe_symbolic_build", _build_from_local_batch),
          _replaced(trainer, "reduce_per_replica", _mean_over_replicas)):
        yield
