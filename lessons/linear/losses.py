"""The two losses of a linear classifier, as Keras losses that save and reload with a model.

Both take integer labels and raw class scores (logits), as f(x) = Wx + b produces them.
"""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="workbench")
class MulticlassHinge(keras.losses.Loss):
    """The multiclass SVM loss of Weston and Watkins, as CS231n uses it:

        L_i = sum over j != y_i of max(0, s_j - s_{y_i} + delta)

    Every wrong class whose score comes within `delta` of the right one adds to the loss.
    Keras' own `categorical_hinge` is a different loss: it keeps only the worst wrong
    class, max(0, max_{j != y} s_j - s_y + 1), so the two disagree whenever more than one
    wrong class is inside the margin.
    """

    def __init__(self, delta: float = 1.0, name: str = "multiclass_hinge", **kwargs):
        super().__init__(name=name, **kwargs)
        self.delta = float(delta)

    def call(self, y_true, y_pred):
        labels = ops.cast(ops.reshape(y_true, (-1,)), "int32")
        correct = ops.take_along_axis(y_pred, labels[:, None], axis=1)
        margins = ops.maximum(0.0, y_pred - correct + self.delta)
        # The j = y_i term is max(0, delta) = delta for every sample; the sum excludes it.
        return ops.sum(margins, axis=1) - self.delta

    def get_config(self):
        return {**super().get_config(), "delta": self.delta}


@keras.saving.register_keras_serializable(package="workbench")
class SoftmaxCrossEntropy(keras.losses.Loss):
    """The softmax classifier's loss: L_i = -log(e^{s_{y_i}} / sum_j e^{s_j}).

    Scores are read as unnormalised log-probabilities; the loss is the negative log of
    the probability the model gives the right class. Computed as logsumexp(s) - s_y,
    which never exponentiates a large score (the numerically stable form).
    """

    def __init__(self, name: str = "softmax_cross_entropy", **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        labels = ops.cast(ops.reshape(y_true, (-1,)), "int32")
        correct = ops.take_along_axis(y_pred, labels[:, None], axis=1)[:, 0]
        return ops.logsumexp(y_pred, axis=1) - correct


LOSSES = {"svm": MulticlassHinge, "softmax": SoftmaxCrossEntropy}
