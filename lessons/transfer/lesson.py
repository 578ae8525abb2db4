"""Transfer learning, offline: a ResNet-8 learns classes 0-4 of a dataset (the source task:
digits 0-4 of the embedded digits), then helps with classes 5-9 (the new task) given only a
few labelled images per class.

The course's three ways, side by side on the same images, against training from scratch:
(1) freeze the backbone and train a new head through it; (2) run the backbone once over
the images, keep the feature vectors, and train the same head on them alone (the same
updates, cheaper epochs); (3) after (1), fine-tune the backbone's top block at a smaller
learning rate. BatchNormalization stays in inference mode throughout, which the run checks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import keras
import numpy as np

from lessons.transfer import STAGES, TransferSettings, imagenet
from lessons.transfer.modes import (Trainer, accuracy, bn_moving_means, classifier, cut,
                                    head, largest_change, resnet8, trainable_count,
                                    unfreeze_top_block)
from lessons.transfer.tasks import SOURCE, TARGET, few_shot, named, task

# Seconds per epoch are measured over at most this many images of the new task: enough to
# time (a few dozen take too little), few enough that Fashion-MNIST's 27,500 or MobileNetV2
# at 96x96 cost seconds, not minutes.
TIMED_IMAGES = 512


@dataclass(frozen=True)
class Reused:
    """A pretrained backbone as the modes use it."""
    backbone: keras.Model  # images -> feature vectors, pretrained
    from_scratch: keras.Model  # the same layers from random weights: the baseline
    unfreeze_top: Callable[[], None]  # fine-tuning's setting: the top block trains
    described: str  # for the saved model's metadata
    # The same pretrained weights cut after each stage, where the backbone has stages to
    # compare (accuracy_by_cut); empty otherwise.
    cuts: dict[str, keras.Model] = field(default_factory=dict)


def run(p: TransferSettings, ctx) -> None:
    data = ctx.images
    new_task = named(data.class_names, TARGET)
    reused = imagenet_mobilenet(p, ctx) if p.backbone == "mobilenetv2" else pretrained_resnet8(p, ctx)
    backbone = reused.backbone
    test_x, test_y = task(data.x_test, data.y_test, TARGET)
    pool_x, pool_y = task(data.x_train, data.y_train, TARGET)
    test_features = backbone.predict(test_x, verbose=0)

    # One compiled model per mode, reset for every draw: the curve costs fits, not compiles.
    features_head = Trainer(head(test_features.shape[-1], len(TARGET)), p.learning_rate)
    # The baseline's BatchNorm runs in inference mode too. With 10-50 images its moving
    # averages (momentum 0.99) stay near their start over 80 steps; in training mode the
    # ResNet-8 from scratch scored lower on Fashion-MNIST (0.76 against 0.80 at 10 images
    # per class, seed 0), so this is the stronger baseline, the fairer one to beat.
    scratch = Trainer(classifier(reused.from_scratch, head(test_features.shape[-1], len(TARGET),
                                                           "scratch_head"), "scratch"), p.learning_rate)
    curve = {"transfer (features)": [], "from scratch": []}
    rng = np.random.default_rng(ctx.seed)
    draws = {}
    for shots in p.shots:
        transfer_runs, scratch_runs = [], []
        for _ in range(p.repeats):
            ctx.check_cancelled()
            x, y = few_shot(pool_x, pool_y, shots, rng)
            draws.setdefault(shots, (x, y))
            features_head.fit(backbone.predict(x, verbose=0), y, p.epochs, per_epoch=False)
            transfer_runs.append(features_head.accuracy(test_features, test_y))
            scratch.fit(x, y, p.epochs, per_epoch=False)
            scratch_runs.append(scratch.accuracy(test_x, test_y))
        curve["transfer (features)"].append(float(np.mean(transfer_runs)))
        curve["from scratch"].append(float(np.mean(scratch_runs)))
        ctx.log("{shots} images per class, mean of {repeats} draws: transfer {transfer:.3f}, "
                "from scratch {scratch:.3f}",
                shots=shots, repeats=p.repeats, transfer=float(np.mean(transfer_runs)),
                scratch=float(np.mean(scratch_runs)))
    ctx.metric("accuracy_by_shots", {"images per class": list(p.shots), **curve})
    at = p.shots.index(p.compare_at)
    ctx.metric("transfer_test_accuracy", curve["transfer (features)"][at])
    ctx.metric("scratch_test_accuracy", curve["from scratch"][at])
    ctx.chart(f"test accuracy on {new_task} by labelled images per class (mean of draws)",
              "images per class", list(p.shots), curve)

    x, y = draws[p.compare_at]
    if reused.cuts:
        ctx.metric("accuracy_by_cut", {stage: features_accuracy(cut_here, x, y, test_x, test_y, p)
                                       for stage, cut_here in reused.cuts.items()})
    model, history = compare_modes(p, ctx, reused, (x, y), (test_x, test_y), (pool_x, pool_y),
                                   scratch)
    ctx.save(model, history=history, backbone=reused.described,
             trained=f"new head through the frozen backbone for {p.epochs} epochs, then its top "
                     f"block fine-tuned at {p.finetune_rate:g} for {p.finetune_epochs}, on "
                     f"{p.compare_at} images of each of {new_task}")


def pretrained_resnet8(p: TransferSettings, ctx) -> Reused:
    """ResNet-8 trained on the training images of classes 0-4 (`source_images` of them at
    most); its backbone cut after each stage (they share the pretrained weights)."""
    data = ctx.images
    network = resnet8(data.image_shape, len(SOURCE), p.width, include_top=True)
    x, y = task(data.x_train, data.y_train, SOURCE)
    if p.source_images:  # the split is shuffled already: the first n are a fair sample
        x, y = x[:p.source_images], y[:p.source_images]
    trainer = Trainer(network, p.pretrain_rate)
    trainer.fit(x, y, p.pretrain_epochs, ctx.callbacks(stage="pretrain", series="pretrain"),
                shuffle=True)
    source = accuracy(network, *task(data.x_test, data.y_test, SOURCE))
    ctx.metric("source_test_accuracy", source)
    source_task = named(data.class_names, SOURCE)
    ctx.log("pretrained ResNet-8 ({weights:,} weights) on {images} training images of {task}: "
            "test accuracy {accuracy:.3f} on its own task",
            weights=network.count_params(), images=len(y), task=source_task, accuracy=source)
    cuts = {stage: cut(network, stage) for stage in STAGES}
    return Reused(
        cuts[p.cut],
        cut(resnet8(data.image_shape, len(TARGET), p.width, include_top=False), p.cut),
        lambda: unfreeze_top_block(cuts[p.cut], p.cut),
        f"resnet8 (width {p.width:g}) up to {p.cut}, pretrained on {source_task} ({data.name})",
        cuts)


def imagenet_mobilenet(p: TransferSettings, ctx) -> Reused:
    """MobileNetV2 with ImageNet's weights: the source task is 1.2 million photographs,
    learnt long ago; only its weights file is needed (BadInput saying where, if absent)."""
    shape = ctx.images.image_shape
    weights = imagenet.imagenet_weights()
    backbone = imagenet.mobilenet_backbone(shape, weights=weights)
    ctx.log("MobileNetV2 (alpha {alpha}, {size}x{size} inputs, {weights:,} weights) pretrained "
            "on ImageNet, from {path}",
            alpha=imagenet.ALPHA, size=imagenet.SIZE, weights=backbone.count_params(), path=weights)
    return Reused(backbone, imagenet.mobilenet_backbone(shape, weights=None),
                  lambda: imagenet.unfreeze_top_block(backbone),
                  f"mobilenetv2 (alpha {imagenet.ALPHA}, {imagenet.SIZE}x{imagenet.SIZE}), "
                  f"pretrained on ImageNet")


def features_accuracy(backbone, x, y, test_x, test_y, p) -> float:
    """Mode (2) with the backbone cut elsewhere: how general each stage's features are."""
    trainer = Trainer(head(backbone.output_shape[-1], len(TARGET)), p.learning_rate)
    trainer.fit(backbone.predict(x, verbose=0), y, p.epochs, per_epoch=False)
    return trainer.accuracy(backbone.predict(test_x, verbose=0), test_y)


