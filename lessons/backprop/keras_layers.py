"""The one Keras layer the backprop lesson's saved models need that Keras lacks: 1 / x,
the staged example's `invden` stage (Keras has Add and Multiply layers, no Divide)."""

from __future__ import annotations

import keras


@keras.saving.register_keras_serializable(package="workbench")
class Reciprocal(keras.layers.Layer):
    def call(self, inputs):
        return keras.ops.reciprocal(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape
