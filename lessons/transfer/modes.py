"""The backbone, the new head, and the ways of training them on a few labelled images.

Every fit on the new task is the same recipe (Adam, the same batches in the same order,
no shuffling), so two modes that compute the same function train the same way: what
differs between them is only which weights move and what each epoch has to compute.
"""

from __future__ import annotations

import time

import keras
import numpy as np
import tensorflow as tf

from lessons.common import accuracy_of
from lessons.resnet.networks import cifar_resnet

DEPTH = 8  # ResNet-8: a stem and one basic block in each of the three stages

BATCH = 32
LOSS = "sparse_categorical_crossentropy"


def resnet8(shape, classes: int, width: float, *, include_top: bool) -> keras.Model:
    return cifar_resnet(DEPTH, "basic", True, shape, classes, width, include_top=include_top)


def cut(network: keras.Model, stage: str) -> keras.Model:
    """The network up to the end of `stage`, its feature map flattened: the backbone.
    It shares its layers (and so its weights) with `network`."""
    ends = [layer.name for layer in network.layers
            if layer.name.startswith(f"{stage}_") and layer.name.endswith("_out")]
    features = keras.layers.Flatten(name="features")(network.get_layer(ends[-1]).output)
    return keras.Model(network.input, features, name=f"{network.name}_to_{stage}")


def head(features: int, classes: int, name: str = "head") -> keras.Model:
    """The new classifier: one softmax layer on the feature vector."""
    inputs = keras.Input((features,), name="features")
    return keras.Model(inputs, keras.layers.Dense(classes, activation="softmax",
                                                  name="classes")(inputs), name=name)


def classifier(backbone: keras.Model, top: keras.Model, name: str) -> keras.Model:
    """Image -> backbone -> head, the backbone called with training=False, as Keras'
    transfer-learning guide asks. In Keras 3 that alone does not keep BatchNormalization in
    inference mode: `fit` passes training=True to every layer of the model, nested ones
    included. What keeps the source task's statistics is that every BatchNormalization
    layer stays frozen (trainable False runs it in inference mode), as the modes leave them."""
    image = keras.Input(backbone.input_shape[1:], name="image")
    return keras.Model(image, top(backbone(image, training=False)), name=name)


def build_transfer_model(backbone: keras.Model, classes: int,
                         trainable_from: str | None = None) -> keras.Model:
    """The notes' modes as one model: image -> `backbone` (images to a feature vector) ->
    a new softmax head of `classes`. Without `trainable_from` the backbone is frozen and
    only the head trains, as in (1) and (2); with it, fine-tuning (3): the backbone's layer
    of that name and the layers after it train too, BatchNormalization excepted."""
    if trainable_from is None:
        backbone.trainable = False
    else:
        unfreeze_from(backbone, trainable_from)
    return classifier(backbone, head(backbone.output_shape[-1], classes), "transfer")


def trainable_count(model: keras.Model) -> int:
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))


class EpochTimer(keras.callbacks.Callback):
    """Wall-clock seconds of each epoch of one fit."""

    def on_train_begin(self, logs=None):
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._started)


class Trainer:
    """A model compiled once and trained afresh on draw after draw: each `fit` starts
    from the same weights and a zeroed optimizer, without paying for a new compile."""

    def __init__(self, model: keras.Model, rate: float):
        self.model = model
        self.start = model.get_weights()
        self.slow_down(rate)

    def fit(self, x, y, epochs: int, callbacks=(), *, afresh: bool = True,
            shuffle: bool = False, per_epoch: bool = True) -> tuple[dict, float]:
        """Train (from the starting weights unless not `afresh`); the history and the median
        seconds per pass over (x, y).

        Without `per_epoch`, every pass runs inside one Keras epoch (the data repeated):
        on a few dozen images Keras' own work at each epoch's start and end costs more
        than the epoch itself, and only the final numbers are wanted."""
        if afresh:
            self.model.set_weights(self.start)
            for variable, value in zip(self.model.optimizer.variables, self.optimizer_start):
                variable.assign(value)
        timer = EpochTimer()
        callbacks = [timer, *callbacks]
        if per_epoch:
            history = self.model.fit(x, y, batch_size=BATCH, epochs=epochs, shuffle=shuffle,
                                     verbose=0, callbacks=callbacks).history
            return history, float(np.median(timer.seconds))
        passes = tf.data.Dataset.from_tensor_slices((x, y))
        if shuffle:
            passes = passes.shuffle(len(y), reshuffle_each_iteration=True)
        history = self.model.fit(passes.batch(BATCH).repeat(epochs), epochs=1, verbose=0,
                                 callbacks=callbacks).history
        return history, timer.seconds[0] / epochs

    def slow_down(self, rate: float) -> None:
        """A new optimizer at `rate` (and for fine-tuning, which weights train is read
        again, as at every compile); the weights are kept."""
        optimizer = keras.optimizers.Adam(rate)
        self.model.compile(optimizer=optimizer, loss=LOSS, metrics=["accuracy"])
        optimizer.build(self.model.trainable_variables)
        # Its step count, moments and rate as they start: a fresh optimizer, restored per fit.
        self.optimizer_start = [np.array(v) for v in optimizer.variables]

    def accuracy(self, x, y) -> float:
        return accuracy(self.model, x, y)


def accuracy(model: keras.Model, x, y) -> float:
    return accuracy_of(y, model.predict(x, batch_size=512, verbose=0))


def bn_moving_means(model: keras.Model) -> list[np.ndarray]:
    return [np.array(layer.moving_mean) for layer in _batch_norms(model)]


def largest_change(before: list[np.ndarray], after: list[np.ndarray]) -> float:
    return max(float(np.max(np.abs(a - b))) for a, b in zip(after, before))


def unfreeze_from(backbone: keras.Model, first: str) -> None:
    """Fine-tuning's setting: the backbone's layer named `first` and every layer after it
    train, except BatchNormalization layers, which stay frozen; the layers before it stay
    frozen. ValueError when the backbone has no layer of that name."""
    names = [layer.name for layer in backbone.layers]
    if first not in names:
        raise ValueError(f"the backbone {backbone.name!r} has no layer named {first!r}")
    start = names.index(first)
    # The model's own flag too: while it is False, backbone.trainable_weights is empty
    # (a model around it still trains the layers whose own flags are True).
    backbone.trainable = True
    for at, layer in enumerate(backbone.layers):
        layer.trainable = at >= start and not isinstance(layer, keras.layers.BatchNormalization)


def unfreeze_top_block(backbone: keras.Model, stage: str) -> None:
    """Fine-tuning's setting: only the convolutions of the backbone's last block train;
    every BatchNormalization layer stays frozen."""
    # Layers come in the order they were built: the stage's last block is the last named,
    # and only the flattening (no weights) comes after it.
    last = [layer.name.split("_")[1] for layer in backbone.layers
            if layer.name.startswith(f"{stage}_block")][-1]
    unfreeze_from(backbone, next(layer.name for layer in backbone.layers
                                 if layer.name.startswith(f"{stage}_{last}_")))


def _batch_norms(model: keras.Model):
    return [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
