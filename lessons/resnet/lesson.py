"""Lesson 4: residual networks.

He et al. saw a 56-layer plain network end with a higher *training* error than a 20-layer
one: not overfitting, but a deeper net that is harder to optimise. Their fix lets each
block learn a residual F(x) = H(x) - x and add x back. The lesson trains the two twins
(same layers, same starting weights, with and without the shortcuts) on the same data,
watches the gradient that reaches each stage, and checks that a block with its residual
weights at zero is the identity.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from lessons.resnet import blocks
from lessons.resnet.depths import resolve_block
from lessons.resnet.networks import cifar_resnet, imagenet_resnet
from lessons.training import make_optimizer, random_shifter, resizer

CIFAR_INPUT, IMAGENET_INPUT = 32, 64  # digits are upsampled to this
PROBE_SIZE = 64


@dataclass(frozen=True)
class Schedule:
    """What width/epochs/batch_size/learning_rate = 0 mean, and how training runs."""

    width: float
    epochs: int
    batch_size: int
    learning_rate: float
    sgd: bool  # SGD with momentum 0.9 and weight decay 1e-4 (else Adam)
    drops_at: tuple[float, ...]  # fractions of training where the learning rate is divided by 10
    pad: int  # random shifts of up to this many pixels (0: a tenth of the image)
    flips: bool  # mirror images at random (never for digits: a mirrored digit is another symbol)


SCHEDULES = {
    "quick": Schedule(0.5, 12, 64, 0.001, sgd=False, drops_at=(), pad=0, flips=False),
    # Section 4.2 of He et al.: 64k iterations of 128, divided by 10 at 32k and 48k.
    "paper": Schedule(1.0, 182, 128, 0.1, sgd=True, drops_at=(0.5, 0.75), pad=4, flips=True),
}
WEIGHT_DECAY = 1e-4  # the paper's 0.0001


def settings(p: dict) -> dict:
    """The parameters with every 0 replaced by the chosen schedule's value."""
    schedule = SCHEDULES[p["schedule"]]
    return {**p, **{name: p[name] or getattr(schedule, name)
                    for name in ("width", "epochs", "batch_size", "learning_rate")}}


def build(p: dict, shape, classes: int, shortcut: bool) -> keras.Model:
    if p["family"] == "imagenet":
        return imagenet_resnet(p["depth"], shortcut, shape, classes, p["width"])
    block = resolve_block("cifar", p["depth"], p["block"])
    return cifar_resnet(p["depth"], block, shortcut, shape, classes, p["width"])


def run(p: dict, ctx) -> None:
    p = settings(p)
    data = ctx.images
    size = data.image_shape[0] if data.image_shape[0] >= CIFAR_INPUT else (
        IMAGENET_INPUT if p["family"] == "imagenet" else CIFAR_INPUT)
    shape = (size, size, data.image_shape[-1])

    ctx.metric("identity_max_error", identity_demo(ctx))

    twins = ("plain", "residual") if p["compare"] else (("residual",) if p["shortcut"] else ("plain",))
    models = {twin: build(p, shape, data.num_classes, shortcut=twin == "residual") for twin in twins}
    if p["compare"]:
        copy_shared_weights(models["residual"], models["plain"])  # the very same starting weights
    probe = tf.image.resize(data.x_train[:PROBE_SIZE], (size, size)), data.y_train[:PROBE_SIZE]
    ctx.log(f"{' and '.join(m.name for m in models.values())} at width {p['width']:g} "
            f"({', '.join(f'{m.count_params():,}' for m in models.values())} parameters); "
            f"{data.name} at {size}x{size}")

    own_metrics, own_history = {}, {}
    for twin in twins:
        model = models[twin]
        probe_callback = GradientProbe(probe)
        first_epoch = len(ctx.history)
        train(model, p, ctx, size, twin, probe_callback)
        own_history[twin] = ctx.history[first_epoch:]
        ctx.metric(f"{twin}_loss_per_epoch", probe_callback.losses)
        ctx.metric(f"{twin}_accuracy_per_epoch", probe_callback.accuracies)
        ctx.metric(f"{twin}_final_train_loss", probe_callback.losses[-1])
        ctx.metric(f"{twin}_grad_norms", probe_callback.at_init)
        ctx.metric(f"{twin}_first_conv_grad_norm", probe_callback.stages["stem"])
        ctx.metric(f"{twin}_stage_grad_norms", probe_callback.stages)
        own_metrics[twin] = {}
        for split, x, y in (("train", data.x_train, data.y_train), ("val", data.x_val, data.y_val),
                            ("test", data.x_test, data.y_test)):
            scores = model.predict(ctx.batches(x, y, 256, preprocess=resizer(size)), verbose=0)
            accuracy = float(np.mean(np.argmax(scores, axis=1) == y))
            own_metrics[twin][f"{split}_accuracy"] = accuracy
            ctx.metric(f"{split}_accuracy" if twin == twins[-1] else f"{twin}_{split}_accuracy", accuracy)

    if p["compare"]:
        report_comparison(ctx)
    used = {name: p[name] for name in ("width", "epochs", "batch_size", "learning_rate")}
    for twin in sorted(twins, key=lambda t: t != "residual"):  # the residual net is the result
        # Each file carries its own net's accuracies and history (the run's metrics compare).
        ctx.save(models[twin], variant=variant(p, twin), metrics={**ctx.metrics, **own_metrics[twin]},
                 history=own_history[twin], settings=used)


