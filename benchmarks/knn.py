"""kNN prediction at the CS231n size: the workbench's Keras model vs scikit-learn's brute
force, and vs the two-loop distance.

Ours is exactly what the knn lesson runs: `build_knn` + `remember`, then `predict_votes`
(the model's compiled predict step, batch by batch) at `predict_batch_size`. Random
continuous data costs what CIFAR-10 costs (only the sizes matter) and has no distance
ties, so every side must predict the same labels; a disagreement is a bug and stops the
benchmark.

scikit-learn's distances are BLAS matrix products, so its speed is OpenBLAS's. Some
machines set OPENBLAS_CORETYPE or OPENBLAS_L2_SIZE, which pin a kernel or a cache size
other than the one OpenBLAS would pick and can slow it down. The comparison therefore
runs in a child process without them, and the row names the BLAS kernels that ran.

    python -m benchmarks.knn describe     # the child's BLAS and overrides, as JSON
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np

from benchmarks.common import Row, median_seconds, median_seconds_paired

N_TRAIN, N_TEST, IMAGE_SHAPE = 5000, 500, (32, 32, 3)  # CS231n's subsample of CIFAR-10
K, CLASSES = 5, 10
# Two loops cost one Python iteration per (test, train) pair, ~40 ms per test row here;
# all 500 rows would take longer than the whole quick run, so it times the first few.
TWO_LOOP_ROWS = {True: 4, False: 20}
BLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
_REPOSITORY = Path(__file__).resolve().parents[1]


def measure(quick: bool, n_train: int = N_TRAIN, n_test: int = N_TEST,
            image_shape: tuple[int, ...] = IMAGE_SHAPE) -> list[Row]:
    """The comparison, run in a child process whose BLAS picks its own kernel."""
    sizes = {"quick": quick, "n_train": n_train, "n_test": n_test, "image_shape": list(image_shape)}
    answer = run_child("measure", json.dumps(sizes))
    return [Row(**row) for row in answer["rows"]]


def fair_environment() -> dict[str, str]:
    """This process's environment less the OpenBLAS overrides; TensorFlow kept quiet."""
    kept = {name: value for name, value in os.environ.items() if name not in BLAS_OVERRIDES}
    return {**kept, "TF_CPP_MIN_LOG_LEVEL": "3"}


def run_child(*args: str) -> dict:
    """`python -m benchmarks.knn ARGS` in `fair_environment()`: its last line of output,
    parsed as JSON."""
    done = subprocess.run([sys.executable, "-m", "benchmarks.knn", *args], cwd=_REPOSITORY,
                          env=fair_environment(), capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the kNN benchmark's child failed (exit {done.returncode}):\n"
                           f"{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def blas_kernels() -> str:
    """Each BLAS loaded in this process, as threadpoolctl sees it, named by the package that
    ships it: "numpy: openblas 0.3.31 SkylakeX, scipy: openblas 0.3.30 SkylakeX". NumPy's
    is NumPy's own; scikit-learn's distance products go through SciPy's."""
    from threadpoolctl import threadpool_info

    return ", ".join(sorted(
        f"{Path(info['filepath']).parent.name.removesuffix('.libs')}: "
        f"{info['internal_api']} {info['version']} {info.get('architecture') or ''}".rstrip()
        for info in threadpool_info() if info["user_api"] == "blas"))


def describe() -> dict:
    """What the child runs with: its BLAS kernels and the overrides it sees (None: unset)."""
    return {"blas": blas_kernels(), "overrides": {name: os.environ.get(name) for name in BLAS_OVERRIDES}}


def measure_here(quick: bool, n_train: int, n_test: int, image_shape: list[int]) -> list[Row]:
    """The comparison itself, in this process (the child's side of `measure`)."""
    from workbench.running.quiet import import_tensorflow

    import_tensorflow()
    from sklearn.neighbors import KNeighborsClassifier

    from lessons.knn import distances
    from lessons.knn.lesson import vote
    from lessons.knn.model import build_knn, predict_batch_size, predict_votes

    image_shape = tuple(image_shape)  # a list, through JSON
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
    ours_label = f"Keras model, predict_on_batch, batch {batch}"
    # After the timing: the BLAS scikit-learn used is loaded by then.
    sklearn_label = f"scikit-learn brute force; BLAS {blas_kernels()}"
    return [
        Row(f"kNN prediction ({size})", n_test / ours_s, "predictions/s", ours_label,
            alternative=n_test / sklearn_s, alternative_label=sklearn_label,
            budget=2.0),
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


def main(argv: list[str]) -> None:
    """The child: `describe`, or `measure SIZES_JSON`; answers one line of JSON."""
    if argv[0] == "describe":
        answer = describe()
    else:
        answer = {"rows": [asdict(row) for row in measure_here(**json.loads(argv[1]))]}
    print(json.dumps(answer))


if __name__ == "__main__":
    main(sys.argv[1:])
