"""Every CNN and ResNet builder as a backbone: `include_top`, `pooling` and `classes` as in
keras.applications, checked against keras.applications itself and against each builder's
own with-top model."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from lessons.backbone import top_or_pooling
from lessons.cnn.classic import alexnet, lenet, zfnet
from lessons.cnn.googlenet import googlenet
from lessons.cnn.nin import nin
from lessons.cnn.vgg import vgg11, vgg16, vgg19
from lessons.resnet.networks import cifar_resnet, imagenet_resnet

ALEXNET_TOP = ("flatten", "fc6", "drop6", "fc7", "drop7", "fc8")
VGG_TOP = ("flatten", "fc1", "drop1", "fc2", "drop2", "predictions")
POOLED = {"avg": np.mean, "max": np.max}

# name: (builder at a small width, the layers of its top, the last layer of the body, that
# layer's channels from the paper scaled by the width)
BACKBONES = {
    "lenet": (lambda classes, **kw: lenet((32, 32, 1), classes, 1.0, **kw),
              ("flatten", "f6", "output"), "c5", 120),
    "alexnet": (lambda classes, **kw: alexnet((227, 227, 3), classes, 0.125, **kw),
                ALEXNET_TOP, "pool5", 256 // 8),
    "zfnet": (lambda classes, **kw: zfnet((224, 224, 3), classes, 0.125, **kw),
              ALEXNET_TOP, "pool5", 512 // 8),
    "vgg11": (lambda classes, **kw: vgg11((32, 32, 3), classes, 0.125, **kw),
              VGG_TOP, "block5_pool", 512 // 8),
    "nin": (lambda classes, **kw: nin((224, 224, 3), classes, 0.125, **kw),
            ("mlpconv4_1x1b", "global_avg_pool", "predictions"), "mlpconv4_1x1a", 1024 // 8),
    "googlenet": (lambda classes, **kw: googlenet((224, 224, 3), classes, 0.125, **kw),
                  ("global_avg_pool", "drop", "predictions"), "inception_5b_output",
                  (384 + 384 + 128 + 128) // 8),
    "cifar_resnet": (lambda classes, **kw: cifar_resnet(8, "basic", True, (16, 16, 3), classes, 0.5, **kw),
                     ("global_avg_pool", "predictions"), "stage3_block1_out", 64 // 2),
}


@pytest.mark.parametrize("pooling", ["avg", "max"])
@pytest.mark.parametrize("arch", list(BACKBONES))
def test_a_headless_model_is_the_with_top_model_less_its_top(arch, pooling):
    build, top, last, channels = BACKBONES[arch]
    full = build(10)
    headless = build(3, include_top=False, pooling=pooling)  # classes is ignored without top

    assert headless.name == full.name
    assert tuple(headless.output.shape) == (None, channels)
    kept = {layer.name for layer in headless.layers} - {f"{pooling}_pool"}
    assert kept == {layer.name for layer in full.layers} - set(top)
    top_params = sum(full.get_layer(name).count_params() for name in top)
    assert top_params > 0
    assert full.count_params() - headless.count_params() == top_params

    # Same weights in, same features out: the pooled last feature map of the full model.
    for layer in headless.layers:
        if layer.weights:
            layer.set_weights(full.get_layer(layer.name).get_weights())
    images = np.random.default_rng(0).random((2, *full.input.shape[1:]), dtype="float32")
    feature_map = keras.Model(full.input, full.get_layer(last).output)(images, training=False)
    expected = POOLED[pooling](keras.ops.convert_to_numpy(feature_map), axis=(1, 2))
    got = keras.ops.convert_to_numpy(headless(images, training=False))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("arch", list(BACKBONES))
def test_without_pooling_a_headless_model_ends_at_the_last_feature_map(arch):
    build, _, last, channels = BACKBONES[arch]
    full, headless = build(10), build(10, include_top=False)
    assert tuple(headless.output.shape) == tuple(full.get_layer(last).output.shape)
    assert headless.output.shape[-1] == channels
    assert headless.layers[-1].name == last


@pytest.mark.parametrize("pooling", [None, "avg", "max"])
@pytest.mark.parametrize("ours, reference", [(vgg16, "VGG16"), (vgg19, "VGG19")])
def test_headless_vgg_is_keras_applications_vgg_without_top(ours, reference, pooling):
    mine = ours(include_top=False, pooling=pooling)
    # Without the top Keras defaults to any input size; ours keeps the paper's 224x224.
    theirs = getattr(keras.applications, reference)(include_top=False, weights=None,
                                                    input_shape=(224, 224, 3), pooling=pooling)
    assert mine.count_params() == theirs.count_params()
    assert tuple(mine.output.shape) == tuple(theirs.output.shape)
    assert tuple(mine.output.shape) == ((None, 7, 7, 512) if pooling is None else (None, 512))

    def kernels(model):
        return [(layer.name, tuple(layer.kernel.shape)) for layer in model.layers
                if isinstance(layer, keras.layers.Conv2D)]
    assert kernels(mine) == kernels(theirs)


def test_headless_resnet50_is_keras_applications_resnet50_without_top_or_conv_biases():
    ours = imagenet_resnet(50, include_top=False)
    theirs = keras.applications.ResNet50(include_top=False, weights=None, input_shape=(224, 224, 3))
    their_biases = sum(int(np.prod(layer.bias.shape)) for layer in theirs.layers
                       if isinstance(layer, keras.layers.Conv2D) and layer.use_bias)
    assert their_biases > 0
    assert ours.count_params() == theirs.count_params() - their_biases
    assert tuple(ours.output.shape) == tuple(theirs.output.shape) == (None, 7, 7, 2048)
    assert ours.name == "resnet50"


def test_with_the_top_pooling_is_ignored_as_in_keras():
    assert tuple(lenet(pooling="max").output.shape) == (None, 10)
    assert lenet(pooling="max").count_params() == 61_706


@pytest.mark.parametrize("include_top", [True, False])
def test_an_unknown_pooling_is_refused_naming_it(include_top):
    with pytest.raises(ValueError, match="'mean'") as refused:
        lenet(include_top=include_top, pooling="mean")
    assert "avg" in str(refused.value) and "max" in str(refused.value)
    with pytest.raises(ValueError, match="'flatten'"):
        top_or_pooling(keras.Input((4, 4, 2)), include_top, "flatten", top=lambda x: x)


def test_googlenet_auxiliary_classifiers_need_the_top():
    with pytest.raises(ValueError, match="auxiliary"):
        googlenet(width=0.125, auxiliary=True, include_top=False)
