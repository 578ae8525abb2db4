"""Experiment `activations`: sigmoid, tanh, ReLU, leaky ReLU and ELU in the same net.

Sigmoid and tanh flatten out at both ends: a unit pushed there passes almost no gradient
(saturated). A ReLU passes none when its input is negative for every example: a unit
that a large update sends there never recovers (dead). The experiment counts both, per
layer, after every epoch, then trains the ReLU net again with a learning rate far too
large and counts the dead units it leaves.
"""

from __future__ import annotations

import keras
import numpy as np

from lessons.common import split_accuracies
from lessons.training.nets import activations_model, fit, mlp

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu")
PROBE = 512  # training images every count is made on
HIGH_RATE_FACTOR = 4  # 0.2 with momentum 0.9: large updates, yet no NaN to hide behind


def flat_share(name: str, a: np.ndarray) -> np.ndarray:
    """Per unit: the share of inputs where the unit sits where its slope is (nearly) flat:
    sigmoid and tanh at either end (slope under 4% of its peak), the ReLU family on its
    negative side (ReLU's slope there is 0; leaky ReLU's 0.01, ELU's fading)."""
    if name == "sigmoid":
        return np.mean((a < 0.04) | (a > 0.96), axis=0)
    if name == "tanh":
        return np.mean(np.abs(a) > 0.98, axis=0)
    return np.mean(a <= 0, axis=0)


class UnitCensus(keras.callbacks.Callback):
    """After each epoch, per hidden layer: the share of activations on a flat part, and
    for ReLU the share of dead units (off for every probe input: no gradient ever
    reaches their weights again); the means go into the epoch's logs."""

    def __init__(self, name: str, probe):
        super().__init__()
        self.name, self.probe = name, probe
        self.flat: list[list[float]] = []
        self.dead: list[list[float]] = []

    def count(self) -> None:
        outputs = activations_model(self.model)(self.probe)
        per_layer = [flat_share(self.name, keras.ops.convert_to_numpy(a)) for a in outputs]
        self.flat.append([float(s.mean()) for s in per_layer])
        if self.name == "relu":  # only a plain ReLU can die: the others pass some gradient
            self.dead.append([float(np.mean(s == 1.0)) for s in per_layer])

    def on_epoch_end(self, epoch, logs=None):
        self.count()
        logs["flat_fraction"] = float(np.mean(self.flat[-1]))
        if self.dead:
            logs["dead_fraction"] = float(np.mean(self.dead[-1]))


def run(p, ctx) -> None:
    data = ctx.images
    probe = data.x_train[:PROBE]
    final, census, kept = {}, {}, {}
    for name in ACTIVATIONS:
        ctx.check_cancelled()
        start = "he_normal" if "elu" in name or "relu" in name else "glorot_normal"
        model = mlp(data.image_shape, p.layers, p.units, name, initializer=start,
                    classes=data.num_classes)
        census[name] = UnitCensus(name, probe)
        history = fit(model, keras.optimizers.SGD(p.learning_rate, momentum=0.9), p, ctx,
                      series=name, callbacks=[census[name]])
        final[name] = history["val_accuracy"][-1]
        kept[name] = (model, history)
    ctx.metric("final_val_accuracy", final)
    ctx.metric("flat_share_by_layer", {name: c.flat[-1] for name, c in census.items()})
    ctx.metric("dead_relu_by_layer", census["relu"].dead[-1])
    ctx.metric("dead_relu_fraction", float(np.mean(census["relu"].dead[-1])))

    high = p.learning_rate * HIGH_RATE_FACTOR
    ctx.check_cancelled()
    model = mlp(data.image_shape, p.layers, p.units, "relu", initializer="he_normal",
                classes=data.num_classes)
    reckless = UnitCensus("relu", probe)
    fit(model, keras.optimizers.SGD(high, momentum=0.9), p, ctx, series=f"relu, lr {high:g}",
        callbacks=[reckless], divergence_fails=False)
    reckless.count()  # a fit stopped at a NaN still leaves its units to count
    ctx.metric("dead_relu_fraction_high_lr", float(np.mean(reckless.dead[-1])))
    ctx.metric("dead_relu_by_layer_high_lr", reckless.dead[-1])
    ctx.chart("dead ReLUs by layer: learning rate "
              f"{p.learning_rate:g} vs {high:g}", "layer", range(1, p.layers + 1),
              {f"lr {p.learning_rate:g}": census["relu"].dead[-1], f"lr {high:g}": reckless.dead[-1]})
    for name, accuracy in final.items():
        ctx.log("{name}: final validation accuracy {accuracy:.3f}", name=name, accuracy=accuracy)
    ctx.log("dead ReLUs at lr {rate:g}: {dead:.2f}, at lr {high:g}: {dead_high:.2f}",
            rate=p.learning_rate, dead=ctx.metrics["dead_relu_fraction"], high=high,
            dead_high=ctx.metrics["dead_relu_fraction_high_lr"])
    model, history = kept["relu"]
    for split, accuracy in split_accuracies(model, ctx).items():
        ctx.metric(split, accuracy)
    ctx.save(model, variant=p.experiment, history=history)
