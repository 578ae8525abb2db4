"""What `width=0`, `input_size=0` and `epochs=0` mean for each architecture (no Keras here)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Preset:
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
