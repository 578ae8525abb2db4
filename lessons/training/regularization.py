"""Experiment `regularization`: a net big enough to memorise a small training set, with
no regularisation, L2 on its weights, dropout, and both; the gap between training and
validation accuracy is the overfitting each one removes.

Dropout is "inverted": in training each unit is zeroed with probability p and the kept
ones are multiplied by 1/(1 - p), so a layer's expected output is unchanged and nothing
needs rescaling at test time, when dropout does nothing.
"""

from __future__ import annotations

import keras
import numpy as np

from lessons.common import accuracy_of, split_accuracies
from lessons.training.nets import fit, mlp

DROPOUT_PROBE = (2000, 100)  # ones through a Dropout layer, to count what it does


def run(p, ctx) -> None:
    data = ctx.images
    keep = min(p.train_size, len(data.x_train))
    x, y = data.x_train[:keep], data.y_train[:keep]
    ctx.log("{images} training images for a net of {layers}x{units} units: enough to memorise "
            "them", images=keep, layers=p.layers, units=p.units)
    variants = {"none": (0.0, 0.0), "l2": (p.l2, 0.0), "dropout": (0.0, p.dropout),
                "both": (p.l2, p.dropout)}
    scores = {}
    for name, (l2, dropout) in variants.items():
        ctx.check_cancelled()
        model = mlp(data.image_shape, p.layers, p.units, p.nonlinearity(), l2=l2, dropout=dropout,
                    classes=data.num_classes)
        history = fit(model, keras.optimizers.Adam(p.learning_rate), p, ctx, x=x, y=y, series=name)
        scores[name] = s = {f"train_{k}": v for k, v in _scores(model, x, y).items()}
        s.update({f"val_{k}": v for k, v in _scores(model, data.x_val, data.y_val).items()})
        # Overfitting shows first as overconfidence: right answers stay right while the
        # wrong ones are given ever more certainty, so the validation loss climbs.
        ctx.metric(f"val_loss_{name}", s["val_loss"])
        ctx.metric(f"accuracy_gap_{name}", s["train_accuracy"] - s["val_accuracy"])
        ctx.log("{name}: train accuracy {train_accuracy:.3f}, validation {val_accuracy:.3f}; "
                "loss train {train_loss:.3f}, validation {val_loss:.3f}", name=name, **s)
    ctx.metric("scores", scores)
    dropout_scaling(ctx, p.dropout)
    # Train and validation are in `scores` (train: the kept images, not the whole split).
    ctx.metric("test_accuracy", split_accuracies(model, ctx)["test_accuracy"])
    ctx.save(model, variant=p.experiment, history=history)


def _scores(model, x, y) -> dict[str, float]:
    """Accuracy and mean cross-entropy on clean inputs, dropout off (inference mode)."""
    probabilities = model.predict(x, batch_size=512, verbose=0)
    loss = keras.ops.convert_to_numpy(keras.losses.sparse_categorical_crossentropy(y, probabilities))
    return {"accuracy": accuracy_of(y, probabilities),
            "loss": float(np.mean(loss, dtype="float64"))}


def dropout_scaling(ctx, rate: float) -> None:
    layer = keras.layers.Dropout(rate, seed=ctx.seed)
    ones = np.ones(DROPOUT_PROBE, dtype="float32")
    training = keras.ops.convert_to_numpy(layer(ones, training=True))
    inference = keras.ops.convert_to_numpy(layer(ones, training=False))
    kept = training[training != 0]
    ctx.metric("dropout_zeroed_fraction", float(np.mean(training == 0)))
    ctx.metric("dropout_kept_value", float(kept.mean()) if kept.size else 0.0)
    ctx.metric("dropout_training_mean", float(training.mean()))
    ctx.metric("dropout_inference_max_change", float(np.max(np.abs(inference - ones))))
    ctx.log("Dropout({rate:g}) on ones: {zeroed:.3f} zeroed, the rest scaled to {kept:.4g} = "
            "1/(1 - {rate:g}); mean {mean:.3f}; at inference nothing changes",
            rate=rate, zeroed=ctx.metrics["dropout_zeroed_fraction"],
            kept=ctx.metrics["dropout_kept_value"], mean=ctx.metrics["dropout_training_mean"])
