"""Attribute classification: several yes/no labels per image that are not exclusive. One
sigmoid per attribute with binary cross-entropy says each one; a softmax, whose
probabilities share one unit of mass, can only say one of them at a time.

The digits' attributes: even; greater than 4; a closed loop, drawn by 0, 6, 8 and 9 (a
handwritten 4 is usually open at the top, so 4 counts as having none).
"""

from __future__ import annotations

import keras
import numpy as np

from lessons.training.nets import mlp

ATTRIBUTES = ("even", "greater_than_4", "closed_loop")
NONE = "none"  # the softmax's extra class for an image with no attribute at all
LOOPED = (0, 6, 8, 9)


def attributes_of(labels: np.ndarray) -> np.ndarray:
    """(N, 3) of 0/1: each digit's attributes, in the order of ATTRIBUTES."""
    labels = np.asarray(labels)
    return np.stack([labels % 2 == 0, labels > 4, np.isin(labels, LOOPED)], axis=1).astype("float32")


def softmax_targets(attributes: np.ndarray) -> np.ndarray:
    """The nearest a softmax can come to several true labels: its unit of probability split
    evenly among them (all on `none` when there are none)."""
    none = (attributes.sum(axis=1, keepdims=True) == 0).astype("float32")
    targets = np.concatenate([attributes, none], axis=1)
    return targets / targets.sum(axis=1, keepdims=True)


def sigmoid_answer(probabilities: np.ndarray) -> np.ndarray:
    """Each attribute said yes where its own sigmoid is above one half."""
    return (probabilities > 0.5).astype("float32")


def softmax_answer(probabilities: np.ndarray) -> np.ndarray:
    """The one attribute the softmax picks (its largest class; `none` says no attribute)."""
    picked = np.argmax(probabilities, axis=1)
    return np.eye(len(ATTRIBUTES) + 1, dtype="float32")[picked][:, :len(ATTRIBUTES)]


def scores(answer: np.ndarray, truth: np.ndarray) -> dict:
    """Per-attribute accuracy and the share of images with every attribute right."""
    right = answer == truth
    return {"per_attribute": {name: float(right[:, i].mean(dtype="float64"))
                              for i, name in enumerate(ATTRIBUTES)},
            "exact_match": float(right.all(axis=1).mean(dtype="float64"))}


def train(p, ctx, activation: str, targets: np.ndarray, val_targets: np.ndarray, loss: str):
    data = ctx.images
    model = mlp(data.image_shape, p.layers, p.units, p.nonlinearity(), classes=targets.shape[1],
                scores_activation=activation, name=f"attributes_{activation}")
    model.compile(optimizer=keras.optimizers.Adam(p.learning_rate), loss=loss)
    history = model.fit(ctx.batches(data.x_train, targets, p.batch_size, shuffle=True),
                        validation_data=ctx.batches(data.x_val, val_targets, 256),
                        epochs=p.epochs, verbose=0,
                        callbacks=ctx.callbacks(series=activation)).history
    return model, history


def run(p, ctx):
    """Train both heads on the training split, score them on the test split; the sigmoid
    model and its history (the one the lesson keeps)."""
    data = ctx.images
    truth = attributes_of(data.y_test)
    ctx.log("attributes: {names}; a closed loop for 0, 6, 8 and 9 (not 4)",
            names=", ".join(ATTRIBUTES))
    sigmoid, history = train(p, ctx, "sigmoid", attributes_of(data.y_train),
                             attributes_of(data.y_val), "binary_crossentropy")
    ctx.check_cancelled()
    softmax, _ = train(p, ctx, "softmax", softmax_targets(attributes_of(data.y_train)),
                       softmax_targets(attributes_of(data.y_val)), "categorical_crossentropy")
    answers = {"sigmoid": sigmoid_answer(sigmoid.predict(data.x_test, batch_size=512, verbose=0)),
               "softmax": softmax_answer(softmax.predict(data.x_test, batch_size=512, verbose=0))}
    for head, answer in answers.items():
        s = scores(answer, truth)
        ctx.metric(f"attribute_{head}_exact_match", s["exact_match"])
        ctx.metric(f"attribute_{head}_accuracy", s["per_attribute"])
        ctx.metric(f"attribute_{head}_most_said", int(answer.sum(axis=1).max()))
        ctx.log("{head}: every attribute right on {exact:.1%} of the test images; per attribute "
                "{per}", head=head, exact=s["exact_match"],
                per=", ".join(f"{k} {v:.3f}" for k, v in s["per_attribute"].items()))
    # What a softmax can reach at best: the images with at most one true attribute.
    ctx.metric("attribute_softmax_ceiling", float((truth.sum(axis=1) <= 1).mean(dtype="float64")))
    ctx.metric("attribute_test_with_several", float((truth.sum(axis=1) > 1).mean(dtype="float64")))
    ctx.log("{several:.1%} of the test images have two or more attributes: a softmax that names "
            "one is wrong on all of them, so its exact match is at most {ceiling:.1%}",
            several=ctx.metrics["attribute_test_with_several"],
            ceiling=ctx.metrics["attribute_softmax_ceiling"])
    return sigmoid, history
