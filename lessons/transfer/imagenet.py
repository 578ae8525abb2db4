"""MobileNetV2 pretrained on ImageNet as the transfer lesson's backbone: real photographs
as the source task, instead of a ResNet-8 trained on digits 0-4 a minute earlier.

Its weights come from Keras' cache (one file, downloaded once); offline and without the
file, the error says which file to put where, as the datasets do. The lesson's images are
small and often gray, so the backbone model resizes them, repeats a gray channel three
times and scales them as MobileNetV2 expects, all with ordinary layers: a saved classifier
loads again with Keras' safe mode on.
"""

from __future__ import annotations

import os
import socket

import keras

from lessons.transfer.modes import unfreeze_from
from workbench.authoring import BadInput, DOWNLOAD_TIMEOUT_S, keras_cache_dir

# The smallest MobileNetV2 (0.35 of the filters) at the smallest input size ImageNet weights
# exist for: a pass over a few hundred images takes seconds, not minutes, on a 2-core CPU.
ALPHA = 0.35
SIZE = 96
FEATURES = 1280  # the pooled feature vector: MobileNetV2's last 1x1 conv keeps 1280 for alpha <= 1

# Where keras/src/applications/mobilenet_v2.py downloads its weights from.
ORIGIN = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/"


def weights_name() -> str:
    """The file Keras asks its cache for with include_top=False at ALPHA and SIZE (the same
    expression as keras/src/applications/mobilenet_v2.py, so a file Keras itself downloaded
    is found)."""
    return f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(ALPHA)}_{SIZE}_no_top.h5"


def models_dir() -> str:
    """The folder Keras keeps downloaded model weights in: "models" beside the datasets'
    folder, under the Keras home."""
    return os.path.join(_keras_home(), "models")


def _keras_home() -> str:
    # Read now, like keras_cache_dir(): Keras itself reads $KERAS_HOME once, at import.
    return os.path.dirname(keras_cache_dir())


def imagenet_weights() -> str:
    """The local path of the ImageNet weights file: from the cache without touching the
    network, else downloaded (with a timeout) into it; else one BadInput line naming the
    file and the folder to put it in."""
    cached = os.path.join(models_dir(), weights_name())
    if os.path.isfile(cached):
        return cached
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)  # Keras downloads with no timeout of its own
    try:
        # The cache folder is passed on: Keras' own default is fixed when it is imported.
        return keras.utils.get_file(weights_name(), ORIGIN + weights_name(),
                                    cache_subdir="models", cache_dir=_keras_home())
    # URLError, HTTP errors, Keras' "URL fetch failure", a full disk: all one line.
    except Exception as exc:  # noqa: BLE001  (as workbench.running.data's downloads)
        raise BadInput(
            f"MobileNetV2's ImageNet weights are not in the Keras cache and could not be "
            f"downloaded ({_why_not_downloaded(exc)}); put {weights_name()} into {models_dir()}"
        ) from None
    finally:
        socket.setdefaulttimeout(previous)


def mobilenet_backbone(image_shape, *, weights: str | None) -> keras.Model:
    """Raw lesson images (float in [0, 1], 1 or 3 channels, any size) -> MobileNetV2's
    pooled 1280-long feature vector. `weights`: the path from imagenet_weights(), or None
    for random weights (the from-scratch baseline).

    One flat model: the input layers come first, then MobileNetV2's own layers with their
    own names, so code that walks `backbone.layers` (BatchNorm statistics, fine-tuning)
    sees them all, and the weights file loads by the same layer order as in Keras."""
    channels = image_shape[-1]
    if channels not in (1, 3):
        raise BadInput(f"MobileNetV2 takes gray or RGB images; these have {channels} channels")
    image = keras.Input(tuple(image_shape), name="image")
    x = keras.layers.Resizing(SIZE, SIZE, name="resize")(image)
    if channels == 1:  # a gray image as RGB: the same channel three times (no Lambda layer)
        x = keras.layers.Concatenate(name="gray_to_rgb")([x, x, x])
    # [0, 1] -> [-1, 1]: what mobilenet_v2.preprocess_input does to [0, 255] pixels.
    x = keras.layers.Rescaling(2.0, offset=-1.0, name="to_minus_one_one")(x)
    # Built on `x`, MobileNetV2's layers join the graph from `image` on: one model, not a
    # model inside a model. (Taken again with `image` alone as its input: Keras' own model
    # has a list of one input, and warns when called on an array.)
    network = keras.applications.MobileNetV2(input_tensor=x, alpha=ALPHA, include_top=False,
                                             weights=None, pooling="avg")
    backbone = keras.Model(image, network.output, name="mobilenetv2_scratch" if weights is None
                           else "mobilenetv2_imagenet")
    if weights is not None:
        _load(backbone, weights)
    return backbone


def _load(backbone: keras.Model, path: str) -> None:
    """The weights file into the backbone, as MobileNetV2(weights=path) does (the same
    legacy HDF5 loader, layer by layer in order: the input layers have no weights)."""
    try:
        backbone.load_weights(path)
    except Exception as exc:  # noqa: BLE001  (a damaged or foreign file: one line)
        raise BadInput(f"{path} is not MobileNetV2 ({ALPHA}, {SIZE}x{SIZE}) weights that Keras "
                       f"can read ({_first_line(exc)}); delete it, or put the real "
                       f"{weights_name()} there") from None


def unfreeze_top_block(backbone: keras.Model) -> None:
    """Fine-tuning's setting for this backbone: only the convolutions of MobileNetV2's last
    inverted-residual block (block_16) and of its final 1x1 conv (Conv_1) train; every
    BatchNormalization layer stays frozen. They are the last layers: from block_16's first on."""
    unfreeze_from(backbone, "block_16_expand")


def _why_not_downloaded(exc: Exception) -> str:
    """The cause, without the URL: Keras says "URL fetch failure on <origin>: <errno> --
    <reason>", and the origin alone would fill the line."""
    text = str(exc).strip()
    if text.startswith("URL fetch failure") and " -- " in text:
        return _first_line(Exception(text.split(" -- ", 1)[1]))
    return _first_line(exc)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:120] if text else type(exc).__name__
