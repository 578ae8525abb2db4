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

from lessons.cnn.layers import conv, max_pool, scaled


def mlpconv(x, filters: int, size: int, strides: int, padding: str, block: int,
            last_filters: int | None = None, last_activation: str | None = "relu"):
    x = conv(x, filters, size, strides, padding=padding, name=f"mlpconv{block}_conv{size}x{size}")
    x = conv(x, filters, 1, name=f"mlpconv{block}_1x1a")
    return conv(x, last_filters or filters, 1, activation=last_activation, name=f"mlpconv{block}_1x1b")


def nin(input_shape=(224, 224, 3), classes: int = 1000, width: float = 1.0) -> keras.Model:
    """The ImageNet model: four mlpconv blocks (96, 256, 384, 1024 filters), the last
    one ending in `classes` linear maps, then global average pooling and softmax."""
    w = width
    image = keras.Input(input_shape, name="image")
    x = mlpconv(image, scaled(96, w), 11, 4, "valid", block=1)
    x = max_pool(x, 3, 2, name="pool1")
    x = mlpconv(x, scaled(256, w), 5, 1, "same", block=2)
    x = max_pool(x, 3, 2, name="pool2")
    x = mlpconv(x, scaled(384, w), 3, 1, "same", block=3)
    x = max_pool(x, 3, 2, name="pool3")
    x = layers.Dropout(0.5, name="drop3")(x)
    # The paper puts a ReLU on the class maps too; then a map that goes all-negative early
    # is zero for good, its class is never predicted again (test accuracy stuck near 0.9 on
    # ten classes). Linear maps, as most reimplementations use, cannot die.
    x = mlpconv(x, scaled(1024, w), 3, 1, "same", block=4, last_filters=classes, last_activation=None)
    x = layers.GlobalAveragePooling2D(name="global_avg_pool")(x)
    scores = layers.Activation("softmax", dtype="float32", name="predictions")(x)
    return keras.Model(image, scores, name="nin")
