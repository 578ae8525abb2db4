"""The k-nearest-neighbour classifier as a Keras model.

kNN has no training step: "fitting" stores the training images. Here they live in the
layer as non-trainable weights, so the whole classifier, memory included, is one `.h5`
file that `keras.models.load_model` restores and `model.predict` runs on CPU or GPU.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

# Largest temporaries prediction may build, in elements: L1's (batch x n_train x dim)
# differences and L2's (batch x n_train) scores (2**23 float32 = 32 MB).
_L1_BUDGET = 2**25
_L2_BUDGET = 2**23
_MAX_BATCH = 1024


@keras.saving.register_keras_serializable(package="workbench")
class KNearestNeighbors(layers.Layer):
    """Remembers `num_train` labelled vectors; outputs each class's share of the k nearest votes.

    Ties in the vote go to the smallest class id (argmax takes the first maximum), the
    same rule as scikit-learn and the CS231n assignment.
    """

    def __init__(self, k: int, metric: str, num_classes: int, num_train: int, **kwargs):
        super().__init__(**kwargs)
        if metric not in ("l1", "l2"):
            raise ValueError(f"metric must be 'l1' or 'l2', got {metric!r}")
        if not 1 <= k <= num_train:
            raise ValueError(f"k must be in 1..{num_train} (the number of stored vectors), got {k}")
        self.k, self.metric = int(k), metric
        self.num_classes, self.num_train = int(num_classes), int(num_train)

    def build(self, input_shape):
        dim = input_shape[-1]
        self.memory = self.add_weight(name="memory", shape=(self.num_train, dim),
                                      initializer="zeros", trainable=False)
        self.labels = self.add_weight(name="labels", shape=(self.num_train,), dtype="int32",
                                      initializer="zeros", trainable=False)
        # ||m||^2 of every stored vector, for the L2 ranking: fixed once remembered, so
        # computed once rather than on every batch, and saved so a reloaded model has it.
        self.squared_norms = self.add_weight(name="squared_norms", shape=(self.num_train,),
                                             initializer="zeros", trainable=False)

    def remember(self, x, y) -> None:
        """The whole of kNN "training": keep the vectors and their labels."""
        memory = ops.convert_to_tensor(x, "float32")
        self.memory.assign(memory)
        self.labels.assign(ops.convert_to_tensor(y, "int32"))
        self.squared_norms.assign(ops.sum(ops.square(memory), axis=1))

    def nearness(self, x):
        """(batch, num_train): larger = nearer, the order the k nearest are taken in.

        For L2 it is x.m - ||m||^2 / 2: minus half the squared distance, less ||x||^2 / 2,
        which is the same for every stored m and so cannot change the order. One matrix
        product and one subtraction; no square root, no distance matrix of its own."""
        if self.metric == "l2":
            return self.dot_with_memory(x) - 0.5 * self.squared_norms[None, :]
        return -ops.sum(ops.abs(x[:, None, :] - self.memory[None, :, :]), axis=2)

    def dot_with_memory(self, x):
        """x.m for every query and stored vector: (batch, num_train), with the memory as
        stored, one row per image.

        TensorFlow's einsum runs this as a batched product that reads the memory's rows
        in place. Keras' `ops.einsum` and `ops.matmul(x, ops.transpose(memory))` both
        transpose the whole memory first (and `tf.matmul(..., transpose_b=True)` takes a
        slower kernel): about a quarter of the prediction's time on two CPU cores
        (benchmarks/knn.py).
        """
        return tf.einsum("bd,nd->bn", x, self.memory)

    def call(self, x):
        _, nearest = ops.top_k(self.nearness(x), k=self.k)
        votes = ops.one_hot(ops.take(self.labels, nearest), self.num_classes)
        return ops.mean(votes, axis=1)

    def get_config(self):
        return {**super().get_config(), "k": self.k, "metric": self.metric,
                "num_classes": self.num_classes, "num_train": self.num_train}


def build_knn(image_shape, num_classes: int, num_train: int, k: int, metric: str) -> keras.Model:
    """image -> flatten -> vote of the k nearest stored images."""
    image = keras.Input(shape=tuple(image_shape), name="image")
    vector = layers.Flatten(name="flatten")(image)
    votes = KNearestNeighbors(k, metric, num_classes, num_train, name="knn")(vector)
    return keras.Model(image, votes, name=f"knn_{metric}_k{k}")


def predict_batch_size(num_train: int, dim: int, metric: str) -> int:
    """As many images per step as memory allows: L2 builds one (batch x n_train) score
    matrix, L1 a (batch x n_train x dim) temporary. Every step has a fixed cost, and a
    bigger matrix product runs nearer the machine's peak, so fewer, larger steps win."""
    budget, per_image = (_L2_BUDGET, num_train) if metric == "l2" else (_L1_BUDGET, num_train * dim)
    return int(max(1, min(_MAX_BATCH, budget // max(1, per_image))))


def predict_votes(model: keras.Model, images, batch_size: int):
    """`model.predict(images, batch_size)`, one `predict_on_batch` per batch instead.

    Both run the same compiled predict step. `model.predict` also sets up, on every call,
    an input pipeline, callbacks and a step loop: tens of milliseconds, a sizeable share
    of the time it takes to classify 500 CIFAR-sized images against 5,000 on two cores.
    """
    batches = [model.predict_on_batch(images[start:start + batch_size])
               for start in range(0, len(images), batch_size)]
    return np.concatenate(batches)