def variant(p: dict, twin: str) -> str:
    """resnet-20, resnet-20-plain, resnet-29-bottleneck, resnet-50-imagenet: one name per network."""
    name = str(p["depth"])
    if p["family"] == "imagenet":
        name += "-imagenet"
    elif resolve_block("cifar", p["depth"], p["block"]) == "bottleneck":
        name += "-bottleneck"
    return name + ("-plain" if twin == "plain" else "")


def train(model, p: dict, ctx, size: int, twin: str, probe_callback) -> None:
    schedule = SCHEDULES[p["schedule"]]
    if schedule.sgd:
        add_weight_decay(model, WEIGHT_DECAY)
        optimizer = make_optimizer("sgd_momentum", p["learning_rate"])
    else:
        optimizer = make_optimizer("adam", p["learning_rate"])
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    # A mirrored digit is another symbol; a mirrored cat is still a cat.
    shifted = random_shifter(size, schedule.pad, flips=schedule.flips and ctx.dataset == "cifar10")

    callbacks = [probe_callback, ctx.keras_callback(stage=f"train {twin}")]
    if schedule.drops_at:
        drops = [round(f * p["epochs"]) for f in schedule.drops_at]
        callbacks.append(keras.callbacks.LearningRateScheduler(
            lambda epoch, lr: p["learning_rate"] * 0.1 ** sum(epoch >= d for d in drops)))
    data = ctx.images
    model.fit(ctx.batches(data.x_train, data.y_train, p["batch_size"], shuffle=True,
                          preprocess=resizer(size), augment=shifted),
              epochs=p["epochs"], verbose=0, callbacks=callbacks)


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


def conv_layers(model) -> list:
    """The convolutions on the main path, first to last (shortcut projections excluded)."""
    return [layer for layer in model.layers
            if isinstance(layer, keras.layers.Conv2D) and "_projection" not in layer.name]


