"""The linear classifier trained on the learner's own loss and gradient (`--mine`).

Minibatch SGD in NumPy on (loss, dW) = their_loss(W, X, y, reg): the same data, centring,
epochs, batch size and learning rate as the Keras run, with the bias folded into W as a
last row that multiplies a constant 1 (the "bias trick"; it is regularised with the rest,
the one difference from the Keras model).
"""

from __future__ import annotations

import numpy as np

from workbench.authoring import WorkbenchError


def train_with(their_loss, data, p, ctx, keras_loss_per_epoch: list[float]) -> None:
    mean_image = data.x_train.mean(axis=0)

    def features(images):
        flat = (images - mean_image).reshape(len(images), -1).astype(np.float64)
        return np.hstack([flat, np.ones((len(flat), 1))])

    x, y = features(data.x_train), data.y_train
    rng = np.random.default_rng(ctx.seed)
    W = 0.001 * rng.standard_normal((x.shape[1], data.num_classes))
    momentum = 0.0 if p.optimizer == "sgd" else 0.9  # Adam's runs too: momentum SGD here
    velocity = np.zeros_like(W)
    losses = []
    ctx.stage("your loss", p.epochs)
    for epoch in range(1, p.epochs + 1):
        ctx.check_cancelled()
        order = rng.permutation(len(y))
        batch_losses = []
        for start in range(0, len(y), p.batch_size):
            rows = order[start:start + p.batch_size]
            loss, dW = their_loss(W, x[rows], y[rows], p.reg)
            if not np.isfinite(loss):
                raise WorkbenchError(f"your {p.loss}_loss became {loss} at epoch {epoch}; "
                                     f"lower learning_rate")
            velocity = momentum * velocity - p.learning_rate * np.asarray(dW)
            W += velocity
            batch_losses.append(float(loss))
        losses.append(float(np.mean(batch_losses)))
        ctx.progress("your loss", epoch, p.epochs, loss=losses[-1])
    accuracy = float(np.mean(np.argmax(features(data.x_test) @ W, axis=1) == data.y_test))
    ctx.metric("mine_test_accuracy", accuracy)
    ctx.metric("mine_loss_per_epoch", losses)
    epochs = list(range(1, p.epochs + 1))
    ctx.chart(f"training loss per epoch: the Keras run and SGD on your {p.loss}_loss",
              "epoch", epochs, {"Keras": keras_loss_per_epoch, "yours": losses})
    ctx.log("your {loss}_loss, minibatch SGD: final training loss {final:.4f}, test accuracy "
            "{accuracy:.3f} (the Keras run: {keras:.3f})",
            loss=p.loss, final=losses[-1], accuracy=accuracy, keras=ctx.metrics["test_accuracy"])
