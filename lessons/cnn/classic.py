"""LeNet-5 (1998), AlexNet (2012) and ZFNet (2013): conv, pool, repeat, then fully connected.

Each builder reads like the layer list of its paper (or of the lecture, where the lecture
simplifies the paper). `width` scales every filter and unit count, so the same code builds
the full network for `workbench anatomy` and a small one that trains on a laptop.
"""

from __future__ import annotations

import keras
from keras import layers

from lessons.backbone import top_or_pooling
from lessons.cnn.layers import avg_pool, classifier, conv, fc, lrn, max_pool, scaled, two_fc_top


def lenet(input_shape=(32, 32, 1), classes: int = 10, width: float = 1.0, *,
          include_top: bool = True, pooling: str | None = None) -> keras.Model:
    """LeNet-5 (LeCun et al., 1998): 32x32 digits, two conv/subsample pairs, C5, F6, output.

    C3 is fully connected to S2's six maps here (the paper wires a hand-picked subset to
    break symmetry); subsampling is plain average pooling with no trainable coefficients.
    With those two choices the network has 61,706 parameters.
    The top is F6 and the output; without it (`include_top=False`) the model ends at C5.
    """
    w, tanh = width, {"activation": "tanh", "initializer": "lecun_uniform"}  # the paper's init for tanh
    image = keras.Input(input_shape, name="image")
    x = conv(image, scaled(6, w), 5, padding="valid", name="c1", **tanh)
    x = avg_pool(x, 2, 2, name="s2")
    x = conv(x, scaled(16, w), 5, padding="valid", name="c3", **tanh)
    x = avg_pool(x, 2, 2, name="s4")
    x = conv(x, scaled(120, w), 5, padding="valid", name="c5", **tanh)

    def top(x):
        x = layers.Flatten(name="flatten")(x)
        x = fc(x, scaled(84, w), "f6", **tanh)
        return classifier(x, classes, name="output")

    return keras.Model(image, top_or_pooling(x, include_top, pooling, top), name="lenet")


def _alexnet_family(name: str, input_shape, classes: int, width: float, *, conv1: tuple,
                    conv2_strides: int, conv345: tuple, same_pools: bool,
                    input_padding: int = 0, include_top: bool = True,
                    pooling: str | None = None) -> keras.Model:
    w = width
    filters1, size1, strides1 = conv1
    early_pool = "same" if same_pools else "valid"
    image = keras.Input(input_shape, name="image")
    x = layers.ZeroPadding2D(input_padding, name="pad1")(image) if input_padding else image
    x = conv(x, scaled(filters1, w), size1, strides1, padding="valid", name="conv1")
    x = max_pool(x, 3, 2, early_pool, name="pool1")
    x = lrn(x, name="norm1")
    x = conv(x, scaled(256, w), 5, conv2_strides, padding="same" if conv2_strides == 1 else "valid",
             name="conv2")
    x = max_pool(x, 3, 2, early_pool, name="pool2")
    x = lrn(x, name="norm2")
    for i, filters in enumerate(conv345, start=3):
        x = conv(x, scaled(filters, w), 3, name=f"conv{i}")
    x = max_pool(x, 3, 2, name="pool5")

    top = two_fc_top(scaled(4096, w), classes, first=6, output="fc8")
    return keras.Model(image, top_or_pooling(x, include_top, pooling, top), name=name)


def alexnet(input_shape=(227, 227, 3), classes: int = 1000, width: float = 1.0, *,
            include_top: bool = True, pooling: str | None = None) -> keras.Model:
    """AlexNet (Krizhevsky et al., 2012) as the lecture lists it: one tower, no groups.

    [227x227x3] input
    [55x55x96]  conv1: 96 11x11 filters, stride 4, pad 0
    [27x27x96]  pool1: 3x3, stride 2      [27x27x96] norm1
    [27x27x256] conv2: 256 5x5, stride 1, pad 2
    [13x13x256] pool2: 3x3, stride 2      [13x13x256] norm2
    [13x13x384] conv3, [13x13x384] conv4: 384 3x3, pad 1; [13x13x256] conv5: 256 3x3, pad 1
    [6x6x256]   pool5: 3x3, stride 2
    [4096] fc6, [4096] fc7, [1000] fc8  (the top; `include_top=False` ends at pool5)
    """
    return _alexnet_family("alexnet", input_shape, classes, width, conv1=(96, 11, 4),
                           conv2_strides=1, conv345=(384, 384, 256), same_pools=False,
                           include_top=include_top, pooling=pooling)


def zfnet(input_shape=(224, 224, 3), classes: int = 1000, width: float = 1.0, *,
          include_top: bool = True, pooling: str | None = None) -> keras.Model:
    """ZFNet (Zeiler and Fergus, 2013): AlexNet with a gentler first layer and wider middle.

    Lecture's changes: conv1 7x7 stride 2 (not 11x11 stride 4); conv3, 4, 5 with 512,
    1024, 512 filters (not 384, 384, 256). Sizes follow the paper's figure: 224 -> 110
    (conv1, pad 1) -> 55 (pool) -> 26 (conv2 5x5 stride 2) -> 13 (pool) -> 6 (pool5).
    The top is fc6, fc7, fc8, as in AlexNet; `include_top=False` ends at pool5.
    """
    return _alexnet_family("zfnet", input_shape, classes, width, conv1=(96, 7, 2),
                           conv2_strides=2, conv345=(512, 1024, 512), same_pools=True,
                           input_padding=1, include_top=include_top, pooling=pooling)
