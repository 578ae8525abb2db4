"""ResNets (He et al., 2015): the CIFAR design of section 4.2 and the ImageNet design of
Table 1, each with its plain twin (the same layers without shortcuts)."""

from __future__ import annotations

import keras
from keras import layers

from lessons.backbone import top_or_pooling
from lessons.resnet.blocks import BLOCKS, conv_bn
from lessons.resnet.depths import cifar_blocks_per_stage, imagenet_stages

CIFAR_FILTERS = (16, 32, 64)
IMAGENET_FILTERS = (64, 128, 256, 512)


def _stages(x, filters: tuple[int, ...], blocks: tuple[int, ...], block: str, shortcut: bool,
            width: float, first_stride: int):
    build = BLOCKS[block]
    for stage, (stage_filters, count) in enumerate(zip(filters, blocks), start=1):
        for i in range(1, count + 1):
            strides = (first_stride if stage == 1 else 2) if i == 1 else 1
            x = build(x, max(1, round(stage_filters * width)), strides, shortcut,
                      name=f"stage{stage}_block{i}")
    return x


def _top(classes: int):
    """The classifier both designs end in: global average pooling, one softmax layer."""
    def top(x):
        x = layers.GlobalAveragePooling2D(name="global_avg_pool")(x)
        return layers.Dense(classes, activation="softmax", dtype="float32", name="predictions")(x)
    return top


def cifar_resnet(depth: int = 20, block: str = "basic", shortcut: bool = True,
                 input_shape=(32, 32, 3), classes: int = 10, width: float = 1.0, *,
                 include_top: bool = True, pooling: str | None = None) -> keras.Model:
    """3x3 conv (16), three stages of n blocks at 16, 32, 64 filters (32x32, 16x16, 8x8),
    global average pooling, one softmax layer: 6n+2 layers with basic blocks.
    The pooling and softmax are the top; `include_top=False` ends at the last block."""
    n = cifar_blocks_per_stage(depth, block)
    image = keras.Input(input_shape, name="image")
    x = layers.Activation("relu", name="stem_relu")(conv_bn(image, max(1, round(16 * width)), 3, name="stem"))
    x = _stages(x, CIFAR_FILTERS, (n,) * 3, block, shortcut, width, first_stride=1)
    kind = "resnet" if shortcut else "plain"
    return keras.Model(image, top_or_pooling(x, include_top, pooling, _top(classes)),
                       name=f"{kind}{depth}" + ("" if block == "basic" else "_bottleneck"))


def imagenet_resnet(depth: int = 50, shortcut: bool = True, input_shape=(224, 224, 3),
                    classes: int = 1000, width: float = 1.0, *, include_top: bool = True,
                    pooling: str | None = None) -> keras.Model:
    """7x7/2 conv (64), 3x3/2 max pool, four stages at 64, 128, 256, 512 filters (56 down to
    7 pixels), global average pooling, 1000-way softmax.
    The pooling and softmax are the top; `include_top=False` ends at the last block."""
    block, blocks = imagenet_stages(depth)
    image = keras.Input(input_shape, name="image")
    x = layers.Activation("relu", name="stem_relu")(conv_bn(image, max(1, round(64 * width)), 7, 2, name="stem"))
    x = layers.MaxPooling2D(3, 2, padding="same", name="stem_pool")(x)
    x = _stages(x, IMAGENET_FILTERS, blocks, block, shortcut, width, first_stride=1)
    kind = "resnet" if shortcut else "plain"
    return keras.Model(image, top_or_pooling(x, include_top, pooling, _top(classes)), name=f"{kind}{depth}")
