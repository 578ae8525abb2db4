"""The few layer shapes every classic CNN is written in, with the lecture's size rule.

Each helper adds one Keras layer to a functional graph. Before it does, it applies
(W - F + 2P) / S + 1 to the incoming size and, when the window no longer fits, stops with
the layer's name: "the size runs out at conv2" is what a learner needs to hear, and Keras'
own message ("Computed output size would be zero or negative") names no layer.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import layers

from workbench.authoring import InputTooSmall


def scaled(count: int, width: float) -> int:
    """A layer's filter or unit count under the lesson's `width` factor (at least 1)."""
    return max(1, round(count * width))


def _check_fits(x, window: int, padding: str, name: str) -> None:
    if padding == "same":
        return  # 'same' pads the window in, so any size >= 1 fits
    height, width = (int(d) for d in x.shape[1:3])
    if height < window or width < window:
        raise InputTooSmall(f"the size runs out at layer {name}: its {window}x{window} window "
                       f"gets a {height}x{width} input")


# He initialisation keeps the signal's variance through ReLU layers, so the 19-layer
# VGG trains from scratch; the 2014 paper had to grow it from a trained 11-layer net.
INITIALIZER = "he_normal"


def conv(x, filters: int, size: int, strides: int = 1, padding: str = "same",
         activation: str | None = "relu", name: str | None = None, initializer: str = INITIALIZER):
    _check_fits(x, size, padding, name)
    return layers.Conv2D(filters, size, strides=strides, padding=padding, activation=activation,
                         kernel_initializer=initializer, name=name)(x)


def fc(x, units: int, name: str, activation: str = "relu", initializer: str = INITIALIZER):
    return layers.Dense(units, activation=activation, kernel_initializer=initializer, name=name)(x)


def max_pool(x, size: int, strides: int, padding: str = "valid", name: str | None = None):
    _check_fits(x, size, padding, name)
    return layers.MaxPooling2D(size, strides, padding=padding, name=name)(x)


def avg_pool(x, size: int, strides: int, padding: str = "valid", name: str | None = None):
    _check_fits(x, size, padding, name)
    return layers.AveragePooling2D(size, strides, padding=padding, name=name)(x)


def classifier(x, classes: int, name: str = "predictions"):
    # float32 even under mixed precision: a float16 softmax loses small probabilities.
    return layers.Dense(classes, activation="softmax", dtype="float32", name=name)(x)


def two_fc_top(units: int, classes: int, first: int, output: str):
    """The head of AlexNet and VGG: flatten, then fc{first} and fc{first + 1} of `units`
    ReLUs, each followed by dropout 0.5 (drop{first}, ...), then the softmax `output`."""
    def top(x):
        x = layers.Flatten(name="flatten")(x)
        for i in (first, first + 1):
            x = fc(x, units, f"fc{i}")
            x = layers.Dropout(0.5, name=f"drop{i}")(x)
        return classifier(x, classes, name=output)

    return top


@keras.saving.register_keras_serializable(package="workbench")
class LocalResponseNormalization(layers.Layer):
    """AlexNet's "norm" layer: each activation divided by the activity of its neighbours
    across channels, (k + alpha * sum of squares over n channels) ** beta. Later work
    found it adds little, and BatchNorm replaced it; it is here because the papers have it.
    """

    def __init__(self, depth_radius: int = 2, bias: float = 2.0, alpha: float = 1e-4,
                 beta: float = 0.75, **kwargs):
        super().__init__(**kwargs)
        self.depth_radius, self.bias, self.alpha, self.beta = depth_radius, bias, alpha, beta

    def call(self, inputs):
        # TensorFlow's CPU kernel exists for float16 and float32 only: under bfloat16 mixed
        # precision it would fail, so normalise in float32 and hand back the input's type.
        normalised = tf.nn.local_response_normalization(tf.cast(inputs, "float32"), self.depth_radius,
                                                        self.bias, self.alpha, self.beta)
        return tf.cast(normalised, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "depth_radius": self.depth_radius, "bias": self.bias,
                "alpha": self.alpha, "beta": self.beta}


def lrn(x, name: str):
    return LocalResponseNormalization(name=name)(x)
