"""CS231n's sanity checks for a classifier before trusting its training curve.

1. Initial loss: with tiny random weights every class scores about 0, so the loss is
   predictable. Softmax gives each of C classes probability 1/C: loss ln C. The SVM sees
   every wrong class sitting right at the margin: loss (C - 1) * delta.
2. Gradient check: the analytic gradient (here TensorFlow's autodiff) must match a
   centred finite difference, n = (L(w + h) - L(w - h)) / 2h, in float64, entry by entry,
   compared by CS231n's relative error |a - n| / max(floor, |a| + |n|). A smooth loss
   (softmax) should agree below 1e-7. What is checked, and what is left out and why:

   - Entries of W whose pixel varies across the checked batch. A pixel that is the same
     in every image of the batch says nothing about the class: its data gradient is
     structurally 0 (some of the digits' border pixels are always 0, and stay 0 once the
     mean image is subtracted) or that constant times the bias's gradient. Only the
     regulariser's tiny 2 * reg * W is left to compare, and a relative figure there
     measures the centred difference's round-off, not the gradient. Those entries are
     left out, and counted in `skipped_flat`.
   - The floor. The centred difference itself carries round-off: each sample's loss is
     computed from scores of size |s| and so is off by about eps * |s|; averaged over N
     samples and divided by 2h, the numeric gradient is uncertain by about
     eps * (rms |s| / sqrt(N) + |L|) / h. A relative error only means something on
     entries well above that: the denominator is floored where round-off alone would read
     as a relative error of 1e-8 (CS231n's own rel_error floors it at 1e-8, for O(1)
     gradients). Below the floor an entry is still checked, in absolute terms: a wrong
     analytic value there still shows, as |a - n| / floor. This matters at trained
     weights, where the gradient is near 0 by construction and some entries are tiny.
   - Kinks. The SVM's max(0, m) has no derivative at m = 0. Nudging W[i, j] by +-h moves
     score j of sample n by +-h * x_ni, so it moves margin m_nj = s_nj - s_ny + delta
     (j != y_n), or every margin of sample n when j == y_n. If such a margin lies within
     that reach of 0, the centred difference straddles the kink and averages two slopes
     while autodiff reports one: no error in the gradient, yet a large relative error.
     Those entries are named in `kinks` (not counted in the figure), never hidden.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from lessons.common import CS231N_FLOOR, relative_error
from lessons.linear.losses import MulticlassHinge

EPS = float(np.finfo(np.float64).eps)
# The floor sits where the centred difference's round-off alone reads as this relative
# error: a tenth of the 1e-7 a smooth loss must beat.
ROUND_OFF_READS_AS = 1e-8
# A margin within KINK_SAFETY * h * |x_ni| of 0 counts as straddled: generous, so that no
# crossing slips through on the rounding of the scores.
KINK_SAFETY = 2.0
# The step that balances round-off (~ eps |s| / h) against softmax's truncation
# (~ h^2 |L'''| / 6): (3 eps |s| / |L'''|)^(1/3), eps^(1/3) ~ 6e-6 scaled up by the scores'
# size (|s| ~ 10, |L'''| ~ 0.01 on the digits), about 1e-4. On the default digits run it
# beats 1e-5 by about 5x (softmax) and 10x (SVM, whose truncation is 0) in absolute error.
DEFAULT_STEP = 1e-4
DEFAULT_ENTRIES = 100


@dataclass(frozen=True)
class GradientCheck:
    """What a gradient check found.

    max_rel_error: the largest relative error over the entries counted (nan if none).
    entries: how many entries of W were checked and counted.
    kinks: entries checked but not counted, because their centred difference straddles a
        hinge kink, by name ("W[12,3]": pixel 12, class 3).
    skipped_flat: entries never drawn, because their pixel is constant in the batch.
    floor: the denominator's floor used (see the module's docstring).
    worst: the name of the entry with the largest relative error ("" if none).
    """

    max_rel_error: float
    entries: int
    kinks: tuple[str, ...] = ()
    skipped_flat: int = 0
    floor: float = CS231N_FLOOR
    worst: str = ""


def expected_initial_loss(loss: str, num_classes: int, delta: float) -> float:
    return math.log(num_classes) if loss == "softmax" else (num_classes - 1) * delta


def data_loss(model, loss_fn, x, y) -> float:
    """Mean data loss over (x, y); the regulariser is not part of it."""
    return float(loss_fn(y, model.predict(x, batch_size=1024, verbose=0)))


def reg_loss(model, reg: float) -> float:
    kernel = model.get_layer("scores").kernel.numpy().astype("float64")
    return float(reg * np.sum(kernel * kernel))


def entry_name(i: int, j: int) -> str:
    return f"W[{i},{j}]"


def round_off_floor(scores: np.ndarray, loss: float, h: float) -> float:
    """The floor for relative_error: where the centred difference's own round-off,
    eps * (rms_n max_k |s_nk| / sqrt(N) + |L|) / h, would read as ROUND_OFF_READS_AS."""
    biggest = np.max(np.abs(scores), axis=1)
    spread = math.sqrt(float(np.mean(biggest * biggest)) / len(scores))
    resolution = EPS * (spread + abs(loss)) / h
    return max(CS231N_FLOOR, resolution / ROUND_OFF_READS_AS)


def straddles_kink(inputs: np.ndarray, scores: np.ndarray, labels: np.ndarray, delta: float,
                   i: int, j: int, h: float) -> bool:
    """Whether nudging W[i, j] by +-h carries some hinge margin across 0.

    inputs (N, D) are the mean-subtracted images, scores (N, C) = inputs @ W + b. Sample n's
    score j moves by +-h * x_ni; that moves margin m_nj (j != y_n) by the same, or every
    margin of sample n (j == y_n) by the opposite."""
    n = np.arange(len(labels))
    margins = scores - scores[n, labels][:, None] + delta
    margins[n, labels] = np.inf  # the j = y_n term is the constant delta: no kink
    nearest_to_zero = np.where(labels == j, np.min(np.abs(margins), axis=1), np.abs(margins[:, j]))
    reach = KINK_SAFETY * h * np.abs(inputs[:, i])
    return bool(np.any((reach > 0) & (nearest_to_zero <= reach)))


def gradient_check(model, loss_class, reg: float, x: np.ndarray, y: np.ndarray, *,
                   entries: int | None = DEFAULT_ENTRIES, h: float = DEFAULT_STEP, seed: int = 0,
                   floor: float | None = None, **loss_kwargs) -> GradientCheck:
    """Autodiff against centred differences at the model's current weights, in float64,
    on `entries` random entries of W (None or more than there are: all of them) among
    those whose pixel varies in x. `floor` overrides the round-off floor (see the module's
    docstring); SVM entries whose difference straddles a kink are named, not counted."""
    loss_fn = loss_class(dtype="float64", **loss_kwargs)
    mean = np.asarray(model.get_layer("subtract_mean_image").mean, "float64").reshape(-1)
    x_flat = x.reshape(len(x), -1).astype("float64") - mean
    labels_np = np.asarray(y).reshape(-1).astype("int64")
    inputs, labels = tf.constant(x_flat), tf.constant(labels_np)
    # Plain tensors, not tf.Variables: a variable created inside a distribution scope
    # would be mirrored, and a gradient check has nothing to distribute.
    W = model.get_layer("scores").kernel.numpy().astype("float64")
    b_np = model.get_layer("scores").bias.numpy().astype("float64")
    b = tf.constant(b_np)

    def total_loss(weights):
        return loss_fn(labels, inputs @ weights + b) + reg * tf.reduce_sum(weights * weights)

    weights = tf.constant(W)
    with tf.GradientTape() as tape:
        tape.watch(weights)
        value = total_loss(weights)
    analytic = tape.gradient(value, weights).numpy()
    # The centred differences evaluate the same function as a graph: ~7x faster per call.
    total_loss = tf.function(total_loss, autograph=False, reduce_retracing=True,
                             input_signature=[tf.TensorSpec(W.shape, tf.float64)])

    scores = x_flat @ W + b_np
    if floor is None:
        floor = round_off_floor(scores, float(value), h)
    hinge = issubclass(loss_class, MulticlassHinge)
    delta = float(loss_fn.delta) if hinge else 0.0

    num_classes = W.shape[1]
    varying = np.flatnonzero(np.ptp(x_flat, axis=0) > 0)
    skipped_flat = (W.shape[0] - len(varying)) * num_classes
    candidates = len(varying) * num_classes
    if entries is None or entries >= candidates:
        picks = np.arange(candidates)
    else:
        picks = np.sort(np.random.default_rng(seed).choice(candidates, entries, replace=False))

    worst, worst_name, counted, kinks = 0.0, "", 0, []
    for pick in picks:
        i, j = int(varying[pick // num_classes]), int(pick % num_classes)
        if hinge and straddles_kink(x_flat, scores, labels_np, delta, i, j, h):
            kinks.append(entry_name(i, j))
            continue
        nudged = W.copy()
        nudged[i, j] = up = W[i, j] + h
        plus = float(total_loss(tf.constant(nudged)))
        nudged[i, j] = down = W[i, j] - h
        minus = float(total_loss(tf.constant(nudged)))
        # up - down is the step actually taken: W[i, j] +- h rounds.
        error = float(relative_error(analytic[i, j], (plus - minus) / (up - down), floor))
        counted += 1
        if error >= worst:
            worst, worst_name = error, entry_name(i, j)
    return GradientCheck(max_rel_error=worst if counted else math.nan, entries=counted,
                         kinks=tuple(kinks), skipped_flat=skipped_flat, floor=floor,
                         worst=worst_name)
