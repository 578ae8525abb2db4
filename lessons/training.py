"""Pieces every training lesson shares. Light to import: Keras loads on first use."""

from __future__ import annotations

OPTIMIZERS = ("sgd", "sgd_momentum", "adam")


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
