"""A two-layer network, affine - ReLU - affine - softmax, with its backward pass written
out stage by stage in NumPy, checked against tf.GradientTape on the very same weights,
then trained both ways (hand-written gradients, and Keras) from one start on the same
batches.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from lessons.backprop.scalar import FLOOR
from lessons.common import relative_error
from workbench.authoring import EpochEnd

JACOBIAN_SIZE = 8
WIDE_LAYER = 4096


def forward_backward(params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray):
    """Mean cross-entropy and its gradient for every parameter, stage by stage."""
    w1, b1, w2, b2 = params["w1"], params["b1"], params["w2"], params["b2"]
    n = len(x)
    # forward, keeping what the backward pass needs
    h = x @ w1 + b1
    a = np.maximum(h, 0.0)
    s = a @ w2 + b2
    shifted = s - s.max(axis=1, keepdims=True)  # the same softmax, without overflow
    p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(p[np.arange(n), y]))
    # backward: each stage's upstream gradient times its local one
    ds = p.copy()
    ds[np.arange(n), y] -= 1.0
    ds /= n                          # d loss / d scores
    grads = {"w2": a.T @ ds, "b2": ds.sum(axis=0)}  # the affine gate: inputs times upstream
    da = ds @ w2.T                   # and weights times upstream, for the layer below
    dh = da * (h > 0)                # ReLU routes the gradient where it was positive
    grads["w1"], grads["b1"] = x.T @ dh, dh.sum(axis=0)
    return loss, grads


def keras_twin(params: dict[str, np.ndarray], classes: int, dtype: str = "float32") -> keras.Model:
    """The same net as a Keras model holding these very weights."""
    inputs = keras.Input((params["w1"].shape[0],), name="pixels", dtype=dtype)
    hidden = keras.layers.Dense(params["w1"].shape[1], activation="relu", name="hidden",
                                dtype=dtype)(inputs)
    scores = keras.layers.Dense(classes, activation="softmax", name="scores", dtype=dtype)(hidden)
    model = keras.Model(inputs, scores, name="two_layer")
    model.get_layer("hidden").set_weights([params["w1"], params["b1"]])
    model.get_layer("scores").set_weights([params["w2"], params["b2"]])
    return model


def tape_gradients(model: keras.Model, x, y) -> dict[str, np.ndarray]:
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, model(x)))
    hidden, scores = model.get_layer("hidden"), model.get_layer("scores")
    variables = {"w1": hidden.kernel, "b1": hidden.bias, "w2": scores.kernel, "b2": scores.bias}
    grads = tape.gradient(loss, list(variables.values()))
    return {name: g.numpy().astype("float64") for name, g in zip(variables, grads)}


def run(p, ctx) -> None:
    data = ctx.images
    flat = lambda images: images.reshape(len(images), -1).astype("float32")  # noqa: E731
    x_train, x_val, x_test = flat(data.x_train), flat(data.x_val), flat(data.x_test)
    rng = np.random.default_rng(ctx.seed)
    dims = x_train.shape[1]
    params = {"w1": (rng.standard_normal((dims, p.hidden)) * np.sqrt(2.0 / dims)).astype("float32"),
              "b1": np.zeros(p.hidden, "float32"),
              "w2": (rng.standard_normal((p.hidden, data.num_classes)) * np.sqrt(1.0 / p.hidden)).astype("float32"),
              "b2": np.zeros(data.num_classes, "float32")}
    model = keras_twin(params, data.num_classes)

    # One batch, the same weights: hand-written gradients against TensorFlow's (float64 here,
    # so the comparison measures the algebra, not float32 rounding in either).
    batch_x, batch_y = x_train[:p.batch_size], data.y_train[:p.batch_size]
    _, ours = forward_backward({k: v.astype("float64") for k, v in params.items()},
                               batch_x.astype("float64"), batch_y)
    twin64 = keras_twin({k: v.astype("float64") for k, v in params.items()}, data.num_classes,
                        dtype="float64")
    theirs = tape_gradients(twin64, batch_x.astype("float64"), batch_y)
    errors = {name: float(np.max(relative_error(ours[name], theirs[name], FLOOR))) for name in ours}
    ctx.metric("max_error_vs_tensorflow", max(errors.values()))
    ctx.metric("error_by_parameter", errors)
    ctx.log("hand-written backward pass vs tf.GradientTape on one batch: largest relative error "
            "w2 {w2:.1e}, b2 {b2:.1e}, w1 {w1:.1e}, b1 {b1:.1e}",
            **errors)
    jacobian(ctx)

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
            loss, grads = forward_backward(numpy_params, x_train[rows], data.y_train[rows])
            for name in numpy_params:
                numpy_params[name] -= (p.learning_rate * grads[name]).astype("float32")
            keras_losses.append(float(model.train_on_batch(x_train[rows], data.y_train[rows])[0]))
            losses.append(loss)
            ctx.progress("train both ways", epoch * steps + step + 1, p.epochs * steps)
        history["loss"].append(float(np.mean(keras_losses)))
        history["numpy_loss"].append(float(np.mean(losses)))
        ctx.emit(EpochEnd(epoch + 1, {"loss": history["loss"][-1],
                                      "numpy_loss": history["numpy_loss"][-1]}))
    for split, xs, ys in (("train", x_train, data.y_train), ("val", x_val, data.y_val),
                          ("test", x_test, data.y_test)):
        ctx.metric(f"numpy_{split}_accuracy", _accuracy(forward_scores(numpy_params, xs), ys))
        ctx.metric(f"{split}_accuracy", _accuracy(model.predict(xs, verbose=0), ys))
    drift = max(float(np.max(np.abs(numpy_params[n] - w))) for n, w in
                zip(("w1", "b1", "w2", "b2"), model.get_weights()))
    ctx.metric("weights_max_difference_after_training", drift)
    ctx.log("after {epochs} epochs: test accuracy {numpy:.3f} with the hand-written gradients, "
            "{keras:.3f} with Keras; the weights differ by at most {drift:.1e}",
            epochs=p.epochs, numpy=ctx.metrics["numpy_test_accuracy"],
            keras=ctx.metrics["test_accuracy"], drift=drift)
    ctx.save(model, variant=p.example, history=history)


def forward_scores(params, x) -> np.ndarray:
    return np.maximum(x @ params["w1"] + params["b1"], 0.0) @ params["w2"] + params["b2"]


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
