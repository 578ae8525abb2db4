"""MobileNetV2 on ImageNet as the transfer lesson's backbone, offline: its weights file found
in Keras' cache without the network, the one-line error when it is missing, the images
adapted inside the model, fine-tuning's trainable weights counted by hand, and a saved
classifier that loads again in safe mode. A stand-in file with known weights replaces the
real download."""

from __future__ import annotations

import shutil
import urllib.error
from pathlib import Path

import h5py
import keras
import numpy as np
import pytest
from keras.src.legacy.saving import legacy_h5_format
from keras.src.utils import file_utils

import workbench
from conftest import one_line_error, run_cli
from lessons.transfer import imagenet, modes
from workbench.errors import BadInput
from workbench.results import store


def mobilenet(weights):
    """Keras' own MobileNetV2 at the module's size, without the top: what the file fits."""
    return keras.applications.MobileNetV2(include_top=False, weights=weights, alpha=imagenet.ALPHA,
                                          input_shape=(imagenet.SIZE, imagenet.SIZE, 3))


@pytest.fixture(scope="module")
def stand_in(tmp_path_factory) -> tuple[Path, list[np.ndarray]]:
    """A weights file in the format of Keras' download (legacy HDF5, layer by layer) with
    seeded random weights, made once; and those weights."""
    network = mobilenet(weights=None)
    rng = np.random.default_rng(7)
    # Positive variances: BatchNorm divides by their square root.
    values = [np.abs(rng.normal(1.0, 0.1, v.shape)).astype("float32") if "variance" in v.path
              else rng.normal(0.0, 0.05, v.shape).astype("float32") for v in network.weights]
    network.set_weights(values)
    path = tmp_path_factory.mktemp("stand_in") / imagenet.weights_name()
    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, network)
    # The file is what Keras' own MobileNetV2(weights=path) reads.
    for expected, got in zip(values, mobilenet(weights=str(path)).get_weights()):
        np.testing.assert_array_equal(got, expected)
    return path, values


@pytest.fixture
def keras_home(tmp_path, monkeypatch) -> Path:
    """An empty Keras home for this test. Keras reads $KERAS_HOME once, at import; the
    module reads it at each call (as workbench.running.data does) and hands it to get_file."""
    home = tmp_path / "keras"
    monkeypatch.setenv("KERAS_HOME", str(home))
    return home


@pytest.fixture
def cached(keras_home, stand_in) -> Path:
    """The stand-in where Keras caches MobileNetV2's weights."""
    folder = keras_home / "models"
    folder.mkdir(parents=True)
    return Path(shutil.copy(stand_in[0], folder / imagenet.weights_name()))


