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
