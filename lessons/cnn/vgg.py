"""VGG (Simonyan and Zisserman, 2014): only 3x3 convolutions, stacked deep.

`CONFIGURATIONS` is Table 1 of the paper, column by column, written the way the paper
writes it ("conv3-64" is a 3x3 convolution with 64 filters, "conv1-256" a 1x1 one); one
loop turns a column into layers. Three stacked 3x3 convolutions see a 7x7 patch, like
one 7x7 convolution, with 3 * 9 C^2 weights instead of 49 C^2 and two more ReLUs.
"""

from __future__ import annotations

import keras

from lessons.backbone import top_or_pooling
from lessons.cnn.layers import conv, max_pool, scaled, two_fc_top

CONFIGURATIONS = {
    "A": ["conv3-64", "maxpool",
          "conv3-128", "maxpool",
          "conv3-256", "conv3-256", "maxpool",
          "conv3-512", "conv3-512", "maxpool",
          "conv3-512", "conv3-512", "maxpool"],
    "B": ["conv3-64", "conv3-64", "maxpool",
          "conv3-128", "conv3-128", "maxpool",
          "conv3-256", "conv3-256", "maxpool",
          "conv3-512", "conv3-512", "maxpool",
          "conv3-512", "conv3-512", "maxpool"],
    "C": ["conv3-64", "conv3-64", "maxpool",
          "conv3-128", "conv3-128", "maxpool",
          "conv3-256", "conv3-256", "conv1-256", "maxpool",
          "conv3-512", "conv3-512", "conv1-512", "maxpool",
          "conv3-512", "conv3-512", "conv1-512", "maxpool"],
    "D": ["conv3-64", "conv3-64", "maxpool",
          "conv3-128", "conv3-128", "maxpool",
          "conv3-256", "conv3-256", "conv3-256", "maxpool",
          "conv3-512", "conv3-512", "conv3-512", "maxpool",
          "conv3-512", "conv3-512", "conv3-512", "maxpool"],
    "E": ["conv3-64", "conv3-64", "maxpool",
          "conv3-128", "conv3-128", "maxpool",
          "conv3-256", "conv3-256", "conv3-256", "conv3-256", "maxpool",
          "conv3-512", "conv3-512", "conv3-512", "conv3-512", "maxpool",
          "conv3-512", "conv3-512", "conv3-512", "conv3-512", "maxpool"],
}


def vgg(configuration: str, input_shape=(224, 224, 3), classes: int = 1000,
        width: float = 1.0, name: str | None = None, *, include_top: bool = True,
        pooling: str | None = None) -> keras.Model:
    """One column of Table 1, then FC-4096, FC-4096, FC-classes (dropout 0.5 after the first two).

    Layers are named as in Keras' applications (block1_conv1, block1_pool, fc1), so the
    full-size VGG16 and VGG19 line up with `keras.applications` layer for layer, with the
    top (the three FC layers) or without it (`include_top=False`, optional `pooling`).
    """
    image = keras.Input(input_shape, name="image")
    x, block, conv_in_block = image, 1, 0
    for entry in CONFIGURATIONS[configuration]:
        if entry == "maxpool":
            x = max_pool(x, 2, 2, name=f"block{block}_pool")
            block, conv_in_block = block + 1, 0
            continue
        size, filters = entry.removeprefix("conv").split("-")
        conv_in_block += 1
        x = conv(x, scaled(int(filters), width), int(size), name=f"block{block}_conv{conv_in_block}")

    top = two_fc_top(scaled(4096, width), classes, first=1, output="predictions")
    return keras.Model(image, top_or_pooling(x, include_top, pooling, top),
                       name=name or f"vgg_{configuration}")


def _configuration(letter: str, name: str):
    """The builder of one column of Table 1, named as `keras.applications` names it."""
    def build(input_shape=(224, 224, 3), classes: int = 1000, width: float = 1.0, *,
              include_top: bool = True, pooling: str | None = None) -> keras.Model:
        return vgg(letter, input_shape, classes, width, name=name, include_top=include_top,
                   pooling=pooling)

    build.__name__ = build.__qualname__ = name
    build.__doc__ = f"VGG configuration {letter} of Table 1 (see `vgg`)."
    return build


vgg11 = _configuration("A", "vgg11")
vgg13 = _configuration("B", "vgg13")
vgg16c = _configuration("C", "vgg16c")
vgg16 = _configuration("D", "vgg16")
vgg19 = _configuration("E", "vgg19")
