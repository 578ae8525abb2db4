"""f(x) = Wx + b: the score function of every linear classifier."""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

# CS231n starts W at 0.001 * randn: small enough that every class scores about the same,
# which is what the initial-loss sanity check relies on.
INITIAL_WEIGHT_STD = 0.001


def build_linear(image_shape, num_classes: int, mean_image: np.ndarray, reg: float) -> keras.Model:
    """image -> flatten -> subtract the training set's mean image -> W x + b (class scores).

    The L2 penalty reg * sum(W^2) applies to W only: the bias does not interact with the
    data, so shrinking it buys no smoothness.
    """
    image = keras.Input(shape=tuple(image_shape), name="image")
    x = layers.Flatten(name="flatten")(image)
    mean = np.asarray(mean_image, "float32").reshape(-1)
    x = layers.Normalization(mean=mean, variance=np.ones_like(mean), name="subtract_mean_image")(x)
    # dtype="float32": under mixed precision the scores, and so the loss, stay in float32.
    scores = layers.Dense(
        num_classes, name="scores", dtype="float32",
        kernel_initializer=keras.initializers.RandomNormal(stddev=INITIAL_WEIGHT_STD),
        kernel_regularizer=keras.regularizers.L2(reg) if reg else None,
    )(x)
    return keras.Model(image, scores, name="linear")
