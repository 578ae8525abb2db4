"""Strategy 3 of the optimisation notes, following the gradient, and the two ways to
compute one: numerically, by centred differences over every entry of W (two loss
evaluations per entry), or analytically (here TensorFlow's autodiff: one pass forward and
one back). Both are timed on the same loss at the same W, and compared."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from lessons.linear.losses import LOSSES
from lessons.linear.search import Objective

# Centred differences in float64: the error ~ h^2 from truncation meets round-off
# ~ eps * |L| / h near h = 1e-5 for a loss of size 1.
NUMERIC_STEP = 1e-5
# The analytic gradient takes well under a millisecond: the best of a few calls, so that
# one scheduling hiccup does not stand for its cost.
ANALYTIC_REPEATS = 5


@dataclass(frozen=True)
class GradientTiming:
    numeric_seconds: float
    analytic_seconds: float
    rel_error: float  # |a - n| / (|a| + |n|), Frobenius norms over the whole gradient
    entries: int  # entries of W, each costing the numeric gradient two loss evaluations

    @property
    def speedup(self) -> float:
        return self.numeric_seconds / self.analytic_seconds


def numeric_gradient(objective: Objective, W: np.ndarray, h: float = NUMERIC_STEP) -> np.ndarray:
    """(L(W + h e_i) - L(W - h e_i)) / 2h for every entry i of W, each L a full evaluation,
    done as stacks of nudged copies of W (vectorised, as fast as the loss allows)."""
    flat = np.empty(W.size)
    chunk = objective.batch_size(W.shape[1])
    for first in range(0, W.size, chunk):
        entries = np.arange(first, min(first + chunk, W.size))
        nudged = np.repeat(W[None], len(entries), axis=0).reshape(len(entries), -1)
        nudged[np.arange(len(entries)), entries] += h
        plus = objective(nudged.reshape(-1, *W.shape))
        nudged[np.arange(len(entries)), entries] -= 2 * h
        minus = objective(nudged.reshape(-1, *W.shape))
        flat[entries] = (plus - minus) / (2 * h)
    return flat.reshape(W.shape)


def analytic_gradient(objective: Objective):
    """A compiled function W -> dL/dW of the same loss, by TensorFlow's autodiff in float64:
    the lesson's Keras loss on x @ W, plus reg * sum(W^2) over all rows but the bias."""
    kwargs = {"delta": objective.delta} if objective.loss == "svm" else {}
    loss_fn = LOSSES[objective.loss](dtype="float64", **kwargs)
    inputs, labels = tf.constant(objective.inputs), tf.constant(objective.labels)

    @tf.function(autograph=False, input_signature=[tf.TensorSpec(objective.shape, tf.float64)])
    def gradient(W):
        with tf.GradientTape() as tape:
            tape.watch(W)
            loss = loss_fn(labels, inputs @ W) + objective.reg * tf.reduce_sum(W[:-1] * W[:-1])
        return tape.gradient(loss, W)

    return lambda W: gradient(tf.constant(W, tf.float64)).numpy()


def norm_relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """|a - n| / (|a| + |n|) over the whole gradient (Frobenius norms): one figure that no
    single tiny entry can blow up."""
    scale = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    return float(np.linalg.norm(analytic - numeric) / scale) if scale else 0.0


def time_both(objective: Objective, W: np.ndarray) -> GradientTiming:
    """One numeric and one analytic gradient at W: their times and their disagreement."""
    start = time.perf_counter()
    numeric = numeric_gradient(objective, W)
    numeric_seconds = time.perf_counter() - start
    gradient = analytic_gradient(objective)
    analytic = gradient(W)  # the first call traces the graph: not part of the cost
    analytic_seconds = np.inf
    for _ in range(ANALYTIC_REPEATS):
        start = time.perf_counter()
        gradient(W)
        analytic_seconds = min(analytic_seconds, time.perf_counter() - start)
    return GradientTiming(numeric_seconds, analytic_seconds, norm_relative_error(analytic, numeric),
                          W.size)