def compare_modes(p, ctx, reused: Reused, train, test, pool, scratch):
    """The three modes and the baseline on one draw (`train`): accuracy, and the number of
    weights each trains; and the seconds an epoch of each takes over the `pool`."""
    (x, y), (test_x, test_y), backbone = train, test, reused.backbone
    backbone.trainable = False
    moving_means = bn_moving_means(backbone)
    top = head(backbone.output_shape[-1], len(TARGET))
    twin = head(backbone.output_shape[-1], len(TARGET), "features_head")
    twin.set_weights(top.get_weights())
    frozen = Trainer(classifier(backbone, top, "transfer"), p.learning_rate)
    features = Trainer(twin, p.learning_rate)
    seconds = epoch_seconds(backbone, pool, frozen=frozen, features=features, scratch=scratch)
    ctx.metric("seconds_per_epoch", seconds)
    ctx.metric("features_speedup_per_epoch", seconds["(1) frozen"] / seconds["(2) features"])

    # (1) frozen backbone, the head trained through it: every epoch runs the backbone.
    frozen_history, _ = frozen.fit(x, y, p.epochs, ctx.callbacks(stage="(1) frozen", series="frozen"))
    # (2) the backbone runs once; a head with the same starting weights trains on arrays.
    features.fit(backbone.predict(x, verbose=0), y, p.epochs)
    ctx.metric("frozen_test_accuracy", frozen.accuracy(test_x, test_y))
    ctx.metric("features_test_accuracy", features.accuracy(backbone.predict(test_x, verbose=0), test_y))
    ctx.metric("frozen_bn_moving_mean_change", largest_change(moving_means, bn_moving_means(backbone)))

    # (3) fine-tune the top block after (1), at a smaller rate.
    reused.unfreeze_top()
    frozen.slow_down(p.finetune_rate)
    finetune_history, _ = frozen.fit(x, y, p.finetune_epochs, ctx.callbacks(
        stage="(3) fine-tune", series="fine-tune"), afresh=False)
    ctx.metric("finetune_test_accuracy", frozen.accuracy(test_x, test_y))
    ctx.metric("finetune_bn_moving_mean_change", largest_change(moving_means, bn_moving_means(backbone)))
    ctx.metric("trainable_weights", {"(1) frozen": trainable_count(top),
                                     "(2) features": trainable_count(twin),
                                     "(3) fine-tune": trainable_count(frozen.model),
                                     "from scratch": trainable_count(scratch.model)})
    m = ctx.metrics
    ctx.log("{shots} images per class: (1) frozen {frozen:.3f}, (2) features {features:.3f} "
            "with epochs {speedup:.1f}x faster, (3) fine-tuned {finetuned:.3f}, from scratch "
            "{scratch:.3f} (mean of draws)",
            shots=p.compare_at, frozen=m["frozen_test_accuracy"],
            features=m["features_test_accuracy"], speedup=m["features_speedup_per_epoch"],
            finetuned=m["finetune_test_accuracy"], scratch=m["scratch_test_accuracy"])
    history = {k: frozen_history[k] + finetune_history[k] for k in ("loss", "accuracy")}
    return frozen.model, history



TIMED_PASSES = 3


def epoch_seconds(backbone, pool, *, frozen, features, scratch) -> dict[str, float]:
    """Seconds per epoch of each mode over the training images of the new task (up to
    TIMED_IMAGES), the features extracted once first. The trainers start afresh at their
    next fit, so timing them costs nothing else."""
    x, y = (part[:TIMED_IMAGES] for part in pool)
    started = time.perf_counter()
    stored = backbone.predict(x, verbose=0)
    extraction = time.perf_counter() - started
    return {"(1) frozen": _per_epoch(frozen, x, y),
            "(2) features": _per_epoch(features, stored, y),
            "from scratch": _per_epoch(scratch, x, y),
            "(2) extracting the features, once": extraction}


def _per_epoch(trainer, x, y) -> float:
    trainer.fit(x, y, 1, per_epoch=False)  # the first fit also builds the training step
    return trainer.fit(x, y, TIMED_PASSES, per_epoch=False)[1]
