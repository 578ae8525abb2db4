"""A two-layer network, affine - ReLU - affine - softmax, with its backward pass written
out piece by piece in NumPy (lessons/backprop/layers.py), checked against tf.GradientTape
on the very same weights, then trained both ways (hand-written gradients, and Keras)
from one start on the same batches. With `--mine`, the learner's own pieces and
`two_layer_loss` go through the same check and train a third copy beside them.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from lessons.backprop import layers
from lessons.backprop.scalar import FLOOR
from lessons.common import relative_error
from workbench.authoring import EpochEnd, WorkbenchError

JACOBIAN_SIZE = 8
WIDE_LAYER = 4096


def keras_twin(params: dict[str, np.ndarray], classes: int, dtype: str = "float32") -> keras.Model:
    """The same net as a Keras model holding these very weights."""
    inputs = keras.Input((params["W1"].shape[0],), name="pixels", dtype=dtype)
    hidden = keras.layers.Dense(params["W1"].shape[1], activation="relu", name="hidden",
                                dtype=dtype)(inputs)
    scores = keras.layers.Dense(classes, activation="softmax", name="scores", dtype=dtype)(hidden)
    model = keras.Model(inputs, scores, name="two_layer")
    model.get_layer("hidden").set_weights([params["W1"], params["b1"]])
    model.get_layer("scores").set_weights([params["W2"], params["b2"]])
    return model


def tape_gradients(model: keras.Model, x, y) -> dict[str, np.ndarray]:
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, model(x)))
    hidden, scores = model.get_layer("hidden"), model.get_layer("scores")
    variables = {"W1": hidden.kernel, "b1": hidden.bias, "W2": scores.kernel, "b2": scores.bias}
    grads = tape.gradient(loss, list(variables.values()))
    return {name: g.numpy().astype("float64") for name, g in zip(variables, grads)}


def run(p, ctx) -> None:
    data = ctx.images
    flat = lambda images: images.reshape(len(images), -1).astype("float32")  # noqa: E731
    x_train, x_val, x_test = flat(data.x_train), flat(data.x_val), flat(data.x_test)
    rng = np.random.default_rng(ctx.seed)
    dims = x_train.shape[1]
    params = {"W1": (rng.standard_normal((dims, p.hidden)) * np.sqrt(2.0 / dims)).astype("float32"),
              "b1": np.zeros(p.hidden, "float32"),
              "W2": (rng.standard_normal((p.hidden, data.num_classes)) * np.sqrt(1.0 / p.hidden)).astype("float32"),
              "b2": np.zeros(data.num_classes, "float32")}
    model = keras_twin(params, data.num_classes)

    # One batch, the same weights: hand-written gradients against TensorFlow's (float64 here,
    # so the comparison measures the algebra, not float32 rounding in either).
    batch_x, batch_y = x_train[:p.batch_size].astype("float64"), data.y_train[:p.batch_size]
    params64 = {k: v.astype("float64") for k, v in params.items()}
    _, ours = layers.two_layer_loss(batch_x, batch_y, params64, 0.0)
    theirs = tape_gradients(keras_twin(params64, data.num_classes, dtype="float64"), batch_x, batch_y)
    errors = largest_errors(ours, theirs)
    ctx.metric("max_error_vs_tensorflow", max(errors.values()))
    ctx.metric("error_by_parameter", errors)
    ctx.log("hand-written backward pass vs tf.GradientTape on one batch: largest relative error "
            "W2 {W2:.1e}, b2 {b2:.1e}, W1 {W1:.1e}, b1 {b1:.1e}",
            **errors)
    jacobian(ctx)
    mine = Mine(ctx, params64, x_train, data.y_train) if ctx.mine else None
    if mine:
        mine.check(batch_x, batch_y, theirs)

    # Train both from the same start on the same batches: the same updates, the same net.
    numpy_params = {k: v.copy() for k, v in params.items()}
    model.compile(optimizer=keras.optimizers.SGD(p.learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    steps = int(np.ceil(len(x_train) / p.batch_size))
    ctx.stage("train both ways", p.epochs * steps)
    history = {"loss": [], "numpy_loss": []}
    for epoch in range(p.epochs):
        order = rng.permutation(len(x_train))
        losses, keras_losses = [], []
        for step in range(steps):
            ctx.check_cancelled()
            rows = order[step * p.batch_size:(step + 1) * p.batch_size]
            loss, grads = layers.two_layer_loss(x_train[rows], data.y_train[rows], numpy_params, 0.0)
            for name in numpy_params:
                numpy_params[name] -= (p.learning_rate * grads[name]).astype("float32")
            keras_losses.append(float(model.train_on_batch(x_train[rows], data.y_train[rows])[0]))
            losses.append(loss)
            if mine:
                mine.step(rows, p.learning_rate, epoch + 1)
            ctx.progress("train both ways", epoch * steps + step + 1, p.epochs * steps)
        history["loss"].append(float(np.mean(keras_losses)))
        history["numpy_loss"].append(float(np.mean(losses)))
        if mine:
            mine.epoch_end()
        ctx.emit(EpochEnd(epoch + 1, {"loss": history["loss"][-1],
                                      "numpy_loss": history["numpy_loss"][-1]}))
    for split, xs, ys in (("train", x_train, data.y_train), ("val", x_val, data.y_val),
                          ("test", x_test, data.y_test)):
        ctx.metric(f"numpy_{split}_accuracy", _accuracy(layers.scores(numpy_params, xs), ys))
        ctx.metric(f"{split}_accuracy", _accuracy(model.predict(xs, verbose=0), ys))
    keras_weights = dict(zip(layers.PARAMS, model.get_weights()))
    drift = max(float(np.max(np.abs(numpy_params[n] - w))) for n, w in keras_weights.items())
    ctx.metric("weights_max_difference_after_training", drift)
    ctx.log("after {epochs} epochs: test accuracy {numpy:.3f} with the hand-written gradients, "
            "{keras:.3f} with Keras; the weights differ by at most {drift:.1e}",
            epochs=p.epochs, numpy=ctx.metrics["numpy_test_accuracy"],
            keras=ctx.metrics["test_accuracy"], drift=drift)
    if mine:
        mine.report(x_test, data.y_test, history["loss"], keras_weights)
    ctx.save(model, variant=p.example, history=history)


def largest_errors(ours: dict, theirs: dict) -> dict[str, float]:
    """CS231n's relative error, the largest entry, per parameter."""
    return {name: float(np.max(relative_error(ours[name], theirs[name], FLOOR))) for name in layers.PARAMS}