@pytest.fixture
def no_network(monkeypatch):
    """Any download attempt fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"network used: {args}")

    monkeypatch.setattr(keras.utils, "get_file", refuse)
    monkeypatch.setattr(file_utils, "urlretrieve", refuse)


def digits(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((n, 8, 8, 1)).astype("float32")


def test_weights_file_is_the_one_keras_asks_for():
    # keras/src/applications/mobilenet_v2.py with include_top=False:
    # f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{rows}_no_top.h5"
    assert imagenet.weights_name() == ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_"
                                       "0.35_96_no_top.h5")


def test_cached_weights_are_used_without_the_network(cached, stand_in, no_network):
    path = imagenet.imagenet_weights()
    assert Path(path) == cached

    backbone = imagenet.mobilenet_backbone((8, 8, 1), weights=path)
    assert backbone.name == "mobilenetv2_imagenet"
    assert backbone.input_shape == (None, 8, 8, 1)
    assert backbone.output_shape == (None, imagenet.FEATURES)
    # The input layers have no weights: the backbone's weights are the stand-in's, in order.
    _, values = stand_in
    got = backbone.get_weights()
    assert len(got) == len(values)
    for i in (0, 1, len(values) // 2, -2, -1):
        np.testing.assert_array_equal(got[i], values[i])
    np.testing.assert_array_equal(backbone.get_layer("Conv1").kernel, values[0])

    features = backbone.predict(digits(5), verbose=0)
    assert features.shape == (5, imagenet.FEATURES)
    assert np.all(np.isfinite(features))


def test_images_are_resized_made_rgb_and_scaled_as_mobilenet_expects(cached, no_network):
    backbone = imagenet.mobilenet_backbone((8, 8, 1), weights=imagenet.imagenet_weights())
    x = digits(2)
    # What the first convolution sees: 96x96, three equal channels, in [-1, 1].
    prepared = keras.Model(backbone.input, backbone.get_layer("to_minus_one_one").output)(x)
    prepared = np.asarray(prepared)
    assert prepared.shape == (2, imagenet.SIZE, imagenet.SIZE, 3)
    np.testing.assert_array_equal(prepared[..., 0], prepared[..., 1])
    np.testing.assert_array_equal(prepared[..., 0], prepared[..., 2])
    assert -1.0 <= prepared.min() and prepared.max() <= 1.0
    # RGB images keep their channels; every layer is an ordinary one (no Lambda).
    rgb = imagenet.mobilenet_backbone((32, 32, 3), weights=None)
    assert rgb.name == "mobilenetv2_scratch"
    assert "gray_to_rgb" not in [layer.name for layer in rgb.layers]
    assert not any(isinstance(layer, keras.layers.Lambda) for layer in backbone.layers)


def test_missing_weights_offline_is_one_line_naming_the_file_and_folder(keras_home, monkeypatch):
    def offline(url, *args, **kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(file_utils, "urlretrieve", offline)
    with pytest.raises(BadInput) as raised:
        imagenet.imagenet_weights()
    message = str(raised.value)
    assert "\n" not in message
    assert imagenet.weights_name() in message
    assert str(keras_home / "models") in message
    assert "name resolution" in message
    assert not (keras_home / "models" / imagenet.weights_name()).exists()


def test_a_damaged_weights_file_is_one_line_too(cached):
    cached.write_bytes(b"not an HDF5 file")
    with pytest.raises(BadInput) as raised:
        imagenet.mobilenet_backbone((8, 8, 1), weights=str(cached))
    assert "\n" not in str(raised.value)
    assert str(cached) in str(raised.value)


def test_fine_tuning_trains_the_last_block_and_final_conv_only():
    backbone = imagenet.mobilenet_backbone((8, 8, 1), weights=None)
    backbone.trainable = False  # as the lesson leaves it after the frozen mode
    imagenet.unfreeze_top_block(backbone)
    # alpha 0.35: block_16 takes 56 channels, expands them 6x to 336, projects to 112;
    # Conv_1 widens to 1280. Convolutions without biases; BatchNorm stays frozen.
    by_hand = {"block_16_expand/kernel": (1, 1, 56, 336),
               "block_16_depthwise/kernel": (3, 3, 336, 1),
               "block_16_project/kernel": (1, 1, 336, 112),
               "Conv_1/kernel": (1, 1, 112, 1280)}
    assert {w.path: tuple(w.shape) for w in backbone.trainable_weights} == by_hand
    assert modes.trainable_count(backbone) == 56 * 336 + 9 * 336 + 336 * 112 + 112 * 1280
    batch_norms = [layer for layer in backbone.layers
                   if isinstance(layer, keras.layers.BatchNormalization)]
    assert len(batch_norms) == 52 and not any(layer.trainable for layer in batch_norms)
    # The lesson's helpers see them: the backbone is one flat model.
    assert len(modes.bn_moving_means(backbone)) == 52


def test_saved_classifier_loads_in_safe_mode(tmp_path):
    backbone = imagenet.mobilenet_backbone((8, 8, 1), weights=None)
    model = modes.classifier(backbone, modes.head(backbone.output_shape[-1], 5), "transfer")
    path = tmp_path / "transfer.h5"
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True, compile=False)
    x = digits(4, seed=1)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)


TINY = dict(backbone="mobilenetv2", shots=(1, 2), compare_at=2, repeats=1, epochs=2,
            finetune_epochs=1)


def test_the_lesson_reuses_imagenet_weights_in_all_three_modes(cached, stand_in, no_network,
                                                               tmp_path, monkeypatch):
    from lessons.transfer import lesson

    monkeypatch.setattr(lesson, "TIMED_IMAGES", 16)  # MobileNetV2 epochs timed on a few images
    result = workbench.run("transfer", models_dir=str(tmp_path / "models"), **TINY)
    m = result.metrics
    assert "source_test_accuracy" not in m and "accuracy_by_cut" not in m  # nothing pretrained here
    assert abs(m["frozen_test_accuracy"] - m["features_test_accuracy"]) <= 0.02
    assert m["frozen_bn_moving_mean_change"] == 0.0 and m["finetune_bn_moving_mean_change"] == 0.0
    head = imagenet.FEATURES * 5 + 5
    top = 56 * 336 + 9 * 336 + 336 * 112 + 112 * 1280  # block_16's convolutions and Conv_1
    counts = m["trainable_weights"]
    assert counts["(1) frozen"] == counts["(2) features"] == head
    assert counts["(3) fine-tune"] == head + top
    assert counts["from scratch"] > counts["(3) fine-tune"]

    model, info = store.load_model(result.model_path)
    assert info.metadata["backbone"] == "mobilenetv2 (alpha 0.35, 96x96), pretrained on ImageNet"
    # Below the fine-tuned top block, the saved backbone holds the stand-in's weights.
    _, values = stand_in
    np.testing.assert_array_equal(model.get_layer("mobilenetv2_imagenet").get_layer("Conv1").kernel,
                                  values[0])


def test_without_the_weights_file_the_run_says_where_to_put_it(tmp_path):
    home = tmp_path / "keras"
    env = {"KERAS_HOME": str(home), "https_proxy": "http://127.0.0.1:9",
           "http_proxy": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}
    proc = run_cli("run", "transfer", "--set", "backbone=mobilenetv2", "--models-dir",
                   str(tmp_path / "m"), env=env)
    assert proc.returncode == 2
    line = one_line_error(proc)
    assert imagenet.weights_name() in line and str(home / "models") in line
    assert not list((tmp_path / "m").glob("*.h5"))
