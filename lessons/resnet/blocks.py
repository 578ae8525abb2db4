"""The residual block, in its two shapes, and its plain twin.

A block computes y = relu(F(x) + x): the layers learn the residual F(x) = H(x) - x,
not the whole mapping H(x). Set every weight of F to zero and the block passes its
input through (relu(x), which is x for the non-negative output of an earlier block).
With `shortcut=False` the same layers, without the addition, form the "plain" net the
paper compares against. When a block halves the size and doubles the filters, the
shortcut is a 1x1 convolution with stride 2 (a "projection", the paper's option B).
"""

from __future__ import annotations

from keras import layers

# Convolutions carry no bias: the BatchNormalization after each adds its own shift.
_CONV = {"use_bias": False, "kernel_initializer": "he_normal"}
# Keras' default momentum (0.99) leaves a quarter of the initial statistics in the moving
# averages after 136 steps, and a short run then scores far worse at test time than it
# trained; 0.9 (Torch's choice, where ResNet was first trained) settles within ~50 steps.
BN_MOMENTUM = 0.9
BOTTLENECK_EXPANSION = 4  # a bottleneck block's output has 4x the filters of its 3x3 conv


def conv_bn(x, filters: int, size: int, strides: int = 1, name: str = ""):
    x = layers.Conv2D(filters, size, strides=strides, padding="same", name=f"{name}_conv", **_CONV)(x)
    return layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"{name}_bn")(x)


def _join(x, residual, out_filters: int, strides: int, shortcut: bool, name: str):
    """relu(residual + shortcut(x)), or relu(residual) for the plain twin."""
    if shortcut:
        if strides != 1 or x.shape[-1] != out_filters:
            x = conv_bn(x, out_filters, 1, strides, name=f"{name}_projection")
        residual = layers.Add(name=f"{name}_add")([residual, x])
    return layers.Activation("relu", name=f"{name}_out")(residual)


def basic_block(x, filters: int, strides: int = 1, shortcut: bool = True, name: str = "block"):
    """3x3 conv, BN, ReLU, 3x3 conv, BN, (+ x), ReLU."""
    y = layers.Activation("relu", name=f"{name}_relu1")(conv_bn(x, filters, 3, strides, name=f"{name}_1"))
    y = conv_bn(y, filters, 3, name=f"{name}_2")
    return _join(x, y, filters, strides, shortcut, name)


def bottleneck_block(x, filters: int, strides: int = 1, shortcut: bool = True, name: str = "block"):
    """1x1 conv down to `filters`, 3x3 conv, 1x1 conv up to 4 x `filters`: the 3x3
    convolution, the costly one, works on a quarter of the channels."""
    y = layers.Activation("relu", name=f"{name}_relu1")(conv_bn(x, filters, 1, strides, name=f"{name}_1"))
    y = layers.Activation("relu", name=f"{name}_relu2")(conv_bn(y, filters, 3, name=f"{name}_2"))
    y = conv_bn(y, filters * BOTTLENECK_EXPANSION, 1, name=f"{name}_3")
    return _join(x, y, filters * BOTTLENECK_EXPANSION, strides, shortcut, name)


BLOCKS = {"basic": basic_block, "bottleneck": bottleneck_block}


def residual_branch(model, block_name: str) -> list:
    """The layers of F(x) in a block (not its shortcut projection)."""
    return [layer for layer in model.layers
            if layer.name.startswith(f"{block_name}_") and "_projection" not in layer.name
            and layer.weights]
