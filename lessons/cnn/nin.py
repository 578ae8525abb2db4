"""Network in Network (Lin, Chen and Yan, 2013): a tiny MLP slid over the image.

An "mlpconv" block is a spatial convolution followed by two 1x1 convolutions: at every
position, a small fully connected network over the channels. Those 1x1 layers are the
ancestors of GoogLeNet's and ResNet's bottlenecks. The last block makes one map per
class and global average pooling turns each map into that class's score: no fully
connected layers, so no FC parameters at all.
"""

from __future__ import annotations

import keras
from keras import layers

from lessons.backbone import top_or_pooling
from lessons.cnn.layers import conv, max_pool, scaled


def mlpconv(x, filters: int, size: int, strides: int, padding: str, block: int, last: bool = True):
    """The spatial convolution and two 1x1 ones; `last=False` stops after the first 1x1."""
    x = conv(x, filters, size, strides, padding=padding, name=f"mlpconv{block}_conv{size}x{size}")
    x = conv(x, filters, 1, name=f"mlpconv{block}_1x1a")
    return conv(x, filters, 1, name=f"mlpconv{block}_1x1b") if last else x


def nin(input_shape=(224, 224, 3), classes: int = 1000, width: float = 1.0, *,
        include_top: bool = True, pooling: str | None = None) -> keras.Model:
    """The ImageNet model: four mlpconv blocks (96, 256, 384, 1024 filters), the last
    one ending in `classes` linear maps, then global average pooling and softmax.
    Those class maps are the top: `include_top=False` ends at mlpconv4's first 1x1."""
    w = width
    image = keras.Input(input_shape, name="image")
    x = mlpconv(image, scaled(96, w), 11, 4, "valid", block=1)
    x = max_pool(x, 3, 2, name="pool1")
    x = mlpconv(x, scaled(256, w), 5, 1, "same", block=2)
    x = max_pool(x, 3, 2, name="pool2")
    x = mlpconv(x, scaled(384, w), 3, 1, "same", block=3)
    x = max_pool(x, 3, 2, name="pool3")
    x = layers.Dropout(0.5, name="drop3")(x)
    x = mlpconv(x, scaled(1024, w), 3, 1, "same", block=4, last=False)

    def top(x):
        # The paper puts a ReLU on the class maps too; then a map that goes all-negative
        # early is zero for good, its class is never predicted again (test accuracy stuck
        # near 0.9 on ten classes). Linear maps, as most reimplementations use, cannot die.
        x = conv(x, classes, 1, activation=None, name="mlpconv4_1x1b")
        x = layers.GlobalAveragePooling2D(name="global_avg_pool")(x)
        return layers.Activation("softmax", dtype="float32", name="predictions")(x)

    return keras.Model(image, top_or_pooling(x, include_top, pooling, top), name="nin")