class GradientProbe(keras.callbacks.Callback):
    """The gradient norm reaching each convolution's kernel on a fixed batch, before
    training and after every epoch, plus each epoch's training loss and accuracy.

    `stages` follows the gradient where it enters each part of the net, from the first
    convolution to the last: the stem, the first convolution of every stage, the last one.
    """

    def __init__(self, probe):
        super().__init__()
        self.x, self.y = probe
        self.losses, self.accuracies = [], []
        self.stages: dict[str, list[float]] = {}
        self.at_init: dict[str, float] = {}

    def norms(self) -> dict[str, float]:
        convs = conv_layers(self.model)
        # A forward pass in training mode (batch statistics, as in a real step) also moves
        # BatchNorm's moving averages; put them back so that measuring changes nothing.
        frozen = [(v, v.numpy()) for v in self.model.non_trainable_variables]
        with tf.GradientTape() as tape:
            scores = self.model(self.x, training=True)
            loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(self.y, scores))
        grads = tape.gradient(loss, [layer.kernel for layer in convs])
        for variable, value in frozen:
            variable.assign(value)
        return {layer.name: float(tf.norm(g)) for layer, g in zip(convs, grads)}

    def _record(self) -> dict[str, float]:
        norms = self.norms()
        names = list(norms)
        entry = {"stem": names[0]}
        for name in names:
            stage = name.split("_")[0]
            if stage.startswith("stage"):
                entry.setdefault(stage, name)
        entry["last"] = names[-1]
        for label, name in entry.items():
            self.stages.setdefault(label, []).append(norms[name])
        return norms

    def on_train_begin(self, logs=None):
        self.at_init = self._record()

    def on_epoch_end(self, epoch, logs=None):
        self._record()
        self.losses.append(float(logs["loss"]))
        self.accuracies.append(float(logs["accuracy"]))
        logs["grad_norm_first_conv"] = self.stages["stem"][-1]


def report_comparison(ctx) -> None:
    m = ctx.metrics
    lines = ["epoch   plain: loss  acc    grad@stem   residual: loss  acc    grad@stem"]
    rows = zip(m["plain_loss_per_epoch"], m["plain_accuracy_per_epoch"], m["plain_first_conv_grad_norm"][1:],
               m["residual_loss_per_epoch"], m["residual_accuracy_per_epoch"],
               m["residual_first_conv_grad_norm"][1:])
    for i, (pl, pa, pg, rl, ra, rg) in enumerate(rows, 1):
        lines.append(f"{i:>5}   {pl:>11.4f}  {pa:.3f}  {pg:>9.3g}   {rl:>14.4f}  {ra:.3f}  {rg:>9.3g}")
    ctx.log("\n".join(lines))
    plain_grads, residual_grads = m["plain_grad_norms"], m["residual_grad_norms"]
    first, last = next(iter(residual_grads)), next(reversed(residual_grads))
    ctx.log(f"gradient norm at initialisation, first conv ({first}) / last conv ({last}): "
            f"plain {plain_grads[first]:.3g} / {plain_grads[last]:.3g}, "
            f"residual {residual_grads[first]:.3g} / {residual_grads[last]:.3g}")
    better = "residual" if m["residual_final_train_loss"] < m["plain_final_train_loss"] else "plain"
    ctx.metric("trained_better", better)
    ctx.log(f"the {better} net trained better: final training loss plain "
            f"{m['plain_final_train_loss']:.4f}, residual {m['residual_final_train_loss']:.4f}")


def identity_demo(ctx) -> float:
    """Zero a basic block's residual weights (both convs, and the last BN's scale and
    shift, so F(x) is exactly 0) and compare its output with relu(x)."""
    x = keras.Input((8, 8, 16))
    model = keras.Model(x, blocks.basic_block(x, 16, name="demo"))
    for layer in blocks.residual_branch(model, "demo"):
        layer.set_weights([np.zeros_like(w) if _is_residual_weight(layer, w_var) else w
                           for w, w_var in zip(layer.get_weights(), layer.weights)])
    inputs = np.random.default_rng(ctx.seed).normal(size=(4, 8, 8, 16)).astype("float32")
    error = float(np.max(np.abs(model(inputs, training=False).numpy() - np.maximum(inputs, 0))))
    ctx.log(f"a basic block with its residual weights at zero: max |block(x) - relu(x)| = {error:g}")
    return error


def _is_residual_weight(layer, variable) -> bool:
    """Kernels, and gamma/beta of the BN that closes the branch; moving statistics stay."""
    if isinstance(layer, keras.layers.Conv2D):
        return True
    return variable.path.endswith(("gamma", "beta")) and layer.name.endswith("_2_bn")
