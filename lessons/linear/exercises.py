"""The linear classifier's exercises (CS231n assignment 1): the SVM and softmax losses
with their gradients, vectorised. Checked against the lesson's own NumPy versions
(themselves tested against its Keras losses) on random scores and, for the softmax, on
scores near 1000, where np.exp overflows unless each row is shifted by its max (the
solution CS231n's notes teach passes there); the gradient by centred differences in
float64, as CS231n checks it."""

from __future__ import annotations

import numpy as np

from lessons.checking import array, centred_difference, expect_close, expect_gradient
from workbench.authoring import Exercise, Failed

DELTA = 1.0


def svm_loss(W, X, y, reg):
    n = len(y)
    scores = X @ W
    margins = np.maximum(0.0, scores - scores[np.arange(n), y][:, None] + DELTA)
    margins[np.arange(n), y] = 0.0  # the correct class is not its own margin
    loss = margins.sum() / n + reg * np.sum(W * W)
    pull = (margins > 0).astype(np.float64)
    pull[np.arange(n), y] = -pull.sum(axis=1)  # pushed down once per violated margin
    return loss, X.T @ pull / n + 2 * reg * W


def softmax_loss(W, X, y, reg):
    n = len(y)
    scores = X @ W
    scores = scores - scores.max(axis=1, keepdims=True)  # e^s overflows for s ~ 1000
    log_probs = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(n), y].mean() + reg * np.sum(W * W)
    dscores = np.exp(log_probs)
    dscores[np.arange(n), y] -= 1.0
    return loss, X.T @ dscores / n + 2 * reg * W


def _case(rng, scale=1.0):
    W = rng.normal(size=(10, 4)) * 0.01
    X = rng.normal(size=(8, 10)) * scale
    y = rng.integers(0, 4, 8)
    return W, X, y


def _loss_and_gradient(function, W, X, y, reg, what):
    result = function(W.copy(), X.copy(), y.copy(), reg)
    if not isinstance(result, tuple) or len(result) != 2:
        raise Failed(f"{what}: return (loss, dW), a pair; got {type(result).__name__}")
    loss, dW = result
    loss = array(loss, f"{what} loss")
    if loss.shape not in ((), (1,)):
        raise Failed(f"{what}: the loss should be one number (the mean over the batch), got shape {loss.shape}")
    return float(loss.reshape(())), dW


def _check(function, reference, name):
    rng = np.random.default_rng(0)
    for reg in (0.0, 0.1):
        W, X, y = _case(rng)
        W = W * 100  # scores of order 1: several margins violated, probabilities far from 1/C
        loss, dW = _loss_and_gradient(function, W, X, y, reg, f"{name}(reg={reg:g})")
        want = reference(W, X, y, reg)[0]
        if name == "svm_loss" and np.isclose(loss - want, DELTA):
            raise Failed(f"loss {loss:.6g}, expected {want:.6g}: exactly delta = 1 too much, so the "
                         f"correct class counted its own margin; leave j = y_i out of the sum")
        if reg and np.isclose(loss, reference(W, X, y, 0.0)[0]):
            raise Failed(f"loss {loss:.6g}, expected {want:.6g}: the regularisation term "
                         f"reg * sum(W * W) is missing")
        expect_close(loss, want, f"{name} loss (reg={reg:g})", rtol=1e-6)
        # CS231n's gradient check: centred differences of the loss, in float64.
        numeric = centred_difference(lambda w: reference(w, X, y, reg)[0], W.copy())
        expect_gradient(dW, numeric, "dW", threshold=1e-7)


def check_svm(function) -> None:
    _check(function, svm_loss, "svm_loss")


def _scores_near(rng, level=1000.0):
    """W, X, y whose scores all lie near `level` (1000: e^1000 is inf in float64), each row
    spread over a few units, as CS231n's bias trick makes them: X's last column is 1 and
    W's last row holds each class's offset. np.exp overflows on such scores; shifted by
    their row's max (CS231n's notes) they lose nothing, no probability underflows."""
    W, X, y = _case(rng)
    X[:, -1] = 1.0
    W = W * 100
    W[-1] = level + np.array([0.0, 1.0, -1.0, 0.5])
    return W, X, y


def check_softmax(function) -> None:
    _check(function, softmax_loss, "softmax_loss")
    W, X, y = _scores_near(np.random.default_rng(1))
    scores = X @ W
    what = f"softmax_loss with scores near 1000 (from {scores.min():.0f} to {scores.max():.0f})"
    with np.errstate(all="ignore"):
        loss, dW = _loss_and_gradient(function, W, X, y, 0.0, what)
    want, want_dW = softmax_loss(W, X, y, 0.0)
    if not np.isfinite(loss) or not np.all(np.isfinite(array(dW, "dW"))):
        what_went = (f"the loss is {loss}" if not np.isfinite(loss) else "dW is not finite")
        how = ("np.exp(1000) is inf, and inf / inf is nan" if np.isnan(loss) else
               "np.exp(1000) is inf, and so is its log" if np.isinf(loss) else
               "np.exp(1000) is inf, and the probabilities built from it are nan")
        raise Failed(f"{what}: {what_went}: np.exp overflows ({how}). Subtract each row's largest "
                     f"score before np.exp: the probabilities do not change, and the largest term "
                     f"becomes e^0 = 1")
    expect_close(loss, want, what, rtol=1e-6)
    expect_gradient(dW, want_dW, "dW", threshold=1e-6)


SIGNATURE_DOC = '''
    """{what}: the mean over the N images plus reg * sum(W * W), and its gradient.

    W: (D, C) weights; X: (N, D) images, one per row; y: (N,) labels in 0..C-1;
    scores = X @ W. Returns (loss, dW): loss a float, dW the same shape as W.

    {hints}
    """'''

EXERCISES = (
    Exercise("svm_loss", "the multiclass SVM loss and its gradient, vectorised",
             "def svm_loss(W, X, y, reg):" + SIGNATURE_DOC.format(
                 what="Multiclass SVM (hinge) loss, margin 1",
                 hints="L_i = sum over j != y_i of max(0, s_j - s_{y_i} + 1).\n"
                       "    dW: each violated margin adds X[i] to column j and subtracts it\n"
                       "    from column y_i; the regulariser adds 2 * reg * W."),
             check_svm, svm_loss),
    Exercise("softmax_loss", "the softmax (cross-entropy) loss and its gradient, stable",
             "def softmax_loss(W, X, y, reg):" + SIGNATURE_DOC.format(
                 what="Softmax cross-entropy loss",
                 hints="L_i = -log(e^{s_{y_i}} / sum_j e^{s_j}). Must stay finite for scores\n"
                       "    near 1000, where np.exp overflows: subtract each row's max score\n"
                       "    before np.exp. Log-sum-exp goes further: log p = s - max -\n"
                       "    log(sum_j e^{s_j - max}) stays finite even where p underflows to 0.\n"
                       "    dW = X.T @ (probabilities - one_hot(y)) / N + 2 * reg * W."),
             check_softmax, softmax_loss),
)
