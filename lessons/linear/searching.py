"""A run that finds W by search instead of by gradient (`method=random_search|local_search`,
and both under `method=compare`): the search on the training loss, the linear model
holding the best W it found, and what it cost, set beside what one gradient costs."""

from __future__ import annotations

import numpy as np

from lessons.common import split_accuracies
from lessons.linear import gradients
from lessons.linear.losses import LOSSES
from lessons.linear.model import build_linear
from lessons.linear.search import local_search, Objective, random_search, Search

# The curve of the best loss is kept at this many points of the budget (every evaluation
# below it): enough for a plot, small enough for the run's metrics and the model's file.
CURVE_POINTS = 100
# Each method draws from a stream of its own, so compare's searches are the same as the
# single-method runs with the same seed.
STREAMS = {"random_search": 1, "local_search": 2}
# The two gradients are compared on the loss over this many training images at most: all
# but a few of the digits' 1,078, while one numeric gradient on CIFAR-10 (2 x 30,730 loss
# evaluations) stays within minutes instead of the better part of an hour.
GRADIENT_SAMPLES = 1000


def objective_of(p, data) -> Objective:
    return Objective.of(data.x_train, data.y_train, data.x_train.mean(axis=0), p.loss, p.reg,
                        p.delta)


def search(method: str, p, ctx, objective: Objective) -> Search:
    rng = np.random.default_rng([ctx.seed, STREAMS[method]])
    ctx.stage(method, p.evaluations)
    tick = lambda done: ctx.progress(method, done, p.evaluations)  # noqa: E731 (and cancel)
    if method == "random_search":
        return random_search(objective, p.evaluations, p.scale, rng, tick)
    return local_search(objective, p.evaluations, p.scale, p.step_size, rng, tick)


def checkpoints(evaluations: int) -> np.ndarray:
    """The evaluation counts (from 1) the curve is kept at, the last one always among them."""
    return np.unique(np.linspace(1, evaluations, min(evaluations, CURVE_POINTS)).round().astype(int))


def model_holding(W: np.ndarray, p, data):
    """The lesson's linear model with W's rows as its kernel and its last row as the bias."""
    model = build_linear(data.image_shape, data.num_classes, data.x_train.mean(axis=0), p.reg)
    scores = model.get_layer("scores")
    scores.kernel.assign(W[:-1].astype("float32"))
    scores.bias.assign(W[-1].astype("float32"))
    model.compile(loss=LOSSES[p.loss](**({"delta": p.delta} if p.loss == "svm" else {})))
    return model


def report(found: Search, p, ctx, prefix: str = "") -> tuple:
    """The search's metrics (named with `prefix` under compare), its curve and its model;
    returns (model, history) for the caller to save."""
    model = model_holding(found.best, p, ctx.images)
    for name, accuracy in split_accuracies(model, ctx, 1024).items():
        ctx.metric(prefix + name, accuracy)
    at = checkpoints(found.evaluations)
    curve = found.best_loss_by_evaluation[at - 1]
    rate = found.evaluations / found.seconds
    ctx.metric(prefix + "evaluations", found.evaluations)
    ctx.metric(prefix + "best_loss", found.best_loss)
    ctx.metric(prefix + "evaluation_seconds", found.seconds)
    ctx.metric(prefix + "evaluations_per_second", rate)
    ctx.metric(prefix + "curve_evaluations", at.tolist())
    ctx.metric(prefix + "best_loss_curve", curve.tolist())
    numbers = dict(method=found.method, evaluations=found.evaluations, seconds=found.seconds,
                   rate=rate, loss=found.best_loss, test=ctx.metrics[prefix + "test_accuracy"],
                   chance=1 / ctx.images.num_classes)
    if found.method == "local_search":
        ctx.metric(prefix + "accepted_steps", found.accepted)
        ctx.log("{method}: {evaluations} loss evaluations in {seconds:.2f} s ({rate:.0f} a "
                "second), {accepted} nudges kept; best training loss {loss:.4f}; test accuracy "
                "{test:.3f} (chance {chance:.3f})", accepted=found.accepted, **numbers)
    else:
        ctx.log("{method}: {evaluations} loss evaluations in {seconds:.2f} s ({rate:.0f} a "
                "second); best training loss {loss:.4f}; test accuracy {test:.3f} (chance "
                "{chance:.3f})", **numbers)
    history = {"loss": curve.tolist(), "evaluations": at.astype(float).tolist()}
    return model, history


def numeric_against_analytic(W: np.ndarray, objective: Objective, ctx) -> None:
    """One numeric and one analytic gradient of the training loss at W, timed and compared."""
    ctx.stage("gradients")
    objective = objective.first(GRADIENT_SAMPLES)
    timing = gradients.time_both(objective, W)
    ctx.metric("gradient_samples", len(objective.labels))
    ctx.metric("gradient_entries", timing.entries)
    ctx.metric("numeric_gradient_seconds", timing.numeric_seconds)
    ctx.metric("analytic_gradient_seconds", timing.analytic_seconds)
    ctx.metric("gradient_speedup", timing.speedup)
    ctx.metric("gradient_rel_error", timing.rel_error)
    ctx.log("loss over {samples} training images: one numeric gradient (centred differences on "
            "all {entries} entries of W: {evals} loss evaluations) {numeric:.3f} s; one analytic "
            "gradient (TensorFlow) {analytic:.5f} s: {speedup:.0f}x faster; relative error between "
            "them {error:.1e}",
            samples=len(objective.labels), entries=timing.entries, evals=2 * timing.entries, numeric=timing.numeric_seconds,
            analytic=timing.analytic_seconds, speedup=timing.speedup, error=timing.rel_error)


def run_searches(methods, p, ctx, *, prefixed: bool) -> list[tuple]:
    """Each search in `methods` on the training loss, reported; then the two gradients at
    the last one's W. Returns [(variant, model, history)] in the order found."""
    objective = objective_of(p, ctx.images)
    ctx.metric("chance_accuracy", 1 / ctx.images.num_classes)
    found, kept = [], []
    for method in methods:
        result = search(method, p, ctx, objective)
        model, history = report(result, p, ctx, f"{method}_" if prefixed else "")
        found.append(result)
        kept.append((f"{method}-{p.loss}", model, history))
    at = checkpoints(p.evaluations)
    ctx.chart("best training loss against loss evaluations", "evaluations", at,
              {r.method: r.best_loss_by_evaluation[at - 1] for r in found})
    numeric_against_analytic(found[-1].best, objective, ctx)
    return kept
