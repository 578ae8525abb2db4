"""Experiment `batchnorm`: the same deep net with and without BatchNormalization, where a
plain net struggles: weights started far too small, and a learning rate too large.

BN normalises each unit over the batch, then scales and shifts it by two learned
numbers, so the next layer sees a unit-scale signal whatever the weights did to it. In
training it uses the batch's own mean and variance; at inference the moving averages
collected during training, so one image's answer does not depend on its batch-mates.

With `--mine`, the learner's batchnorm_forward and batchnorm_backward are compared with
the trained net's first BN layer, then used to train the bad-init net in NumPy
(lessons/training/mine.py).
"""

from __future__ import annotations

import keras
import numpy as np

from lessons.common import split_accuracies
from lessons.training.nets import fit, mlp

BAD_STD = 0.01  # with 8 ReLU layers the signal shrinks about 100-fold per layer
HIGH_RATE_FACTOR = 20  # the high learning rate, over the experiment's


def run(p, ctx) -> None:
    data, activation = ctx.images, p.nonlinearity()
    high = p.learning_rate * HIGH_RATE_FACTOR
    cases = {
        "bad init": (keras.initializers.RandomNormal(stddev=BAD_STD), p.learning_rate),
        f"lr {high:g}": (keras.initializers.HeNormal(), high),
    }
    final, models, starts = {}, {}, {}
    for case, (start, rate) in cases.items():
        for batchnorm in (False, True):
            ctx.check_cancelled()
            name = f"{case} + BN" if batchnorm else case
            model = mlp(data.image_shape, p.layers, p.units, activation, initializer=start,
                        batchnorm=batchnorm, classes=data.num_classes)
            starts[name] = model.get_weights()  # where --mine starts the learner's twin
            history = fit(model, keras.optimizers.SGD(rate, momentum=0.9), p, ctx, series=name,
                          divergence_fails=False)
            loss = history["loss"][-1]
            final[name] = float(loss) if np.isfinite(loss) else "diverged"
            models[name] = (model, history)
            if np.isfinite(loss):
                ctx.log("{name}: final training loss {loss:.4g}", name=name, loss=float(loss))
            else:
                ctx.log("{name}: final training loss NaN: it diverged, and the fit stopped",
                        name=name)
    ctx.metric("final_train_loss", final)
    ctx.metric("bn_gain_at_bad_init", _ratio(final["bad init"], final["bad init + BN"]))
    ctx.metric("bn_gain_at_high_lr", _ratio(final[f"lr {high:g}"], final[f"lr {high:g} + BN"]))
    model, history = models["bad init + BN"]
    train_vs_inference(ctx, model, data.x_train[:p.batch_size])
    for split, accuracy in split_accuracies(model, ctx).items():
        ctx.metric(split, accuracy)
    if ctx.mine:
        from lessons.training.mine import batchnorm_with

        batchnorm_with(ctx.mine, ctx, p, model, starts["bad init + BN"],
                       {name: models[name][1]["loss"] for name in ("bad init", "bad init + BN")})
    ctx.save(model, variant=p.experiment, history=history)


def _ratio(plain, normalised) -> float | str:
    """Without over with BN, or which of them diverged."""
    if "diverged" in (plain, normalised):
        return "BN diverged" if normalised == "diverged" else "only the plain net diverged"
    return plain / normalised


def train_vs_inference(ctx, model, batch) -> None:
    """The first BN layer on one batch: in training mode each unit leaves with the batch's
    statistics removed (mean exactly beta); at inference the moving averages are used."""
    dense, bn = model.get_layer("dense1"), model.get_layer("bn1")
    probe = keras.Model(model.input, [dense.output, bn.output])
    before, training = (keras.ops.convert_to_numpy(t) for t in probe(batch, training=True))
    _, inference = (keras.ops.convert_to_numpy(t) for t in probe(batch, training=False))
    beta, gamma = (keras.ops.convert_to_numpy(w) for w in (bn.beta, bn.gamma))
    ctx.metric("bn_training_mean_minus_beta", float(np.max(np.abs(training.mean(axis=0) - beta))))
    ctx.metric("bn_training_std_over_gamma", float(np.median(training.std(axis=0) / np.abs(gamma))))
    ctx.metric("bn_batch_mean_vs_moving_mean",
               float(np.max(np.abs(before.mean(axis=0) - keras.ops.convert_to_numpy(bn.moving_mean)))))
    ctx.metric("bn_modes_max_difference", float(np.max(np.abs(training - inference))))
    ctx.log("BN on one batch: training mode leaves each unit with mean beta and spread gamma; "
            "inference uses the moving averages, which differ from this batch's mean by up to "
            "{mean_gap:.3g}, so the outputs differ by up to {modes_gap:.3g}",
            mean_gap=ctx.metrics["bn_batch_mean_vs_moving_mean"],
            modes_gap=ctx.metrics["bn_modes_max_difference"])
