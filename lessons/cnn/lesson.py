"""Lesson 3: train a classic CNN, and read its anatomy off the model that trained.

The full-size networks were built for 224x224 ImageNet photos and GPUs with days to
spare. To train one on a laptop in about a minute, the lesson keeps every architecture's
shape (its layer list, strides and pools) and shrinks two things: the number of filters
and units (`width`) and the input (the smallest size whose windows all still fit).
`workbench anatomy ARCH` shows the full-size network; this run reports the one it trained.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np

from lessons.cnn.googlenet import AUXILIARY_LOSS_WEIGHT, inference_model
from lessons.training import make_optimizer, random_shifter, resizer
from workbench import anatomy
from workbench.errors import BadInput, InputTooSmall

FILTERS_SHOWN = 32
FILTER_COLUMNS = 16


@dataclass(frozen=True)
class Preset:
    """What `width=0`, `input_size=0` and `epochs=0` mean for an architecture."""

    input_size: int
    width: float
    epochs: int


# Sized so each finishes in about a minute on 2 CPU cores with the embedded digits.
# The input sizes are the smallest that keep every layer at least 1x1 (AlexNet's
# 11x11/4 stem and three 3x3/2 pools need 67 pixels; five VGG pools need 32), except
# NiN's: at 67 its last block sees one pixel and global average pooling has nothing to
# average (test accuracy 0.88); at 99 it sees 2x2 (0.98).
PRESETS = {
    "lenet": Preset(32, 1.0, 60),
    "alexnet": Preset(67, 0.125, 20),
    "zfnet": Preset(64, 0.125, 20),
    "vgg11": Preset(32, 0.125, 20),
    "vgg13": Preset(32, 0.125, 20),
    "vgg16c": Preset(32, 0.125, 20),
    "vgg16": Preset(32, 0.125, 20),
    "vgg19": Preset(32, 0.125, 20),
    "nin": Preset(99, 0.125, 40),
    "googlenet": Preset(96, 0.125, 20),
}


def settings(p: dict) -> tuple[int, float, int]:
    preset = PRESETS[p["arch"]]
    return (p["input_size"] or preset.input_size, p["width"] or preset.width,
            p["epochs"] or preset.epochs)


def run(p: dict, ctx) -> None:
    data = ctx.images
    size, width, epochs = settings(p)
    shape = (size, size, data.image_shape[-1])
    model, outputs = training_model(p, shape, data.num_classes)
    auxiliary = outputs is not None
    ctx.log(f"{p['arch']} at width {width:g} on {size}x{size} images "
            f"({data.image_shape[0]}x{data.image_shape[1]} {data.name} resized), {epochs} epochs")

    resized = resizer(size)

    def targets(x, y):  # every head of a GoogLeNet in training learns the same labels
        x, y = resized(x, y)
        return (x, {name: y for name in outputs}) if outputs else (x, y)

    # A digit moved a few pixels is the same digit: 1,078 training images go further.
    shifted = random_shifter(size)

    def image_bytes(x) -> int:  # what the resized copies of `x` take, in float32
        return len(x) * size * size * shape[-1] * 4

    model.fit(ctx.batches(data.x_train, data.y_train, p["batch_size"], shuffle=True,
                          preprocess=targets, augment=shifted if p["augment"] else None,
                          preprocessed_bytes=image_bytes(data.x_train)),
              validation_data=ctx.batches(data.x_val, data.y_val, p["batch_size"], preprocess=targets,
                                          preprocessed_bytes=image_bytes(data.x_val)),
              epochs=epochs, verbose=0, callbacks=[ctx.keras_callback()])

    kept = model
    if auxiliary:  # the network as it is used: one head; compiled so a reload can evaluate it
        kept = inference_model(model)
        kept.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    for split, x, y in (("train", data.x_train, data.y_train), ("val", data.x_val, data.y_val),
                        ("test", data.x_test, data.y_test)):
        scores = kept.predict(ctx.batches(x, y, 256, preprocess=resized, preprocessed_bytes=image_bytes(x)),
                              verbose=0)
        ctx.metric(f"{split}_accuracy", float(np.mean(np.argmax(scores, axis=1) == y)))

    report_anatomy(ctx, anatomy.of_model(kept, p["arch"]))
    filters = first_layer_filters(kept)
    ctx.picture(f"first layer's filters ({len(filters)} of {_first_conv(kept).filters}, "
                f"{filters.shape[1]}x{filters.shape[2]})",
                list(filters), [str(i + 1) for i in range(len(filters))], columns=FILTER_COLUMNS)
    if p["save_filters"]:
        ctx.save_image("filters", _filter_sheet(filters))
    ctx.save(kept, variant=p["arch"], input_size=size, width=width)


def training_model(p: dict, shape, classes: int):
    """The compiled network the run trains, and the names of its outputs when it has
    several (a GoogLeNet with its auxiliary heads), else None."""
    size, width, _ = settings(p)
    auxiliary = p["arch"] == "googlenet" and p["auxiliary"]
    try:
        model = anatomy.get(p["arch"]).build(shape, classes, width=width,
                                             **({"auxiliary": True} if auxiliary else {}))
    except InputTooSmall as exc:
        raise BadInput(f"input_size {size} is too small for {p['arch']}: {exc}") from None
    outputs = model.output_names if auxiliary else None
    model.compile(optimizer=make_optimizer(p["optimizer"], p["learning_rate"]), **_objective(outputs))
    return model, outputs


def _objective(outputs) -> dict:
    """Loss, loss weights and metrics for compile: one head, or GoogLeNet's main head plus
    its auxiliary heads, whose losses count 0.3 each (the paper's weight)."""
    loss = "sparse_categorical_crossentropy"
    if not outputs:
        return {"loss": loss, "metrics": ["accuracy"]}
    return {"loss": {name: loss for name in outputs},
            "loss_weights": {name: 1.0 if name == "predictions" else AUXILIARY_LOSS_WEIGHT
                             for name in outputs},
            "metrics": {"predictions": ["accuracy"]}}


def report_anatomy(ctx, body: anatomy.Anatomy) -> None:
    ctx.metric("params", body.total_params)
    ctx.metric("macs", body.total_macs)
    ctx.metric("forward_activation_bytes", body.forward_activation_bytes)
    ctx.log(f"trained network: {anatomy.human(body.total_params)} parameters, "
            f"{anatomy.human(body.total_macs)} MACs and {anatomy.human(body.forward_activation_bytes, 'B')} "
            f"of activations per image; full size: workbench anatomy {body.arch}")
    heaviest = max(body.layers, key=lambda layer: layer.macs)
    ctx.log(f"most MACs: {heaviest.name} ({heaviest.macs / body.total_macs:.0%}); "
            f"parameters in fully connected layers: {body.share('params', {'Dense'}):.0%}")


def _first_conv(model) -> keras.layers.Conv2D:
    return next(layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D))


def first_layer_filters(model) -> np.ndarray:
    """Up to 32 first-layer kernels as (n, h, w) images, each scaled to [0, 1] on its own
    (averaged over input channels: a learner sees the spatial pattern each one detects)."""
    kernel = _first_conv(model).kernel.numpy()  # (h, w, in, filters)
    kernels = np.moveaxis(kernel.mean(axis=2), -1, 0)[:FILTERS_SHOWN]
    low = kernels.min(axis=(1, 2), keepdims=True)
    span = kernels.max(axis=(1, 2), keepdims=True) - low
    return (kernels - low) / np.where(span > 0, span, 1.0)


def _filter_sheet(filters: np.ndarray) -> np.ndarray:
    """The filters side by side with a one-pixel gap, as one grayscale image."""
    n, h, w = filters.shape
    sheet = np.ones((h, n * (w + 1) - 1), dtype="float32")
    for i, f in enumerate(filters):
        sheet[:, i * (w + 1): i * (w + 1) + w] = f
    return sheet
