"""The guided path through kNN: k = 1 remembers, a larger k votes, k is chosen on held-out
data. Each experiment runs in a few seconds on the digits."""

from __future__ import annotations

from workbench.authoring import (Claim, Compare, compares, ExerciseStep, Experiment, MissingMetric,
    number, Predict, Read, value)

SPEEDUP = 5  # no loops against two loops: orders of magnitude in the notes, 5x at the least
AGREEMENT = 0.03  # cross-validation and the validation split, for the same k


def _entry(metrics, name: str, *keys: str):
    """metrics[name][key]...: a nested metric (kNN's timings, its cross-validation table)."""
    found = value(metrics, name)
    for key in keys:
        if not isinstance(found, dict) or found.get(key) is None:
            raise MissingMetric(".".join((name, *keys)))
        found = found[key]
    return float(found)


def no_loops_faster(metrics):
    two = _entry(metrics, "distance_seconds", "two_loops")
    none = _entry(metrics, "distance_seconds", "no_loops")
    speedup = two / max(none, 1e-9)
    return speedup >= SPEEDUP, (f"two loops {number(two)} s, no loops {number(none)} s: "
                                f"{speedup:.0f}x faster (at least {SPEEDUP}x)")


def held_out_below_memory(metrics):
    held_out = _entry(metrics, "cv_accuracy", "1", "mean")
    train = float(value(metrics, "train_accuracy"))
    return held_out < train, (f"k = 1: held-out folds {number(held_out)} < training images "
                              f"{number(train)}")


def cv_agrees_with_validation(metrics):
    held_out = _entry(metrics, "cv_accuracy", "1", "mean")
    val = float(value(metrics, "val_accuracy"))
    off = abs(held_out - val)
    return off <= AGREEMENT, (f"k = 1: cross-validation {number(held_out)}, validation split "
                              f"{number(val)}, {number(off)} apart (at most {number(AGREEMENT)})")


STEPS = (
    Read("Choosing k without cheating", "Choosing k without cheating"),
    Predict(
        "k = 1 on its own training images",
        "With k = 1, what share of the training images does kNN classify right?",
        ("All of them: 1.0", "About as many as of the test images", "Fewer than of the test images"),
        0,
        "Every training image is stored, and its nearest stored image is itself, at distance "
        "0: it votes for its own label. Training accuracy 1.0 measures memory, not learning.",
        settled_by=3,
    ),
    Experiment(
        "k = 1, no cross-validation",
        {"k": 1, "metric": "l2", "folds": 0},
        (
            compares("train_accuracy", "==", 1.0,
                     "With k = 1 the training accuracy is 1.0: each image is its own nearest neighbour",
                     "Two training images that are pixel for pixel the same but labelled differently "
                     "would break it; or k was changed from 1, and other images now vote too"),
            Claim("The no-loop distance matrix is at least 5 times faster than two loops",
                  no_loops_faster,
                  "The timings are wall-clock on a shared machine: another program busy at the same "
                  "moment can slow the fast version's few milliseconds; run it again"),
            compares("distance_difference", "<", 1e-6,
                     "Two loops, one loop and no loops give the same matrix (difference 0 up to round-off)",
                     "A difference above round-off means one of the three implementations computes "
                     "another distance: check that all three use the same metric"),
        ),
        look_for="The three timings of the same distance matrix, and train accuracy against "
                 "validation and test accuracy.",
    ),
    Predict(
        "k = 20 on the training images",
        "With k = 20, will the training accuracy still be 1.0?",
        ("Yes: each image is still among its own neighbours", "No: it drops below 1.0"),
        1,
        "The image's own vote is one of twenty: where its neighbours mostly carry another label "
        "(an odd-looking 4 among 9s), they outvote it. That smoothing is what a larger k is for.",
        settled_by=5,
    ),
    Experiment(
        "k = 20",
        {"k": 20, "metric": "l2", "folds": 0},
        (
            compares("train_accuracy", "<", 1.0,
                     "With k = 20 the training accuracy drops below 1.0: an image's own vote can be outvoted",
                     "With a much smaller k (or k back at 1) each image's own vote decides again"),
            compares("test_accuracy", ">", 0.9,
                     "Twenty voters still classify the digits well: test accuracy above 0.9 "
                     "(chance is 0.1)",
                     "On a harder dataset (CIFAR-10 pixels) kNN scores far lower, or max_train was "
                     "cut so far that few examples of each digit are left to vote"),
        ),
        look_for="Whether the training accuracy is still 1, and where the test accuracy lands "
                 "next to k = 1's.",
    ),
    Compare(
        "k = 1 against k = 20",
        (3, 5),
        ("train_accuracy", "val_accuracy", "test_accuracy", "test_predict_seconds"),
        "Training accuracy ranks k = 1 first only because it measures memory. Held-out "
        "accuracy is the fair comparison. At prediction time both k compute the same distances, "
        "one per stored image, and keeping 1 or 20 of them costs little more: the two "
        "test_predict_seconds, a few hundredths of a second each, differ by timing noise, not "
        "by k (run either step again and its time moves about as much). Choose k on "
        "validation data, never on the test set.",
    ),
    Experiment(
        "Score k on held-out folds: 5-fold cross-validation",
        {"k": 1, "metric": "l2", "folds": 5},
        (
            Claim("On held-out folds k = 1 scores below the 1.0 it gets on the images it stores",
                  held_out_below_memory,
                  "k_choices no longer holds 1, or folds is 0 and cross-validation was skipped; or "
                  "k was changed from 1, so the training accuracy is another k's"),
            Claim("Two held-out estimates agree: cross-validation and the validation split score "
                  "k = 1 within 3 points of each other",
                  cv_agrees_with_validation,
                  "With few images (a small max_train or max_test) each fold and the validation split "
                  "hold only a handful and their scores jump; or k was changed from 1, so the "
                  "validation split scored another k"),
        ),
        look_for="The mean and spread of every k across the folds, and which k wins.",
    ),
    ExerciseStep(
        "Write the distances and the vote",
        "compute_distances_two_loops, compute_distances_no_loops and predict_labels, as in "
        "CS231n's assignment 1: 'workbench exercises start knn', then 'workbench check knn'; "
        "once they pass, 'workbench run knn --mine' classifies the test images with them.",
    ),
)
