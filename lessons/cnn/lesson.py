"""Lesson 3: train a classic CNN, and read its anatomy off the model that trained.

The full-size networks were built for 224x224 ImageNet photos and GPUs with days to
spare. To train one on a laptop in about a minute, the lesson keeps every architecture's
shape (its layer list, strides and pools) and shrinks two things: the number of filters
and units (`width`) and the input (the smallest size whose windows all still fit).
`workbench anatomy ARCH` shows the full-size network; this run reports the one it trained.
"""

from __future__ import annotations

import keras
import numpy as np

from lessons.cnn import CnnSettings
from lessons.cnn.classic import alexnet, lenet, zfnet
from lessons.cnn.googlenet import AUXILIARY_LOSS_WEIGHT, googlenet, inference_model
from lessons.cnn.nin import nin
from lessons.cnn.vgg import vgg11, vgg13, vgg16, vgg16c, vgg19
from lessons.common import make_optimizer, random_shifter, resizer, split_accuracies
from workbench.authoring import Anatomy, architecture, BadInput, human, InputTooSmall, of_model, shape_text

NETWORKS = {build.__name__: build for build in
            (lenet, alexnet, zfnet, vgg11, vgg13, vgg16c, vgg16, vgg19, nin, googlenet)}
FILTERS_SHOWN = 32
FILTER_COLUMNS = 16


def run(p: CnnSettings, ctx) -> None:
    data = ctx.images
    size = p.input_size
    shape = (size, size, data.image_shape[-1])
    model, outputs = training_model(p, shape, data.num_classes)
    auxiliary = outputs is not None
    ctx.log("{arch} at width {width:g} on {size}x{size} images ({height}x{across} {dataset} "
            "resized), {epochs} epochs",
            arch=p.arch, width=p.width, size=size, height=data.image_shape[0],
            across=data.image_shape[1], dataset=data.name, epochs=p.epochs)

    resized = resizer(size)

    def targets(x, y):  # every head of a GoogLeNet in training learns the same labels
        x, y = resized(x, y)
        return (x, {name: y for name in outputs}) if outputs else (x, y)

    # A digit moved a few pixels is the same digit: 1,078 training images go further.
    shifted = random_shifter(size)

    def image_bytes(x) -> int:  # what the resized copies of `x` take, in float32
        return len(x) * size * size * shape[-1] * 4

    fit = model.fit(ctx.batches(data.x_train, data.y_train, p.batch_size, shuffle=True,
                                preprocess=targets, augment=shifted if p.augment else None,
                                preprocessed_bytes=image_bytes(data.x_train)),
                    validation_data=ctx.batches(data.x_val, data.y_val, p.batch_size,
                                                preprocess=targets,
                                                preprocessed_bytes=image_bytes(data.x_val)),
                    epochs=p.epochs, verbose=0, callbacks=ctx.callbacks())

    kept = model
    if auxiliary:  # the network as it is used: one head; compiled so a reload can evaluate it
        kept = inference_model(model)
        kept.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    for name, accuracy in split_accuracies(kept, ctx, preprocess=resized,
                                           preprocessed_bytes=image_bytes).items():
        ctx.metric(name, accuracy)
    during = next(values[-1] for key, values in fit.history.items()
                  if key.endswith("accuracy") and not key.startswith("val"))
    if p.augment:
        ctx.log("train_accuracy {finished:.3f} scores the finished network on the training "
                "images as they are; the last epoch's {during:.3f} was averaged over shifted "
                "copies, while the weights were still moving",
                finished=ctx.metrics["train_accuracy"], during=during)
    else:
        ctx.log("train_accuracy {finished:.3f} scores the finished network on the training "
                "images as they are; the last epoch's {during:.3f} was averaged while the "
                "weights were still moving",
                finished=ctx.metrics["train_accuracy"], during=during)

    report_anatomy(ctx, of_model(kept, p.arch))
    report_first_conv(ctx, p.arch, kept)
    filters = first_layer_filters(kept)
    numbers = [str(i + 1) for i in range(len(filters))]
    ctx.picture(f"first layer's filters ({len(filters)} of {_first_conv(kept).filters}, "
                f"{filters.shape[1]}x{filters.shape[2]})", list(filters), numbers,
                columns=FILTER_COLUMNS)
    if p.save_filters:
        ctx.save_image("filters", list(filters), numbers, columns=FILTER_COLUMNS)
    ctx.save(kept, variant=p.arch, history=fit.history)


def training_model(p: CnnSettings, shape, classes: int):
    """The compiled network the run trains, and the names of its outputs when it has
    several (a GoogLeNet with its auxiliary heads), else None."""
    auxiliary = p.arch == "googlenet" and p.auxiliary
    try:
        model = NETWORKS[p.arch](shape, classes, width=p.width,
                                 **({"auxiliary": True} if auxiliary else {}))
    except InputTooSmall as exc:
        raise BadInput(f"input_size {p.input_size} is too small for {p.arch}: {exc}") from None
    outputs = model.output_names if auxiliary else None
    model.compile(optimizer=make_optimizer(p.optimizer, p.learning_rate), **_objective(outputs))
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


def report_anatomy(ctx, body: Anatomy) -> None:
    ctx.metric("params", body.total_params)
    ctx.metric("macs", body.total_macs)
    ctx.metric("forward_activation_bytes", body.forward_activation_bytes)
    ctx.log("trained network: {params} parameters, {macs} MACs and {activations} of "
            "activations per image; full size: workbench anatomy {arch}",
            params=human(body.total_params), macs=human(body.total_macs),
            activations=human(body.forward_activation_bytes, "B"), arch=body.arch)
    ctx.metric("dense_params_share", body.share("params", {"Dense"}))
    heaviest = max(body.layers, key=lambda layer: layer.macs)
    ctx.log("most MACs: {layer} ({share:.0%}); parameters in fully connected layers: "
            "{dense:.0%}",
            layer=heaviest.name, share=heaviest.macs / body.total_macs,
            dense=body.share("params", {"Dense"}))


def report_first_conv(ctx, arch: str, kept) -> None:
    """The first convolution's output shape in the network trained here, and in the same
    architecture at full size: the paper's input and width 1 (AlexNet: 55x55x96 on
    227x227x3), built without its top, so that even VGG builds in a second."""
    here = [int(d) for d in _first_conv(kept).output.shape[1:]]
    paper = architecture(arch)
    full = NETWORKS[arch](paper.input_shape, paper.classes, width=1.0, include_top=False)
    at_full_size = [int(d) for d in _first_conv(full).output.shape[1:]]
    del full
    ctx.metric("first_conv_output", here)
    ctx.metric("full_size_first_conv_output", at_full_size)
    inputs = shape_text(paper.input_shape)
    ctx.log("first convolution's output: {here} here; {full} at full size ({inputs} input, "
            "width 1)",
            here=shape_text(here), full=shape_text(at_full_size), inputs=inputs)


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


