"""Lesson 1: k-nearest neighbours.

Training is memorising; predicting is finding the k training images nearest to a test
image and letting them vote. Three things make that real: a distance (L1 or L2), the
cost of computing it (two loops, one loop, no loops: the same numbers, very different
times), and a value of k chosen on held-out data, never on the test set.
"""

from __future__ import annotations

import time

import numpy as np

from lessons.knn import KnnSettings, distances
from lessons.knn.model import build_knn, predict_batch_size, predict_votes
from workbench.authoring import BadInput

# The two-loop distance costs one Python iteration per (test, train) pair: 100 test rows
# against the digits' 1,078 training images take about 0.6 s, enough to see the gap. On a
# bigger training set fewer rows keep that timing near TIMING_BUDGET_S.
TIMING_ROWS = 100
TIMING_BUDGET_S = 1.0
NEIGHBOUR_PICTURE_QUERIES = 4


def run(p: KnnSettings, ctx) -> None:
    data = ctx.images
    x_train, y_train = _flat(data.x_train)[: p.max_train], data.y_train[: p.max_train]
    x_val, y_val = _flat(data.x_val)[: p.max_test], data.y_val[: p.max_test]
    x_test, y_test = _flat(data.x_test)[: p.max_test], data.y_test[: p.max_test]
    n_train, dim = x_train.shape
    if ctx.mine and p.metric != "l2":
        raise BadInput("--mine uses your compute_distances_no_loops, which gives L2 distances; "
                       "drop --set metric=l1")
    if p.k > n_train:
        raise BadInput(f"k must be in 1..{n_train} (the training-set size); got {p.k}")
    ctx.log("{dataset}: {n_train} training images of {dim} numbers; {n_val} validation, "
            "{n_test} test",
            dataset=data.name, n_train=n_train, dim=dim, n_val=len(x_val), n_test=len(x_test))
    ctx.metric("n_train", n_train)

    time_distances(ctx, x_test[:timing_rows(x_test, x_train, p.metric)], x_train, p.metric)
    if p.folds:
        cross_validate(ctx, x_train, y_train, p, data.num_classes)

    model = build_knn(data.image_shape, data.num_classes, n_train, p.k, p.metric)
    model.get_layer("knn").remember(x_train, y_train)
    batch = predict_batch_size(n_train, dim, p.metric)
    splits = {"train": (data.x_train[:n_train], y_train), "val": (data.x_val[: len(x_val)], y_val),
              "test": (data.x_test[: len(x_test)], y_test)}
    ctx.stage("predict", len(splits))
    for done, (split, (images, labels)) in enumerate(splits.items(), start=1):
        started = time.perf_counter()
        predicted = np.argmax(predict_votes(model, images, batch), axis=1)
        accuracy = float(np.mean(predicted == labels))
        ctx.metric(f"{split}_accuracy", accuracy)
        if split == "test":
            ctx.metric("test_predict_seconds", round(time.perf_counter() - started, 4))
            test_predicted = predicted
        ctx.progress("predict", done, len(splits), accuracy=accuracy)
    ctx.log("k={k} {metric}: test accuracy {test:.3f}, train {train:.3f} (with k=1 train "
            "accuracy is 1: every training image is its own nearest neighbour)",
            k=p.k, metric=p.metric, test=ctx.metrics["test_accuracy"],
            train=ctx.metrics["train_accuracy"])

    if ctx.mine:
        run_mine(ctx, p, x_train, y_train, x_test, y_test, test_predicted)
    show_neighbours(ctx, data.x_test, data.x_train[:n_train], x_test, y_test, x_train, y_train,
                    test_predicted, p)
    ctx.save(model)


def run_mine(ctx, p: KnnSettings, x_train, y_train, x_test, y_test, keras_predicted) -> None:
    """The test images classified again by the learner's distances and vote."""
    started = time.perf_counter()
    dists = np.asarray(ctx.mine["compute_distances_no_loops"](x_test, x_train))
    predicted = np.asarray(ctx.mine["predict_labels"](dists, y_train, k=p.k))
    ctx.metric("mine_test_accuracy", float(np.mean(predicted == y_test)))
    ctx.metric("mine_agreement", float(np.mean(predicted == keras_predicted)))
    ctx.metric("mine_seconds", round(time.perf_counter() - started, 4))
    m = ctx.metrics
    ctx.log("your functions: test accuracy {mine:.3f} (the Keras model: {keras:.3f}); same "
            "label as the Keras model for {agreement:.1%} of the test images, in {seconds:.3f} s",
            mine=m["mine_test_accuracy"], keras=m["test_accuracy"], agreement=m["mine_agreement"],
            seconds=m["mine_seconds"])


