"""Experiment `optimizers`: six update rules on the same net from the same start, and the
lecture's picture of each one's path on a long, narrow bowl.

On f(w) = (w0^2 + 100 w1^2) / 2 the gradient points across the valley far more than
along it: plain SGD zigzags across and crawls along; momentum builds speed along the
valley while the zigzags cancel; AdaGrad and RMSProp divide each coordinate's step by its
gradients' size, so both directions move alike; Adam does both.

With `--mine`, the learner's sgd_momentum, rmsprop and adam take the same bowl beside
Keras' and train the same net from the same start (lessons/training/mine.py).
"""

from __future__ import annotations

import keras
import numpy as np

from lessons.common import split_accuracies
from lessons.training.nets import fit, mlp

# Keras' optimizers; each rate is one where the rule works on the digits net.
OPTIMIZERS = {
    "sgd": (lambda lr: keras.optimizers.SGD(lr), 0.05),
    "momentum": (lambda lr: keras.optimizers.SGD(lr, momentum=0.9), 0.05),
    "nesterov": (lambda lr: keras.optimizers.SGD(lr, momentum=0.9, nesterov=True), 0.05),
    "adagrad": (lambda lr: keras.optimizers.Adagrad(lr), 0.05),
    "rmsprop": (lambda lr: keras.optimizers.RMSprop(lr), 0.001),
    "adam": (lambda lr: keras.optimizers.Adam(lr), 0.001),
}
# The bowl, 100 times steeper across than along, and each rule's step size on it: the
# three SGDs share one (above 1/100, so plain SGD zigzags; below Nesterov's limit).
CURVATURE = np.array([1.0, 100.0])
START = np.array([-8.0, 1.0])
BOWL_STEPS = 60
BOWL_RATES = {"sgd": 0.012, "momentum": 0.012, "nesterov": 0.012, "adagrad": 1.0, "rmsprop": 0.3,
              "adam": 0.5}
# Plain SGD on the bowl with a step too small, right, and too large (past 2/100 it diverges).
RATE_DEMO = {"too low": 0.002, "right": 0.015, "too high": 0.0205}


def bowl(w):
    return 0.5 * keras.ops.sum(CURVATURE * w * w)


def path_on_bowl(optimizer, steps: int = BOWL_STEPS) -> np.ndarray:
    """(steps + 1, 2): where `optimizer` takes w from START, one gradient step at a time."""
    import tensorflow as tf

    w = tf.Variable(START.astype("float32"))
    path = [w.numpy().copy()]
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = bowl(w)
        optimizer.apply_gradients([(tape.gradient(loss, w), w)])
        path.append(w.numpy().copy())
    return np.array(path, dtype="float64")


def bowl_loss(path: np.ndarray) -> np.ndarray:
    return 0.5 * (CURVATURE * path * path).sum(axis=1)


def run(p, ctx) -> None:
    paths = {name: path_on_bowl(make(BOWL_RATES[name])) for name, (make, _) in OPTIMIZERS.items()}
    losses = {name: bowl_loss(path) for name, path in paths.items()}
    ctx.metric("bowl_final_loss", {name: float(loss[-1]) for name, loss in losses.items()})
    ctx.metric("bowl_momentum_over_sgd", float(losses["momentum"][-1] / losses["sgd"][-1]))
    ctx.chart(f"paths on the bowl (w0^2 + 100 w1^2) / 2 from ({START[0]:g}, {START[1]:g}), "
              f"{BOWL_STEPS} steps", "w0", [],
              {name: path[:, 1] for name, path in paths.items()},
              xs={name: path[:, 0] for name, path in paths.items()})
    demo = {f"{label} ({rate:g})": bowl_loss(path_on_bowl(keras.optimizers.SGD(rate)))
            for label, rate in RATE_DEMO.items()}
    ctx.metric("bowl_sgd_loss_by_rate", {name: float(loss[-1]) for name, loss in demo.items()})
    ctx.chart("plain SGD on the bowl: loss by step (log scale)", "step", range(BOWL_STEPS + 1),
              demo, log_y=True)
    for name, loss in losses.items():
        ctx.log("{name}: loss on the bowl after {steps} steps {loss:.3g}",
                name=name, steps=BOWL_STEPS, loss=float(loss[-1]))

    data = ctx.images
    model = mlp(data.image_shape, p.layers, p.units, p.nonlinearity(), classes=data.num_classes)
    start = model.get_weights()  # every rule starts from these very weights
    final, kept = {}, {}
    for name, (make, rate) in OPTIMIZERS.items():
        ctx.check_cancelled()
        model.set_weights(start)
        history = fit(model, make(p.learning_rate or rate), p, ctx, series=name)
        final[name] = history["loss"][-1]
        kept[name] = (model.get_weights(), history)
    if ctx.mine:
        from lessons.training.mine import optimizers_with

        optimizers_with(ctx.mine, ctx, p, start=start, keras_paths=paths, bowl_rates=BOWL_RATES,
                        rates={name: p.learning_rate or rate for name, (_, rate) in OPTIMIZERS.items()},
                        keras_losses={name: history["loss"] for name, (_, history) in kept.items()},
                        start_point=START, curvature=CURVATURE, steps=BOWL_STEPS)
    ctx.metric("final_train_loss", final)
    best = min(final, key=final.get)
    ctx.metric("best_optimizer", best)
    weights, history = kept[best]
    model.set_weights(weights)
    for split, accuracy in split_accuracies(model, ctx).items():
        ctx.metric(split, accuracy)
    for name, loss in final.items():
        ctx.log("{name}: final training loss after {epochs} epochs {loss:.4f}",
                name=name, epochs=p.epochs, loss=float(loss))
    ctx.log("kept: {best}, the lowest final training loss", best=best)
    ctx.save(model, variant=p.experiment, history=history)
