"""Regression with an L2 and an L1 loss, by gradient descent on seeded 1-D data with one
outlier: what each loss fits (the mean against the median, for a constant model; least
squares against least absolute deviations, for a line) and how far the outlier pulls it.

NumPy, not Keras: the gradients are the lesson. L2's gradient from a point is its
residual, so a far point pulls as hard as it is far; L1's is the residual's sign, so every
point, near or far, pulls by the same amount.
"""

from __future__ import annotations

import itertools

import numpy as np

from lessons.training import experiments

POINTS = 51  # odd: the median (L1's constant) is one point, not an interval
SLOPE, INTERCEPT, NOISE = 2.0, 1.0, 1.0
X_RANGE = (0.0, 10.0)
OUTLIER = experiments.OUTLIER  # the default distance of the moved point above the line
STEPS = 20_000  # enough for L1's decaying steps to settle within 1e-3 of the exact line


def data(seed: int, outlier: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, y on the line y = 2x + 1 with unit noise, and y with the point at the largest x
    moved `outlier` above it (the far end, where it has the most leverage on a line)."""
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(*X_RANGE, POINTS))
    y = SLOPE * x + INTERCEPT + rng.normal(0.0, NOISE, POINTS)
    moved = y.copy()
    moved[-1] += outlier
    return x, y, moved


def gradient(loss: str, residual: np.ndarray) -> np.ndarray:
    """d loss / d prediction, point by point, for the mean of r^2 / 2 or of |r|."""
    return residual / len(residual) if loss == "l2" else np.sign(residual) / len(residual)


def fit_line(x: np.ndarray, y: np.ndarray, loss: str, *, constant: bool) -> np.ndarray:
    """(intercept, slope) by full-batch gradient descent; slope 0 and fixed for a constant.
    L1's gradient never shrinks near the minimum, so its step decays as 1/sqrt(t) to settle."""
    # On x - mean(x) the intercept and the slope are uncoupled: a well-conditioned bowl.
    centre = 0.0 if constant else x.mean()
    features = np.stack([np.ones_like(x), np.zeros_like(x) if constant else x - centre], axis=1)
    # L2: a step of 1 / the largest curvature; L1: the same scale, decaying.
    rate = 1.0 / np.linalg.eigvalsh(features.T @ features / len(x)).max()
    w = np.zeros(2)
    for t in range(1, STEPS + 1):
        g = features.T @ gradient(loss, features @ w - y)
        w -= rate * g / (1.0 if loss == "l2" else np.sqrt(t))
    return np.array([w[0] - w[1] * centre, w[1]])


def least_absolute_line(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The exact L1 line: one of those through two data points (a vertex of the linear
    programme), found by trying every pair."""
    best, best_loss = None, np.inf
    for i, j in itertools.combinations(range(len(x)), 2):
        if x[i] == x[j]:
            continue
        slope = (y[j] - y[i]) / (x[j] - x[i])
        w = np.array([y[i] - slope * x[i], slope])
        loss = np.abs(w[0] + w[1] * x - y).sum()
        if loss < best_loss:
            best, best_loss = w, loss
    return best


def outlier_gradient_share(loss: str, residual: np.ndarray) -> float:
    """The outlier's share of the summed size of the points' gradients on a constant."""
    size = np.abs(gradient(loss, residual))
    return float(size[-1] / size.sum())


def line_pull(clean: np.ndarray, moved: np.ndarray) -> float:
    """How far one outlier moved a line: the largest change of its prediction over x's range."""
    return float(max(abs((moved - clean) @ [1.0, end]) for end in X_RANGE))


def run(ctx, outlier: float) -> None:
    x, clean, moved = data(ctx.seed, outlier)
    ctx.log("{points} points on y = 2x + 1 with unit noise; the last one moved {outlier:g} above "
            "it", points=POINTS, outlier=outlier)
    fits = {}
    for loss in ("l2", "l1"):
        constant = {name: fit_line(x, y, loss, constant=True)[0]
                    for name, y in (("clean", clean), ("outlier", moved))}
        line = {name: fit_line(x, y, loss, constant=False)
                for name, y in (("clean", clean), ("outlier", moved))}
        fits[loss] = line["outlier"]
        ctx.metric(f"{loss}_constant_fit", float(constant["outlier"]))
        ctx.metric(f"{loss}_constant_fit_clean", float(constant["clean"]))
        ctx.metric(f"{loss}_outlier_pull", float(abs(constant["outlier"] - constant["clean"])))
        ctx.metric(f"{loss}_line_fit", [float(v) for v in line["outlier"]])
        ctx.metric(f"{loss}_line_outlier_pull", line_pull(line["clean"], line["outlier"]))
        ctx.metric(f"{loss}_outlier_gradient_share",
                   outlier_gradient_share(loss, constant["clean"] - moved))
    # The closed forms each fit should land on.
    ctx.metric("data_mean", float(moved.mean()))
    ctx.metric("data_median", float(np.median(moved)))
    features = np.stack([np.ones_like(x), x], axis=1)
    least_squares = np.linalg.lstsq(features, moved, rcond=None)[0]
    ctx.metric("least_squares_line", [float(v) for v in least_squares])
    ctx.metric("least_absolute_line", [float(v) for v in least_absolute_line(x, moved)])
    m = ctx.metrics
    ctx.log("a constant: L2 lands on {l2:.3f} (the mean {mean:.3f}), L1 on {l1:.3f} (the median "
            "{median:.3f}); the outlier pulled L2 by {l2_pull:.3f}, L1 by {l1_pull:.3f}",
            l2=m["l2_constant_fit"], mean=m["data_mean"], l1=m["l1_constant_fit"],
            median=m["data_median"], l2_pull=m["l2_outlier_pull"], l1_pull=m["l1_outlier_pull"])
    ctx.log("a line: the outlier moved L2's by up to {l2:.3f}, L1's by up to {l1:.3f}; at the "
            "clean fit it gives {l2_share:.0%} of L2's gradient and {l1_share:.0%} of L1's",
            l2=m["l2_line_outlier_pull"], l1=m["l1_line_outlier_pull"],
            l2_share=m["l2_outlier_gradient_share"], l1_share=m["l1_outlier_gradient_share"])
    ctx.chart("regression with one outlier: the data, the L2 line and the L1 line", "x", [],
              {"data": moved, "l2": features @ fits["l2"], "l1": features @ fits["l1"]},
              xs={"data": x, "l2": x, "l1": x})