class Mine:
    """A third copy of the net, in float64, trained with the learner's `two_layer_loss`
    from the same start on the same batches (`--mine`); their four pieces, chained here
    with the lesson's softmax, go through the one-batch check too."""

    def __init__(self, ctx, start: dict, x_train, y_train):
        self.ctx, self.functions = ctx, ctx.mine
        self.params = {k: v.copy() for k, v in start.items()}
        self.x_train, self.y_train = x_train.astype("float64"), y_train
        self.batch_losses: list[float] = []
        self.losses: list[float] = []

    def check(self, x, y, tensorflow: dict) -> None:
        _, grads = self.functions["two_layer_loss"](x, y, self.params, 0.0)
        whole = max(largest_errors({k: np.asarray(grads[k], "float64") for k in layers.PARAMS},
                                   tensorflow).values())
        pieces = max(largest_errors(self.chained(x, y), tensorflow).values())
        self.ctx.metric("mine_max_error_vs_tensorflow", whole)
        self.ctx.metric("mine_pieces_max_error_vs_tensorflow", pieces)

    def chained(self, x, y) -> dict:
        """The gradients from the learner's four pieces, staged as layers.two_layer_loss does."""
        f, P = self.functions, self.params
        h = f["affine_forward"](x, P["W1"], P["b1"])
        a = f["relu_forward"](h)
        _, dscores = layers.softmax_loss(np.asarray(f["affine_forward"](a, P["W2"], P["b2"])), y)
        da, dW2, db2 = f["affine_backward"](dscores, a, P["W2"], P["b2"])
        _, dW1, db1 = f["affine_backward"](f["relu_backward"](da, h), x, P["W1"], P["b1"])
        return {name: np.asarray(g, "float64") for name, g in
                zip(layers.PARAMS, (dW1, db1, dW2, db2))}

    def step(self, rows, learning_rate: float, epoch: int) -> None:
        loss, grads = self.functions["two_layer_loss"](self.x_train[rows], self.y_train[rows],
                                                       self.params, 0.0)
        loss = float(np.asarray(loss))
        if not np.isfinite(loss):
            raise WorkbenchError(f"your two_layer_loss became {loss} at epoch {epoch}; lower "
                                 f"learning_rate")
        for name in layers.PARAMS:
            self.params[name] = self.params[name] - learning_rate * np.asarray(grads[name], "float64")
        self.batch_losses.append(loss)

    def epoch_end(self) -> None:
        self.losses.append(float(np.mean(self.batch_losses)))
        self.batch_losses = []

    def report(self, x_test, y_test, keras_losses: list[float], keras_weights: dict) -> None:
        ctx, f, P = self.ctx, self.functions, self.params
        hidden = f["relu_forward"](f["affine_forward"](x_test.astype("float64"), P["W1"], P["b1"]))
        accuracy = _accuracy(np.asarray(f["affine_forward"](hidden, P["W2"], P["b2"])), y_test)
        drift = max(float(np.max(np.abs(P[n] - w))) for n, w in keras_weights.items())
        ctx.metric("mine_loss_per_epoch", self.losses)
        ctx.metric("mine_test_accuracy", accuracy)
        ctx.metric("mine_weights_max_difference_from_keras", drift)
        epochs = list(range(1, len(self.losses) + 1))
        ctx.chart("training loss per epoch: Keras and SGD on your two_layer_loss", "epoch", epochs,
                  {"Keras": keras_losses, "yours": self.losses})
        ctx.log("your two_layer_loss: gradients within {whole:.1e} of tf.GradientTape on one batch "
                "(your four pieces chained: {pieces:.1e}); trained from the same start on the same "
                "batches: final training loss {final:.4f} (Keras {keras_final:.4f}), test accuracy "
                "{accuracy:.3f} (Keras {keras:.3f}), weights within {drift:.1e} of Keras'",
                whole=ctx.metrics["mine_max_error_vs_tensorflow"],
                pieces=ctx.metrics["mine_pieces_max_error_vs_tensorflow"], final=self.losses[-1],
                keras_final=keras_losses[-1], accuracy=accuracy, keras=ctx.metrics["test_accuracy"],
                drift=drift)


def _accuracy(scores, y) -> float:
    return float(np.mean(np.argmax(scores, axis=1) == y))


def jacobian(ctx) -> None:
    """An elementwise gate's Jacobian is diagonal: for ReLU on a vector, 1 where the input
    was positive, 0 elsewhere. Nobody builds it: multiplying by it is an elementwise
    product, and for a 4,096-wide layer it would hold 16.8 million numbers."""
    x = tf.constant(np.random.default_rng(ctx.seed).standard_normal(JACOBIAN_SIZE))
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = tf.nn.relu(x)
    j = tape.jacobian(out, x).numpy()
    ctx.metric("relu_jacobian_off_diagonal_max", float(np.max(np.abs(j - np.diag(np.diag(j))))))
    ctx.metric("relu_jacobian_diagonal_matches", bool(np.array_equal(np.diag(j), (x.numpy() > 0) * 1.0)))
    ctx.log("ReLU's Jacobian on {size} inputs: diagonal ({diagonal}), every other entry 0; at "
            "{width:,} units it would be {entries:,} numbers",
            size=JACOBIAN_SIZE, diagonal=" ".join(f"{v:g}" for v in np.diag(j)), width=WIDE_LAYER,
            entries=WIDE_LAYER ** 2)
