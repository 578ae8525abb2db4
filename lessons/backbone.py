"""Every CNN and ResNet here can be a backbone: the `include_top` and `pooling` convention.

`keras.applications` (VGG16, ResNet50, ...) build a network with its classifier, the
"top", or without it for transfer learning: `include_top=False` ends the model at the
last feature map, and `pooling` optionally turns that map into one vector per image
("avg" or "max" over the positions). Our builders follow the same convention, so a
learner can swap a paper's network into a transfer-learning recipe unchanged. Without
the top, `classes` is ignored, as in Keras.
"""

from __future__ import annotations

from collections.abc import Callable

from keras import layers

POOLINGS = (None, "avg", "max")


def top_or_pooling(x, include_top: bool, pooling: str | None, top: Callable):
    """`top(x)` (the classifier head) with `include_top`; otherwise the feature map `x`
    itself (pooling None), or its global average ("avg") or maximum ("max") per channel.

    A pooling value other than those three is refused even with the top, where Keras would
    ignore it: a typo should not pass silently.
    """
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {POOLINGS}, received {pooling!r}")
    if include_top:
        return top(x)
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name="max_pool")(x)
    return x
