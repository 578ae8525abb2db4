"""Distances between test and training images, three ways (CS231n assignment 1).

All three return the same (n_test, n_train) matrix; they differ only in how much of the
work NumPy does in compiled loops instead of Python ones. The lesson times them side by
side. The vectorised L2 uses the expanded square, ||a - b||^2 = ||a||^2 - 2 a.b + ||b||^2,
which turns the whole matrix into one matrix product.
"""

from __future__ import annotations

import numpy as np

def two_loops(test: np.ndarray, train: np.ndarray, metric: str) -> np.ndarray:
    """One Python iteration per (test, train) pair: obviously right, and slow."""
    out = np.empty((len(test), len(train)))
    for i in range(len(test)):
        for j in range(len(train)):
            diff = test[i] - train[j]
            out[i, j] = np.sum(np.abs(diff)) if metric == "l1" else np.sqrt(np.sum(diff * diff))
    return out


def one_loop(test: np.ndarray, train: np.ndarray, metric: str) -> np.ndarray:
    """One Python iteration per test image; broadcasting handles the training set."""
    out = np.empty((len(test), len(train)))
    for i in range(len(test)):
        diff = train - test[i]
        out[i] = np.sum(np.abs(diff), axis=1) if metric == "l1" else np.sqrt(np.sum(diff * diff, axis=1))
    return out


def no_loops(test: np.ndarray, train: np.ndarray, metric: str) -> np.ndarray:
    """No Python loop over images: a matrix product for L2, chunked broadcasting for L1."""
    if metric == "l2":
        squared = (np.sum(test * test, axis=1)[:, None] - 2.0 * test @ train.T
                   + np.sum(train * train, axis=1)[None, :])
        return np.sqrt(np.maximum(squared, 0.0))  # round-off can dip just below zero
    # L1 has no product form; broadcasting in chunks keeps the (rows, n_train, dim) temporary small.
    rows = max(1, 2**24 // max(1, train.size))
    return np.concatenate([
        np.sum(np.abs(test[i:i + rows, None, :] - train[None, :, :]), axis=2)
        for i in range(0, len(test), rows)
    ])


IMPLEMENTATIONS = {"two_loops": two_loops, "one_loop": one_loop, "no_loops": no_loops}
