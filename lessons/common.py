"""Pieces the training lessons share. Light to import: Keras loads on first use."""

from __future__ import annotations

OPTIMIZERS = ("sgd", "sgd_momentum", "adam")
# CS231n's rel_error: max(1e-8, |a| + |n|) in the denominator, so 0 == 0 reads as 0.
CS231N_FLOOR = 1e-8


def relative_error(analytic, numeric, floor: float = CS231N_FLOOR):
    """CS231n's rel_error, elementwise: |a - n| / max(floor, |a| + |n|)."""
    import numpy as np

    a, n = np.asarray(analytic, dtype="float64"), np.asarray(numeric, dtype="float64")
    return np.abs(a - n) / np.maximum(floor, np.abs(a) + np.abs(n))


def make_optimizer(name: str, learning_rate: float, **kwargs):
    """Plain SGD, SGD with momentum 0.9 (the CS231n default), or Adam."""
    import keras

    if name == "sgd":
        return keras.optimizers.SGD(learning_rate, **kwargs)
    if name == "sgd_momentum":
        return keras.optimizers.SGD(learning_rate, momentum=0.9, **kwargs)
    if name == "adam":
        return keras.optimizers.Adam(learning_rate, **kwargs)
    raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {name!r}")


def resizer(size: int):
    """A tf.data map: images resized to size x size (bilinear), labels untouched."""
    import tensorflow as tf

    def resized(x, y):
        return tf.image.resize(x, (size, size)), y

    return resized


def random_shifter(size: int, margin: int = 0, flips: bool = False):
    """A tf.data map for augmentation: each image moved by up to `margin` pixels (default
    a tenth of its size, zeros filling in) and, with `flips`, mirrored half the time."""
    import tensorflow as tf

    margin = margin or max(1, size // 10)

    def shifted(x, y):
        padded = tf.image.resize_with_crop_or_pad(x, size + 2 * margin, size + 2 * margin)
        x = tf.image.random_crop(padded, tf.shape(x))
        return (tf.image.random_flip_left_right(x) if flips else x), y

    return shifted


def split_accuracies(model, ctx, batch_size: int = 256, preprocess=None,
                     preprocessed_bytes=lambda x: 0) -> dict[str, float]:
    """`{"train_accuracy": ..., "val_accuracy": ..., "test_accuracy": ...}`: Keras'
    sparse categorical accuracy of the model's predictions on each split; `preprocess` as
    for `ctx.batches` (resizing, say), `preprocessed_bytes(x)` what its output of x takes.

    Not `model.evaluate`: under a MirroredStrategy, Keras 3.15's evaluate fails when the
    last batch does not split evenly across the replicas (359 validation digits on two
    replicas: "AddN ... [180,8,8,1] != [179,8,8,1]"), where predict gathers them fine."""
    def accuracy(x, y) -> float:
        return accuracy_of(y, model.predict(ctx.batches(x, y, batch_size, preprocess=preprocess,
                                                        preprocessed_bytes=preprocessed_bytes(x)),
                                            verbose=0))

    return {f"{split}_accuracy": accuracy(x, y) for split, x, y in ctx.images.splits()}


def accuracy_of(labels, scores) -> float:
    """The share of rows of `scores` (class scores or probabilities) whose largest entry is
    the label: Keras' sparse categorical accuracy, averaged in float64 (346/360 is
    0.9611..., not float32's 0.96111113)."""
    import keras
    import numpy as np

    hits = keras.ops.convert_to_numpy(keras.metrics.sparse_categorical_accuracy(labels, scores))
    return float(np.mean(hits, dtype="float64"))
