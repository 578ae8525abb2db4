"""What the residual lesson measures besides accuracy: the gradient reaching each
convolution, and that a block whose residual branch is zero passes its input through."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from lessons.resnet import blocks


def conv_layers(model) -> list:
    """The convolutions on the main path, first to last (shortcut projections excluded)."""
    return [layer for layer in model.layers
            if isinstance(layer, keras.layers.Conv2D) and "_projection" not in layer.name]


class GradientProbe(keras.callbacks.Callback):
    """The gradient norm reaching each convolution's kernel on a fixed batch, before
    training and after every epoch (added to the epoch's logs as `grad_norm_first_conv`).

    `stages` follows the gradient where it enters each part of the net, from the first
    convolution to the last: the stem, the first convolution of every stage, the last one.
    """

    def __init__(self, probe):
        super().__init__()
        self.x, self.y = probe
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
        logs["grad_norm_first_conv"] = self.stages["stem"][-1]


def identity_error(seed: int) -> float:
    """Zero a basic block's residual weights (both convs, and the last BN's scale and
    shift, so F(x) is exactly 0): the largest |block(x) - relu(x)| on random input."""
    x = keras.Input((8, 8, 16))
    model = keras.Model(x, blocks.basic_block(x, 16, name="demo"))
    for layer in blocks.residual_branch(model, "demo"):
        layer.set_weights([np.zeros_like(w) if _is_residual_weight(layer, w_var) else w
                           for w, w_var in zip(layer.get_weights(), layer.weights)])
    inputs = np.random.default_rng(seed).normal(size=(4, 8, 8, 16)).astype("float32")
    return float(np.max(np.abs(model(inputs, training=False).numpy() - np.maximum(inputs, 0))))


def _is_residual_weight(layer, variable) -> bool:
    """Kernels, and gamma/beta of the BN that closes the branch; moving statistics stay."""
    if isinstance(layer, keras.layers.Conv2D):
        return True
    return variable.path.endswith(("gamma", "beta")) and layer.name.endswith("_2_bn")
