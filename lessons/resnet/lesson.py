"""Lesson 4: residual networks.

He et al. saw a 56-layer plain network end with a higher *training* error than a 20-layer
one: not overfitting, but a deeper net that is harder to optimise. Their fix lets each
block learn a residual F(x) = H(x) - x and add x back. The lesson trains the two twins
(same layers, same starting weights, with and without the shortcuts) on the same data,
watches the gradient that reaches each stage, and checks that a block with its residual
weights at zero is the identity.
"""

from __future__ import annotations

import math

import keras
import tensorflow as tf

from lessons.common import make_optimizer, random_shifter, resizer, split_accuracies
from lessons.resnet import ResnetSettings
from lessons.resnet.depths import resolve_block
from lessons.resnet.diagnostics import GradientProbe, identity_error
from lessons.resnet.networks import cifar_resnet, imagenet_resnet
from lessons.resnet.schedules import WEIGHT_DECAY

CIFAR_INPUT, IMAGENET_INPUT = 32, 64  # digits are upsampled to this
PROBE_SIZE = 64


def build(p: ResnetSettings, shape, classes: int, shortcut: bool) -> keras.Model:
    if p.family == "imagenet":
        return imagenet_resnet(p.depth, shortcut, shape, classes, p.width)
    return cifar_resnet(p.depth, resolve_block("cifar", p.depth, p.block), shortcut, shape,
                        classes, p.width)


def run(p: ResnetSettings, ctx) -> None:
    data = ctx.images
    size = data.image_shape[0] if data.image_shape[0] >= CIFAR_INPUT else (
        IMAGENET_INPUT if p.family == "imagenet" else CIFAR_INPUT)
    shape = (size, size, data.image_shape[-1])

    error = identity_error(ctx.seed)
    ctx.metric("identity_max_error", error)
    ctx.log("a basic block with its residual weights at zero: max |block(x) - relu(x)| = {error:g}",
            error=error)

    twins = p.twins()
    models = {twin: build(p, shape, data.num_classes, shortcut=twin == "residual") for twin in twins}
    if p.compare:
        copy_shared_weights(models["residual"], models["plain"])  # the very same starting weights
    probe = tf.image.resize(data.x_train[:PROBE_SIZE], (size, size)), data.y_train[:PROBE_SIZE]
    if p.compare:
        plain, residual = models["plain"], models["residual"]
        ctx.log("{plain} and {residual} at width {width:g} ({plain_params:,} and "
                "{residual_params:,} parameters); {dataset} at {size}x{size}",
                plain=plain.name, residual=residual.name, width=p.width,
                plain_params=plain.count_params(), residual_params=residual.count_params(),
                dataset=data.name, size=size)
    else:
        (model,) = models.values()
        ctx.log("{network} at width {width:g} ({params:,} parameters); {dataset} at {size}x{size}",
                network=model.name, width=p.width, params=model.count_params(), dataset=data.name,
                size=size)

    own_metrics, histories = {}, {}
    for twin in twins:
        probe_callback = GradientProbe(probe)
        histories[twin] = history = train(models[twin], p, ctx, size, twin, probe_callback)
        ctx.metric(f"{twin}_loss_per_epoch", history["loss"])
        ctx.metric(f"{twin}_accuracy_per_epoch", history["accuracy"])
        ctx.metric(f"{twin}_final_train_loss", history["loss"][-1])
        ctx.metric(f"{twin}_grad_norms", probe_callback.at_init)
        ctx.metric(f"{twin}_first_conv_grad_norm", probe_callback.stages["stem"])
        ctx.metric(f"{twin}_stage_grad_norms", probe_callback.stages)
        own_metrics[twin] = split_accuracies(models[twin], ctx, preprocess=resizer(size))
        for name, accuracy in own_metrics[twin].items():
            ctx.metric(name if twin == twins[-1] else f"{twin}_{name}", accuracy)

    # The lesson's point in one picture: how much gradient reaches each depth, per twin.
    norms = {twin: list(ctx.metrics[f"{twin}_grad_norms"].values()) for twin in twins}
    ctx.chart("gradient norm reaching each convolution, at initialisation",
              "convolution, from the input (1) to the output", range(1, len(norms[twins[0]]) + 1),
              norms, log_y=True)
    if p.compare:
        report_comparison(ctx)
    for twin in sorted(twins, key=lambda t: t != "residual"):  # in the order p.saves() declares
        # Each file carries its own net's accuracies and history (the run's metrics compare).
        ctx.save(models[twin], variant=p.variant(twin), history=histories[twin],
                 metrics={**ctx.metrics, **own_metrics[twin]})


