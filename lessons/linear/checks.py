"""CS231n's sanity checks for a classifier before trusting its training curve.

1. Initial loss: with tiny random weights every class scores about 0, so the loss is
   predictable. Softmax gives each of C classes probability 1/C: loss ln C. The SVM sees
   every wrong class sitting right at the margin: loss (C - 1) * delta.
2. Gradient check: the analytic gradient (here TensorFlow's autodiff) must match a
   centred finite difference, (L(w + h) - L(w - h)) / 2h, in float64, entry by entry.
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf


def expected_initial_loss(loss: str, num_classes: int, delta: float) -> float:
    return math.log(num_classes) if loss == "softmax" else (num_classes - 1) * delta


def data_loss(model, loss_fn, x, y) -> float:
    """Mean data loss over (x, y); the regulariser is not part of it."""
    return float(loss_fn(y, model.predict(x, batch_size=1024, verbose=0)))


def reg_loss(model, reg: float) -> float:
    kernel = model.get_layer("scores").kernel.numpy().astype("float64")
    return float(reg * np.sum(kernel * kernel))


def gradient_check(model, loss_class, reg: float, x: np.ndarray, y: np.ndarray, *,
                   entries: int = 10, h: float = 1e-5, seed: int = 0, **loss_kwargs) -> float:
    """Largest relative error |analytic - numeric| / (|analytic| + |numeric|) over `entries`
    random entries of W, at the model's current weights, in float64."""
    loss_fn = loss_class(dtype="float64", **loss_kwargs)
    mean = np.asarray(model.get_layer("subtract_mean_image").mean, "float64").reshape(-1)
    inputs = tf.constant(x.reshape(len(x), -1).astype("float64") - mean)
    labels = tf.constant(y)
    # Plain tensors, not tf.Variables: a variable created inside a distribution scope
    # would be mirrored, and a gradient check has nothing to distribute.
    W = model.get_layer("scores").kernel.numpy().astype("float64")
    b = tf.constant(model.get_layer("scores").bias.numpy().astype("float64"))

    def total_loss(weights):
        return loss_fn(labels, inputs @ weights + b) + reg * tf.reduce_sum(weights * weights)

    weights = tf.constant(W)
    with tf.GradientTape() as tape:
        tape.watch(weights)
        value = total_loss(weights)
    analytic = tape.gradient(value, weights).numpy()

    rng = np.random.default_rng(seed)
    worst = 0.0
    for _ in range(entries):
        i, j = rng.integers(W.shape[0]), rng.integers(W.shape[1])
        nudged = W.copy()
        nudged[i, j] = W[i, j] + h
        plus = float(total_loss(tf.constant(nudged)))
        nudged[i, j] = W[i, j] - h
        minus = float(total_loss(tf.constant(nudged)))
        numeric = (plus - minus) / (2 * h)
        scale = abs(numeric) + abs(analytic[i, j])
        worst = max(worst, abs(numeric - analytic[i, j]) / scale if scale > 0 else 0.0)
    return worst
