"""kNN prediction at the CS231n size: the workbench's Keras model vs scikit-learn's brute
force, and vs the two-loop distance.

Ours is exactly what the knn lesson runs: `build_knn` + `remember`, then `predict_votes`
(`model.predict` over a tf.data pipeline) at `predict_batch_size`. Random continuous data
costs what CIFAR-10 costs (only the sizes matter) and has no distance ties, so every side
must predict the same labels; a disagreement is a bug and stops the benchmark.
"""

from __future__ import annotations

import numpy as np

from benchmarks.common import Row, median_seconds, median_seconds_paired

N_TRAIN, N_TEST, IMAGE_SHAPE = 5000, 500, (32, 32, 3)  # CS231n's subsample of CIFAR-10
K, CLASSES = 5, 10
# Two loops cost one Python iteration per (test, train) pair, ~40 ms per test row here;
# all 500 rows would take longer than the whole quick run, so it times the first few.
TWO_LOOP_ROWS = {True: 4, False: 20}


def measure(quick: bool, n_train: int = N_TRAIN, n_test: int = N_TEST,
            image_shape: tuple[int, ...] = IMAGE_SHAPE) -> list[Row]:
    from workbench.running.quiet import import_tensorflow

    import_tensorflow()
    from sklearn.neighbors import KNeighborsClassifier

    from lessons.knn import distances
    from lessons.knn.lesson import vote
    from lessons.knn.model import build_knn, predict_batch_size, predict_votes

    rng = np.random.default_rng(0)
    x_train = rng.random((n_train, *image_shape), dtype="float32")
    x_test = rng.random((n_test, *image_shape), dtype="float32")
    y_train = rng.integers(0, CLASSES, n_train)
    flat_train, flat_test = x_train.reshape(n_train, -1), x_test.reshape(n_test, -1)
    dim = flat_train.shape[1]

    model = build_knn(image_shape, CLASSES, n_train, K, "l2")
    model.get_layer("knn").remember(flat_train, y_train)
    batch = predict_batch_size(n_train, dim, "l2")
    reference = KNeighborsClassifier(K, algorithm="brute", metric="euclidean").fit(flat_train, y_train)
    loop_rows = min(TWO_LOOP_ROWS[quick], n_test)

    def ours():
        return np.argmax(predict_votes(model, x_test, batch), axis=1)

    def sklearn():
        return reference.predict(flat_test)

    def two_loops():
        d = distances.two_loops(flat_test[:loop_rows], flat_train, "l2")
        return vote(y_train[np.argsort(d, axis=1, kind="stable")[:, :K]], CLASSES)

    predicted = ours()
    _same("scikit-learn brute force", predicted, sklearn())
    _same("two-loop distance", predicted[:loop_rows], two_loops())

    repeats = 3 if quick else 7
    ours_s, sklearn_s = median_seconds_paired(ours, sklearn, repeats)
    loops_s = median_seconds(two_loops, repeats=1 if quick else 3, warmup=0)  # warmed by the check
    size = f"{n_train:,} train x {dim:,} dims, {n_test} test, k={K}, L2"
    ours_label = f"Keras model.predict on tf.data, batch {batch}"
    return [
        Row(f"kNN prediction ({size})", n_test / ours_s, "predictions/s", ours_label,
            alternative=n_test / sklearn_s, alternative_label="scikit-learn brute force",
            budget=1.0),
        Row(f"kNN prediction vs the two-loop distance (same sizes; the loops timed on "
            f"{loop_rows} of the {n_test} test rows, per row)",
            n_test / ours_s, "predictions/s", ours_label,
            alternative=loop_rows / loops_s, alternative_label="two-loop distance + vote"),
    ]


def _same(against: str, ours: np.ndarray, theirs: np.ndarray) -> None:
    differ = np.flatnonzero(ours != theirs)
    if len(differ):
        raise AssertionError(f"kNN: the workbench and the {against} disagree on {len(differ)} of "
                             f"{len(ours)} test vectors (first: row {differ[0]})")
