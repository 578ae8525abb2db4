"""The two-layer net's pieces in NumPy, each a forward pass and its backward pass, as in
CS231n's layers.py (and the learner's exercises: these are the lesson's own answers).

A backward pass takes the gradient of the loss with respect to the piece's output
(`dout`, the upstream gradient) and the forward pass's inputs, and returns the gradient
with respect to each input: the upstream gradient times the piece's local gradient.
No cache object: the inputs are all a backward pass here needs.
"""

from __future__ import annotations

import numpy as np

PARAMS = ("W1", "b1", "W2", "b2")


def affine_forward(x, w, b):
    """out = x_flat w + b: x (N, d1, ..., dk) flattened to (N, D), w (D, M), b (M,)."""
    return x.reshape(len(x), -1) @ w + b


def affine_backward(dout, x, w, b):
    """(dx, dw, db) for out = x_flat w + b, given dout = d loss / d out, (N, M)."""
    x_flat = x.reshape(len(x), -1)
    dx = (dout @ w.T).reshape(x.shape)  # each input mixes into every output through w
    dw = x_flat.T @ dout  # (D, N) @ (N, M): each weight sums its N contributions
    db = dout.sum(axis=0)  # b is added to every row: the rows' gradients add up
    return dx, dw, db


def relu_forward(x):
    return np.maximum(x, 0.0)


def relu_backward(dout, x):
    """dout where x > 0, 0 elsewhere; at x = 0 exactly, 0 (as tf.nn.relu's gradient)."""
    return dout * (x > 0)


def softmax_loss(scores, y):
    """Mean cross-entropy of (N, C) scores against labels y, and d loss / d scores."""
    n = len(y)
    shifted = scores - scores.max(axis=1, keepdims=True)  # the same softmax, no overflow
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(n), y].mean()
    dscores = np.exp(log_probs)
    dscores[np.arange(n), y] -= 1.0
    return loss, dscores / n


def two_layer_loss(X, y, params, reg):
    """affine - ReLU - affine - softmax: the mean cross-entropy plus
    reg * (sum W1^2 + sum W2^2), and the gradient for each of W1, b1, W2, b2."""
    W1, b1, W2, b2 = (params[name] for name in PARAMS)
    h = affine_forward(X, W1, b1)
    a = relu_forward(h)
    scores = affine_forward(a, W2, b2)
    data_loss, dscores = softmax_loss(scores, y)
    loss = data_loss + reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    # backward: the same pieces in reverse, each handing its dx to the piece below
    da, dW2, db2 = affine_backward(dscores, a, W2, b2)
    dh = relu_backward(da, h)
    _, dW1, db1 = affine_backward(dh, X, W1, b1)
    # the regulariser's own gradient, d/dW reg * sum(W^2) = 2 reg W; the biases are not in it
    return loss, {"W1": dW1 + 2 * reg * W1, "b1": db1, "W2": dW2 + 2 * reg * W2, "b2": db2}


def scores(params, X):
    """The net's class scores, for predictions (the softmax does not change the argmax)."""
    hidden = relu_forward(affine_forward(X, params["W1"], params["b1"]))
    return affine_forward(hidden, params["W2"], params["b2"])
