"""GoogLeNet (Szegedy et al., 2014): 22 layers of Inception modules, no big FC layers.

An Inception module runs 1x1, 3x3 and 5x5 convolutions and a 3x3 max pool side by side
on the same input and stacks their outputs along the channels. Done naively, the 3x3 and
5x5 convolutions over a deep input cost hundreds of millions of MACs per module; a 1x1
"bottleneck" convolution first squeezes the depth, and the cost drops by a factor of 3.
"""

from __future__ import annotations

import keras
from keras import layers

from lessons.backbone import top_or_pooling
from lessons.cnn.layers import avg_pool, classifier, conv, fc, lrn, max_pool, scaled

# Table 1 of the paper: #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj.
INCEPTION_MODULES = {
    "3a": (64, 96, 128, 16, 32, 32),
    "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64),
    "4b": (160, 112, 224, 24, 64, 64),
    "4c": (128, 128, 256, 24, 64, 64),
    "4d": (112, 144, 288, 32, 64, 64),
    "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128),
    "5b": (384, 192, 384, 48, 128, 128),
}
BODY = ["3a", "3b", "pool", "4a", "4b", "4c", "4d", "4e", "pool", "5a", "5b"]
AUXILIARY_AFTER = ("4a", "4d")  # the paper's two side classifiers
AUXILIARY_LOSS_WEIGHT = 0.3


def inception(x, n1x1: int, n3x3_reduce: int, n3x3: int, n5x5_reduce: int, n5x5: int,
              pool_proj: int, name: str):
    """The dimension-reduced module: a 1x1 bottleneck before the 3x3 and 5x5 convolutions
    and after the pool. A reduce or proj of 0 leaves that bottleneck out (the naive module)."""
    def squeezed(branch, filters, suffix):
        return conv(branch, filters, 1, name=f"{name}_{suffix}") if filters else branch

    branch_1x1 = conv(x, n1x1, 1, name=f"{name}_1x1")
    branch_3x3 = conv(squeezed(x, n3x3_reduce, "3x3_reduce"), n3x3, 3, name=f"{name}_3x3")
    branch_5x5 = conv(squeezed(x, n5x5_reduce, "5x5_reduce"), n5x5, 5, name=f"{name}_5x5")
    pooled = max_pool(x, 3, 1, "same", name=f"{name}_pool")
    branch_pool = squeezed(pooled, pool_proj, "pool_proj")
    return layers.Concatenate(name=f"{name}_output")([branch_1x1, branch_3x3, branch_5x5, branch_pool])


def inception_naive(input_shape=(28, 28, 256), classes: int = 0) -> keras.Model:
    """The lecture's example module without bottlenecks: 128 1x1, 192 3x3, 96 5x5 and the
    3x3 pool on a 28x28x256 input. The pool keeps all 256 channels: 28x28x672 out."""
    x = keras.Input(input_shape, name="previous_layer")
    return keras.Model(x, inception(x, 128, 0, 192, 0, 96, 0, name="naive"), name="inception_naive")


def inception_reduced(input_shape=(28, 28, 256), classes: int = 0) -> keras.Model:
    """The same module with 64-filter 1x1 bottlenecks before the 3x3 and 5x5 convolutions
    and after the pool: 28x28x480 out."""
    x = keras.Input(input_shape, name="previous_layer")
    return keras.Model(x, inception(x, 128, 64, 192, 64, 96, 64, name="reduced"),
                       name="inception_reduced")


def auxiliary_classifier(x, classes: int, width: float, name: str):
    """A side head that injects gradient into the middle of the net during training:
    5x5/3 average pool, 128 1x1 convolutions, FC-1024, dropout 70%, softmax."""
    x = avg_pool(x, 5, 3, name=f"{name}_pool")
    x = conv(x, scaled(128, width), 1, name=f"{name}_conv")
    x = layers.Flatten(name=f"{name}_flatten")(x)
    x = fc(x, scaled(1024, width), f"{name}_fc")
    x = layers.Dropout(0.7, name=f"{name}_drop")(x)
    return classifier(x, classes, name=name)


def googlenet(input_shape=(224, 224, 3), classes: int = 1000, width: float = 1.0,
              auxiliary: bool = False, *, include_top: bool = True,
              pooling: str | None = None) -> keras.Model:
    """The stem (conv 7x7/2, pool, LRN, 1x1 and 3x3 conv, LRN, pool), nine Inception
    modules with pools between stages, global average pooling, dropout 40%, one linear
    layer. With `auxiliary`, the model also outputs the two side classifiers
    ("aux1", "aux2"): they exist for training only and no inference model carries them.
    The top is the pooling, dropout and linear layer; `include_top=False` ends at 5b.
    """
    if auxiliary and not include_top:
        raise ValueError("auxiliary=True needs include_top=True: the side classifiers train "
                         "alongside the top, and a backbone has neither")
    w = width
    image = keras.Input(input_shape, name="image")
    x = conv(image, scaled(64, w), 7, 2, name="conv1_7x7")
    x = max_pool(x, 3, 2, "same", name="pool1")
    x = lrn(x, name="norm1")
    x = conv(x, scaled(64, w), 1, name="conv2_3x3_reduce")
    x = conv(x, scaled(192, w), 3, name="conv2_3x3")
    x = lrn(x, name="norm2")
    x = max_pool(x, 3, 2, "same", name="pool2")
    side_outputs, stage = [], 3
    for step in BODY:
        if step == "pool":
            x = max_pool(x, 3, 2, "same", name=f"pool{stage}")
            stage += 1
            continue
        x = inception(x, *(scaled(n, w) for n in INCEPTION_MODULES[step]), name=f"inception_{step}")
        if auxiliary and step in AUXILIARY_AFTER:
            side_outputs.append(auxiliary_classifier(x, classes, w, name=f"aux{len(side_outputs) + 1}"))

    def top(x):
        x = layers.GlobalAveragePooling2D(name="global_avg_pool")(x)
        x = layers.Dropout(0.4, name="drop")(x)
        return classifier(x, classes)

    x = top_or_pooling(x, include_top, pooling, top)
    return keras.Model(image, [x, *side_outputs] if auxiliary else x, name="googlenet")


def inference_model(model: keras.Model) -> keras.Model:
    """The network a trained GoogLeNet is used as: image in, main classifier out."""
    return keras.Model(model.inputs, model.get_layer("predictions").output, name=model.name)