def timing_rows(test: np.ndarray, train: np.ndarray, metric: str) -> int:
    """How many test rows the two-loop timing can take within TIMING_BUDGET_S (at most
    TIMING_ROWS), from the measured cost of one row: on 60,000 training images one row
    alone takes about half a second."""
    started = time.perf_counter()
    distances.two_loops(test[:1], train, metric)
    per_row = time.perf_counter() - started
    return int(max(1, min(TIMING_ROWS, len(test), TIMING_BUDGET_S // max(per_row, 1e-9))))


def time_distances(ctx, test: np.ndarray, train: np.ndarray, metric: str) -> None:
    """Compute the same distance matrix three ways, check they agree, report each time."""
    ctx.stage("distances", len(distances.IMPLEMENTATIONS))
    seconds, results = {}, {}
    for done, (name, compute) in enumerate(distances.IMPLEMENTATIONS.items(), start=1):
        started = time.perf_counter()
        results[name] = compute(test, train, metric)
        seconds[name] = round(time.perf_counter() - started, 5)
        ctx.progress("distances", done, len(distances.IMPLEMENTATIONS), seconds=seconds[name])
    # CS231n's check: the Frobenius norm of the difference should be ~0.
    difference = max(float(np.linalg.norm(results[name] - results["two_loops"])) for name in results)
    ctx.metric("distance_seconds", seconds)
    ctx.metric("distance_difference", difference)
    ctx.metric("distance_timing_rows", len(test))
    fastest = seconds["no_loops"] or 1e-9
    ctx.log("{rows}x{columns} {metric} distances: two loops {two_loops:.3f}s, one loop "
            "{one_loop:.3f}s, no loops {no_loops:.4f}s ({speedup:.0f}x faster); largest "
            "difference {difference:.2e}",
            rows=len(test), columns=len(train), metric=metric, two_loops=seconds["two_loops"],
            one_loop=seconds["one_loop"], no_loops=seconds["no_loops"],
            speedup=seconds["two_loops"] / fastest, difference=difference)


def vote(neighbour_labels: np.ndarray, num_classes: int) -> np.ndarray:
    """Majority class of each row of labels; ties go to the smallest class id."""
    counts = (neighbour_labels[..., None] == np.arange(num_classes)).sum(axis=1)
    return np.argmax(counts, axis=1)


def cross_validate(ctx, x: np.ndarray, y: np.ndarray, p: KnnSettings, num_classes: int) -> None:
    """Accuracy of each k in k_choices on `folds` held-out folds of the training split."""
    folds = p.folds
    order = np.random.default_rng(ctx.seed).permutation(len(x))
    parts = np.array_split(order, folds)
    smallest_train = len(x) - max(len(part) for part in parts)
    choices = sorted(k for k in set(p.k_choices) if k <= smallest_train)
    if not choices:
        raise BadInput(f"every k in k_choices exceeds the {smallest_train} images a fold trains on")
    scores = {k: [] for k in choices}
    ctx.stage("cross-validation", folds)
    for fold, held_out in enumerate(parts, start=1):
        kept = np.setdiff1d(order, held_out)
        d = distances.no_loops(x[held_out], x[kept], p.metric)
        ranked = np.argsort(d, axis=1, kind="stable")[:, : max(choices)]
        for k in choices:
            predicted = vote(y[kept][ranked[:, :k]], num_classes)
            scores[k].append(float(np.mean(predicted == y[held_out])))
        ctx.progress("cross-validation", fold, folds)
    table = {str(k): {"mean": float(np.mean(s)), "std": float(np.std(s))} for k, s in scores.items()}
    best = max(choices, key=lambda k: (round(np.mean(scores[k]), 12), -k))  # ties: the smaller k
    ctx.metric("cv_accuracy", table)
    ctx.metric("cv_best_k", best)
    # The rows are numbers only, the same in every language: one field of the message.
    rows = "\n".join(f"  k={k:>3}: {v['mean']:.3f} +/- {v['std']:.3f}" for k, v in table.items())
    if best == p.k:
        ctx.log("{folds}-fold cross-validation ({metric}):\n{rows}\n  best k = {best}",
                folds=folds, metric=p.metric, rows=rows, best=best)
    else:
        ctx.log("{folds}-fold cross-validation ({metric}):\n{rows}\n  best k = {best} (this run "
                "uses k={k}; try --set k={best})",
                folds=folds, metric=p.metric, rows=rows, best=best, k=p.k)


def show_neighbours(ctx, test_images, train_images, x_test, y_test, x_train, y_train, predicted,
                    p) -> None:
    """A few test images, each followed by its k nearest training images: the first ones,
    and the first the vote got wrong (captioned "as 5": what it was taken for), where
    kNN's failure shows."""
    shown = min(p.k, 8)
    queries = list(range(min(NEIGHBOUR_PICTURE_QUERIES, len(x_test))))
    wrong = np.flatnonzero(predicted != y_test)
    if len(wrong) and not set(queries) & set(wrong.tolist()):
        queries[-1] = int(wrong[0])
    d = distances.no_loops(x_test[queries], x_train, p.metric)
    images, captions = [], []
    for row, q in enumerate(queries):
        images.append(test_images[q, ..., 0] if test_images.shape[-1] == 1 else test_images[q].mean(-1))
        captions.append("test" if predicted[q] == y_test[q] else f"as {predicted[q]}")
        for j in np.argsort(d[row], kind="stable")[:shown]:
            image = train_images[j]
            images.append(image[..., 0] if image.shape[-1] == 1 else image.mean(-1))
            captions.append(str(y_train[j]))
    ctx.picture(f"nearest {shown} training images ({p.metric})", images, captions, columns=shown + 1)


def _flat(images: np.ndarray) -> np.ndarray:
    return images.reshape(len(images), -1).astype("float64")