def train(model, p: ResnetSettings, ctx, size: int, twin: str, probe_callback) -> dict:
    """Fit one twin with the schedule's optimizer, steps and augmentation; its history."""
    schedule = p.preset()
    data = ctx.images
    learning_rate = step_schedule(p, math.ceil(len(data.x_train) / ctx.global_batch(p.batch_size)))
    if schedule.sgd:
        add_weight_decay(model, WEIGHT_DECAY)
        optimizer = make_optimizer("sgd_momentum", learning_rate)
    else:
        optimizer = make_optimizer("adam", learning_rate)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    # A mirrored digit is another symbol; a mirrored cat is still a cat.
    shifted = random_shifter(size, schedule.pad, flips=schedule.flips and ctx.dataset == "cifar10")
    fit = model.fit(ctx.batches(data.x_train, data.y_train, p.batch_size, shuffle=True,
                                preprocess=resizer(size), augment=shifted),
                    epochs=p.epochs, verbose=0,
                    callbacks=[probe_callback, *ctx.callbacks(f"train {twin}", series=twin)])
    return fit.history


def step_schedule(p: ResnetSettings, steps_per_epoch: int):
    """The learning rate, divided by 10 at each of the schedule's drops (a fraction of the
    epochs), as a Keras schedule over optimizer steps; a constant without drops."""
    drops = [round(f * p.epochs) for f in p.preset().drops_at]
    if not drops:
        return p.learning_rate
    # PiecewiseConstantDecay keeps values[i] up to and including boundaries[i]: a boundary
    # is the last step of the epoch before the drop.
    return keras.optimizers.schedules.PiecewiseConstantDecay(
        [d * steps_per_epoch - 1 for d in drops],
        [p.learning_rate * 0.1 ** i for i in range(len(drops) + 1)])


def add_weight_decay(model, decay: float) -> None:
    """The paper's weight decay: decay * w added to every kernel's gradient, before momentum
    (Caffe's and Torch's meaning). Keras' `SGD(weight_decay=...)` instead shrinks w after
    the step, outside momentum, which with momentum 0.9 is about 10x weaker. An L2 penalty
    of decay/2 * sum(w^2) has exactly the gradient decay * w; training only, not saved."""
    for layer in model.layers:
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)):
            layer.kernel.regularizer = keras.regularizers.L2(decay / 2)


def copy_shared_weights(source: keras.Model, target: keras.Model) -> None:
    """Give `target` the weights of every layer it shares by name with `source`."""
    for layer in target.layers:
        if layer.weights:
            layer.set_weights(source.get_layer(layer.name).get_weights())


def report_comparison(ctx) -> None:
    m = ctx.metrics
    rows = zip(m["plain_loss_per_epoch"], m["plain_accuracy_per_epoch"], m["plain_first_conv_grad_norm"][1:],
               m["residual_loss_per_epoch"], m["residual_accuracy_per_epoch"],
               m["residual_first_conv_grad_norm"][1:])
    # The rows are numbers only, the same in every language; the heading is the message.
    table = "\n".join(f"{i:>5}   {pl:>11.4f}  {pa:.3f}  {pg:>9.3g}   {rl:>14.4f}  {ra:.3f}  {rg:>9.3g}"
                      for i, (pl, pa, pg, rl, ra, rg) in enumerate(rows, 1))
    ctx.log("epoch   plain: loss  acc    grad@stem   residual: loss  acc    grad@stem\n{rows}",
            rows=table)
    plain_grads, residual_grads = m["plain_grad_norms"], m["residual_grad_norms"]
    first, last = next(iter(residual_grads)), next(reversed(residual_grads))
    ctx.log("gradient norm at initialisation, first conv ({first}) / last conv ({last}): "
            "plain {plain_first:.3g} / {plain_last:.3g}, residual {residual_first:.3g} / "
            "{residual_last:.3g}",
            first=first, last=last, plain_first=plain_grads[first], plain_last=plain_grads[last],
            residual_first=residual_grads[first], residual_last=residual_grads[last])
    better = "residual" if m["residual_final_train_loss"] < m["plain_final_train_loss"] else "plain"
    ctx.metric("trained_better", better)
    ctx.log("the {better} net trained better: final training loss plain {plain:.4f}, residual "
            "{residual:.4f}",
            better=better, plain=m["plain_final_train_loss"], residual=m["residual_final_train_loss"])
