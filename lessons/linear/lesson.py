"""Lesson 2: linear classifiers.

A score function f(x) = Wx + b gives each class a score; a loss says how unhappy we are
with those scores; the optimizer moves W downhill. The lesson trains the same score
function with the two classic losses, checks the training is sound before trusting it
(initial loss, numeric gradient), and shows what W learned: one template per class.
With `method=random_search|local_search` it finds W by search instead (searching.py);
`method=compare` runs the training and then both searches.
"""

from __future__ import annotations

import numpy as np

import keras

from lessons.common import make_optimizer, split_accuracies
from lessons.linear import LinearSettings, checks, SEARCHES
from lessons.linear.losses import LOSSES
from lessons.linear.model import build_linear
from lessons.linear.searching import run_searches
from workbench.authoring import BadInput

GRAD_CHECK_SAMPLES = 200
# Training only ever lowers a sound run's loss; 100x its starting value means divergence.
DIVERGED = 100.0


class RegLoss(keras.callbacks.Callback):
    """Adds the L2 part of the loss, at the epoch's end weights, to each epoch's logs."""

    def __init__(self, reg: float):
        super().__init__()
        self.reg = reg

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["reg_loss"] = checks.reg_loss(self.model, self.reg)


def run(p: LinearSettings, ctx) -> None:
    if ctx.mine and p.method != "gradient":
        raise BadInput(f"--mine trains W by gradient steps on your {p.loss}_loss; "
                       f"method={p.method} takes no gradient: drop --mine or --set method")
    if ctx.mine and p.delta != 1.0:
        raise BadInput(f"--mine trains with your svm_loss, whose margin is 1; drop --set delta={p.delta:g}")
    if p.method in SEARCHES:
        [(variant, model, history)] = run_searches((p.method,), p, ctx, prefixed=False)
        show_templates(model, p, ctx)
        ctx.save(model, variant=variant, history=history)
        return
    train_by_gradient(p, ctx)
    if p.method == "compare":
        for variant, model, history in run_searches(SEARCHES, p, ctx, prefixed=True):
            ctx.save(model, variant=variant, history=history)


def train_by_gradient(p: LinearSettings, ctx) -> None:
    """Strategy 3, following the gradient: the lesson's Keras run, checked and saved."""
    data = ctx.images
    loss_kwargs = {"delta": p.delta} if p.loss == "svm" else {}
    loss_fn = LOSSES[p.loss](**loss_kwargs)
    mean_image = data.x_train.mean(axis=0)
    model = build_linear(data.image_shape, data.num_classes, mean_image, p.reg)

    # Sanity check 1: the loss at initialisation, before any step (reg excluded).
    initial = checks.data_loss(model, loss_fn, data.x_train, data.y_train)
    expected = checks.expected_initial_loss(p.loss, data.num_classes, p.delta)
    ctx.metric("initial_loss", initial)
    ctx.metric("expected_initial_loss", expected)
    if p.loss == "softmax":
        ctx.log("initial {loss} loss {initial:.4f}; expected {expected:.4f} (ln C, C = {classes})",
                loss=p.loss, initial=initial, expected=expected, classes=data.num_classes)
    else:
        ctx.log("initial {loss} loss {initial:.4f}; expected {expected:.4f} ((C - 1) * delta, "
                "C = {classes})",
                loss=p.loss, initial=initial, expected=expected, classes=data.num_classes)

    model.compile(optimizer=make_optimizer(p.optimizer, p.learning_rate), loss=loss_fn,
                  metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
    fit = model.fit(ctx.batches(data.x_train, data.y_train, p.batch_size, shuffle=True),
                    validation_data=ctx.batches(data.x_val, data.y_val, p.batch_size),
                    epochs=p.epochs, verbose=0,
                    callbacks=[RegLoss(p.reg),
                               *ctx.callbacks(diverge_above=DIVERGED * max(initial, expected))])

    final_data = checks.data_loss(model, loss_fn, data.x_train, data.y_train)
    final_reg = checks.reg_loss(model, p.reg)
    ctx.metric("final_data_loss", final_data)
    ctx.metric("final_reg_loss", final_reg)
    ctx.metric("final_loss", final_data + final_reg)
    for name, accuracy in split_accuracies(model, ctx, 1024).items():
        ctx.metric(name, accuracy)

    # Sanity check 2: autodiff against centred differences, at the trained weights.
    check = checks.gradient_check(model, LOSSES[p.loss], p.reg, data.x_train[:GRAD_CHECK_SAMPLES],
                                  data.y_train[:GRAD_CHECK_SAMPLES], seed=ctx.seed, **loss_kwargs)
    ctx.metric("grad_check_max_rel_error", check.max_rel_error)
    ctx.metric("grad_check_entries", check.entries)
    ctx.metric("grad_check_kinks", list(check.kinks))
    numbers = dict(loss=final_data + final_reg, data=final_data, reg=final_reg,
                   test=ctx.metrics["test_accuracy"], entries=check.entries,
                   error=check.max_rel_error)
    if check.kinks:
        ctx.log("loss {loss:.4f} = data {data:.4f} + reg {reg:.4f}; test accuracy {test:.3f}; "
                "gradient check on {entries} entries of W (pixels that vary): largest relative "
                "error {error:.1e}; {kinks} entries straddle a hinge kink, not counted: {names}",
                kinks=len(check.kinks), names=", ".join(check.kinks), **numbers)
    else:
        ctx.log("loss {loss:.4f} = data {data:.4f} + reg {reg:.4f}; test accuracy {test:.3f}; "
                "gradient check on {entries} entries of W (pixels that vary): largest relative "
                "error {error:.1e}",
                **numbers)

    show_templates(model, p, ctx)
    if ctx.mine:
        from lessons.linear.mine import train_with

        train_with(ctx.mine[f"{p.loss}_loss"], data, p, ctx, fit.history["loss"])
    ctx.save(model, variant=p.loss, history=fit.history)


def show_templates(model, p: LinearSettings, ctx) -> None:
    """W's rows drawn as images; with save_templates, kept as a PNG beside the model."""
    data = ctx.images
    templates = class_templates(model, data.image_shape)
    found_by = f"{p.method}, {p.loss}" if p.method in SEARCHES else p.loss
    ctx.picture(f"learned templates: each class's row of W ({found_by})",
                [t.mean(axis=-1) for t in templates], list(data.class_names))
    if p.save_templates:
        ctx.save_image("templates", list(templates), data.class_names)


def class_templates(model, image_shape) -> np.ndarray:
    """W's column for each class, reshaped to an image and scaled together into [0, 1]."""
    kernel = model.get_layer("scores").kernel.numpy()  # (pixels, classes)
    templates = kernel.T.reshape((-1, *image_shape))
    low, high = templates.min(), templates.max()
    return (templates - low) / (high - low if high > low else 1.0)
