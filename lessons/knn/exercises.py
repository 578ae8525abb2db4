"""kNN's exercises (CS231n assignment 1): the distance matrix two ways, and the vote.

Checked against scikit-learn's pairwise distances and the lesson's own implementation.
"""

from __future__ import annotations

import time

import numpy as np

from lessons.knn import distances
from lessons.checking import expect_close, expect_shape, python_loops
from workbench.authoring import Exercise, Failed

DISTANCE_DOC = '''
    """Euclidean (L2, not squared) distance between each row of X and each row of X_train.

    X: (N, D) test images, one per row; X_train: (M, D) training images.
    Returns dists, (N, M): dists[i, j] = sqrt(sum((X[i] - X_train[j]) ** 2)).
'''


def compute_distances_two_loops(X, X_train):
    return distances.two_loops(X, X_train, "l2")


def compute_distances_no_loops(X, X_train):
    return distances.no_loops(X, X_train, "l2")


def predict_labels(dists, y_train, k=1):
    nearest = np.argsort(dists, axis=1, kind="stable")[:, :k]
    counts = (y_train[nearest][..., None] == np.arange(int(y_train.max()) + 1)).sum(axis=1)
    return np.argmax(counts, axis=1)  # argmax takes the first maximum: the smallest label


def _cases(rng):
    x_train = rng.normal(size=(9, 5))
    x = np.concatenate([rng.normal(size=(5, 5)), x_train[2:3]])  # one test image is a training image
    return x, x_train


def _check_distances(function) -> None:
    from sklearn.metrics import pairwise_distances

    rng = np.random.default_rng(0)
    for x, x_train in (_cases(rng), (rng.random((1, 64)), rng.random((7, 64)))):
        expected = pairwise_distances(x, x_train, metric="euclidean")
        got = expect_shape(function(x.copy(), x_train.copy()), expected.shape, "distances")
        if np.allclose(got, expected ** 2, rtol=1e-6):
            raise Failed("these are squared distances: take the square root")
        if np.allclose(got, pairwise_distances(x, x_train, metric="manhattan"), rtol=1e-6):
            raise Failed("these are L1 (Manhattan) distances: the exercise asks for L2")
        expect_close(got, expected, "distances", rtol=1e-6, atol=1e-6)


def check_two_loops(function) -> None:
    _check_distances(function)


def check_no_loops(function) -> None:
    loops = python_loops(function)
    if loops:
        raise Failed(f"line {loops[0]} is a Python loop: use broadcasting, or expand "
                     f"||a - b||^2 = ||a||^2 - 2 a.b + ||b||^2 into one matrix product")
    _check_distances(function)
    rng = np.random.default_rng(1)
    x, x_train = rng.random((500, 64)), rng.random((1500, 64))
    started = time.perf_counter()
    function(x, x_train)
    seconds = time.perf_counter() - started
    if seconds > 2.0:
        raise Failed(f"500 x 1500 distances took {seconds:.1f} s; without loops NumPy does it "
                     f"in a few hundredths")


def check_predict_labels(function) -> None:
    rng = np.random.default_rng(2)
    dists, y_train = rng.random((6, 12)), rng.integers(0, 4, 12)
    one, five = (np.asarray(function(dists.copy(), y_train.copy(), k=k)) for k in (1, 5))
    if np.array_equal(one, five) and not np.array_equal(predict_labels(dists, y_train, 1),
                                                        predict_labels(dists, y_train, 5)):
        raise Failed("k=5 gave the same labels as k=1: the vote must count the k nearest, "
                     "not only the nearest")
    # Ties: the two nearest carry labels 2 and 1, one vote each, either one nearer.
    for tie in ([[0.1, 0.2, 0.9, 0.8]], [[0.2, 0.1, 0.9, 0.8]]):
        got = int(np.asarray(function(np.array(tie), np.array([2, 1, 0, 0]), k=2))[0])
        if got != 1:
            raise Failed(f"a tie between labels 1 and 2 (one vote each) went to {got}: ties go "
                         f"to the smallest label")
    for k in (1, 3, 5):
        got = expect_shape(function(dists.copy(), y_train.copy(), k=k), (6,), f"labels with k={k}")
        expect_close(got, predict_labels(dists, y_train, k), f"labels with k={k}", atol=0)
    raw = np.asarray(function(dists, y_train, k=1))
    if not np.issubdtype(raw.dtype, np.integer):
        raise Failed(f"labels should be integers, got {raw.dtype}")


EXERCISES = (
    Exercise("compute_distances_two_loops", "the L2 distance matrix with two Python loops",
             "def compute_distances_two_loops(X, X_train):" + DISTANCE_DOC + '''
    Hint: loop over i and j; np.sqrt(np.sum(diff ** 2)) for one pair.
    """''', check_two_loops, compute_distances_two_loops),
    Exercise("compute_distances_no_loops", "the same matrix with no Python loop, and fast",
             "def compute_distances_no_loops(X, X_train):" + DISTANCE_DOC + '''
    No for or while (the check reads your source). Hint: expand
    ||a - b||^2 = ||a||^2 - 2 a.b + ||b||^2; X @ X_train.T gives every a.b at once.
    Round-off can make a tiny square negative: clip at 0 before the square root.
    """''', check_no_loops, compute_distances_no_loops),
    Exercise("predict_labels", "each test image's label by a vote of its k nearest",
             '''def predict_labels(dists, y_train, k=1):
    """The label each test image gets from its k nearest training images.

    dists: (N, M) distances from compute_distances_*; y_train: (M,) integer labels.
    Returns (N,) integer labels: the most common label among the k nearest; a tie goes
    to the smallest label. Hint: np.argsort, then np.bincount (its argmax takes the
    first, i.e. smallest, of equal counts).
    """''', check_predict_labels, predict_labels),
)
