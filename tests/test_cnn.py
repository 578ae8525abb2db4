"""CNN classics: builders against hand counts and keras.applications, anatomy, training."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

import workbench
from lessons.cnn import ARCHITECTURES, figures
from lessons.cnn.presets import PRESETS
from lessons.cnn.googlenet import googlenet, inference_model
from tests.conftest import kept_files, one_line_error, run_cli
from workbench.course.notes_figures import is_fresh
from workbench.errors import BadInput
from workbench.results import anatomy
from workbench.results import store
from workbench.running.events import Picture


def conv_params(filters, size, channels):
    return filters * size * size * channels + filters


def dense_params(inputs, outputs):
    return inputs * outputs + outputs


def test_lenet5_has_the_hand_counted_61706_parameters():
    hand = (conv_params(6, 5, 1) + conv_params(16, 5, 6) + conv_params(120, 5, 16)
            + dense_params(120, 84) + dense_params(84, 10))
    assert hand == 61_706
    assert anatomy.anatomy_of("lenet").total_params == hand


def test_alexnet_matches_the_lecture_layer_list():
    body = anatomy.anatomy_of("alexnet")
    hand = (conv_params(96, 11, 3) + conv_params(256, 5, 96) + conv_params(384, 3, 256)
            + conv_params(384, 3, 384) + conv_params(256, 3, 384)
            + dense_params(6 * 6 * 256, 4096) + dense_params(4096, 4096) + dense_params(4096, 1000))
    assert body.total_params == hand == 62_378_344
    shapes = {layer.name: layer.output_shape for layer in body.layers}
    assert shapes["conv1"] == [55, 55, 96]
    assert shapes["pool1"] == shapes["norm1"] == [27, 27, 96]
    assert shapes["conv2"] == [27, 27, 256]
    assert shapes["pool2"] == [13, 13, 256]
    assert shapes["conv3"] == shapes["conv4"] == [13, 13, 384]
    assert shapes["conv5"] == [13, 13, 256]
    assert shapes["pool5"] == [6, 6, 256]
    assert shapes["fc8"] == [1000]


def test_conv_and_dense_macs_are_the_hand_computed_products():
    body = anatomy.anatomy_of("alexnet")
    assert body.layer("conv1").macs == (55 * 55 * 96) * (11 * 11 * 3)
    assert body.layer("conv2").macs == (27 * 27 * 256) * (5 * 5 * 96)
    assert body.layer("fc6").macs == 9216 * 4096
    assert body.layer("pool1").macs == 0
    assert body.total_macs == sum(layer.macs for layer in body.layers)


def test_macs_of_a_recurrent_layer_count_every_gate_at_every_step():
    inputs = keras.Input((12, 5))
    model = keras.Model(inputs, keras.layers.LSTM(7)(inputs))
    lstm = anatomy.of_model(model).layers[-1]
    assert lstm.macs == 12 * 4 * 7 * (5 + 7)
    assert lstm.params == 4 * 7 * (5 + 7 + 1)


@pytest.mark.parametrize("name, reference", [("vgg16", "VGG16"), ("vgg19", "VGG19")])
def test_vgg_matches_keras_applications_layer_by_layer(name, reference):
    ours = anatomy.anatomy_of(name)
    theirs = getattr(keras.applications, reference)(weights=None)
    assert ours.total_params == theirs.count_params()
    their_layers = {layer.name: layer for layer in theirs.layers}
    weighted = [layer for layer in ours.layers if layer.params]
    assert len(weighted) == len([layer for layer in theirs.layers if layer.count_params()])
    for layer in weighted:
        assert layer.params == their_layers[layer.name].count_params(), layer.name
        assert layer.output_shape == list(their_layers[layer.name].output.shape[1:]), layer.name


def test_vgg_configuration_c_replaces_the_third_conv_of_blocks_3_to_5_with_1x1():
    c, d = anatomy.anatomy_of("vgg16c"), anatomy.anatomy_of("vgg16")
    difference = d.total_params - c.total_params
    hand = sum(conv_params(n, 3, n) - conv_params(n, 1, n) for n in (256, 512, 512))
    assert difference == hand


def test_vgg16_forward_memory_is_the_sum_of_its_layer_outputs():
    sizes = ([224 * 224 * 3] + [224 * 224 * 64] * 2 + [112 * 112 * 64] + [112 * 112 * 128] * 2
             + [56 * 56 * 128] + [56 * 56 * 256] * 3 + [28 * 28 * 256] + [28 * 28 * 512] * 3
             + [14 * 14 * 512] + [14 * 14 * 512] * 3 + [7 * 7 * 512] + [4096, 4096, 1000])
    assert anatomy.anatomy_of("vgg16").forward_activation_bytes == 4 * sum(sizes)


def test_inception_module_costs_match_the_lecture_terms():
    naive, reduced = anatomy.anatomy_of("inception_naive"), anatomy.anatomy_of("inception_reduced")
    positions = 28 * 28
    assert naive.layers[-1].output_shape == [28, 28, 128 + 192 + 96 + 256]
    assert naive.total_macs == positions * (128 * 256 + 192 * 9 * 256 + 96 * 25 * 256)
    assert reduced.layers[-1].output_shape == [28, 28, 128 + 192 + 96 + 64]
    assert reduced.total_macs == positions * (3 * 64 * 256 + 128 * 256 + 192 * 9 * 64 + 96 * 25 * 64)
    assert naive.total_macs / reduced.total_macs > 3


def test_googlenet_auxiliary_heads_exist_only_for_training():
    training = googlenet(width=0.25, auxiliary=True)
    assert len(training.outputs) == 3
    kept = inference_model(training)
    assert len(kept.outputs) == 1
    assert not [layer for layer in kept.layers if layer.name.startswith("aux")]
    aux_params = sum(layer.count_params() for layer in training.layers if layer.name.startswith("aux"))
    assert aux_params > 0
    assert kept.count_params() == training.count_params() - aux_params
    assert kept.count_params() == googlenet(width=0.25).count_params()


def test_too_small_an_input_names_the_layer_where_the_size_runs_out():
    with pytest.raises(BadInput, match=r"input 32x32x3 is too small for alexnet: .*layer pool2"):
        anatomy.anatomy_of("alexnet", (32, 32, 3))


def test_notes_figures_are_the_ones_the_code_computes():
    assert is_fresh(figures.NOTES, figures.render), "run: python -m lessons.cnn.figures"


def test_anatomy_cli_json_follows_the_contract():
    proc = run_cli("anatomy", "lenet", "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert set(report) == {"arch", "input_shape", "layers", "total_params", "trainable_params",
                           "total_macs", "forward_activation_bytes"}
    assert report["trainable_params"] == report["total_params"]  # LeNet has no BatchNorm
    assert report["arch"] == "lenet" and report["input_shape"] == [32, 32, 1]
    assert set(report["layers"][0]) == {"name", "type", "output_shape", "params", "macs", "activations"}
    assert report["total_params"] == 61_706 == sum(layer["params"] for layer in report["layers"])
    c1 = next(layer for layer in report["layers"] if layer["name"] == "c1")
    assert c1["macs"] == 28 * 28 * 6 * 25 and c1["activations"] == 28 * 28 * 6


def test_anatomy_cli_takes_input_and_classes():
    proc = run_cli("anatomy", "vgg11", "--input", "64x64x1", "--classes", "10", "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["input_shape"] == [64, 64, 1]
    assert report["layers"][-1]["output_shape"] == [10]
    flatten = next(layer for layer in report["layers"] if layer["name"] == "flatten")
    assert flatten["output_shape"] == [2 * 2 * 512]


@pytest.mark.parametrize("args, message", [
    (("alexnet", "--input", "32x32x3"), "too small for alexnet: the size runs out at layer pool2"),
    (("alexnet", "--input", "227x227"), "input must look like HxWxC"),
    (("alexnet", "--input", "0x227x3"), "out of range"),
    (("resnet9000",), "unknown architecture 'resnet9000'"),
    (("lenet", "--classes", "zero"), "classes: expected an integer"),
])
def test_anatomy_cli_refuses_bad_input_in_one_line(args, message):
    proc = run_cli("anatomy", *args)
    assert proc.returncode == 2
    assert message in one_line_error(proc)


TINY = {"width": 0.0625, "epochs": 1, "batch_size": 128}


@pytest.mark.parametrize("arch", PRESETS)
def test_every_architecture_trains_at_tiny_size_and_reloads(arch, models_dir):
    events = []
    result = workbench.run("cnn", arch=arch, on_event=events.append, **TINY)
    path = models_dir / f"cnn-{arch}.h5"
    assert result.model_path == str(path) and path.exists()
    assert 0.0 <= result.metrics["test_accuracy"] <= 1.0
    model, info = store.load_model(path, lessons=("cnn",))
    assert info.metadata["variant"] == arch
    assert len(model.outputs) == 1  # GoogLeNet's auxiliary heads are not saved
    assert result.metrics["params"] == model.count_params()
    size = info.metadata["params"]["input_size"]
    batch = np.random.default_rng(0).random((3, size, size, 1), dtype="float32")
    reloaded = keras.models.load_model(path).predict(batch, verbose=0)
    np.testing.assert_allclose(reloaded, model.predict(batch, verbose=0), rtol=1e-5, atol=1e-6)
    pictures = [e for e in events if isinstance(e, Picture)]
    first_conv = next(layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D))
    assert len(pictures[-1].images) == min(32, first_conv.filters)
    assert len(pictures[-1].images[0]) == first_conv.kernel_size[0]


def test_the_lesson_trains_the_very_builders_anatomy_takes_apart():
    from lessons.cnn.lesson import NETWORKS
    from workbench.registry import load

    declared = {a.name: load(a.builder) for a in ARCHITECTURES}
    assert list(NETWORKS) == list(PRESETS)
    assert all(NETWORKS[name] is declared[name] for name in NETWORKS)


def test_lenet_default_run_reaches_097_on_digits(models_dir):
    proc = run_cli("run", "cnn", "--set", "arch=lenet", "--json", "--quiet",
                   "--set", "save_filters=true")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["metrics"]["test_accuracy"] >= 0.97
    assert result["params"]["arch"] == "lenet"
    assert (models_dir / "cnn-lenet-filters.png").exists()


def test_an_input_size_too_small_for_the_architecture_is_refused(models_dir):
    proc = run_cli("run", "cnn", "--set", "arch=alexnet", "--set", "input_size=32")
    assert proc.returncode == 2
    assert "input_size 32 is too small for alexnet: the size runs out at layer pool2" in one_line_error(proc)
    assert kept_files(models_dir) == []  # (the run history records the refused run)


def test_width_scales_every_filter_and_unit_count_but_not_the_classes():
    half = anatomy.registry.architectures()["alexnet"].build(width=0.5)
    hand = (conv_params(48, 11, 3) + conv_params(128, 5, 48) + conv_params(192, 3, 128)
            + conv_params(192, 3, 192) + conv_params(128, 3, 192)
            + dense_params(6 * 6 * 128, 2048) + dense_params(2048, 2048) + dense_params(2048, 1000))
    assert half.count_params() == hand


def test_alexnet_trains_under_mixed_precision_on_cpu(models_dir):
    # bfloat16 on a CPU: the LRN layer must not hand TensorFlow a type it has no kernel for.
    result = workbench.run("cnn", arch="alexnet", precision="mixed", **TINY)
    model, info = store.load_model(result.model_path, lessons=("cnn",))
    assert info.metadata["precision"] in ("mixed_bfloat16", "mixed_float16")
    assert model.get_layer("norm1").compute_dtype in ("bfloat16", "float16")


def test_anatomy_counts_a_free_length_sequence_model_per_time_step():
    from lessons.lstm.model import build_char_lstm

    body = anatomy.of_model(build_char_lstm(50, 16, 32, 2, 0.0))
    assert body.input_shape == [None]
    recurrent = [layer for layer in body.layers if layer.type == "LSTM"]
    assert [layer.macs for layer in recurrent] == [4 * 32 * (16 + 32), 4 * 32 * (32 + 32)]
    assert body.layers[-1].macs == 32 * 50 and body.layers[-1].output_shape == [None, 50]


def test_anatomy_of_a_saved_model_reads_the_file(saved_knn):
    proc = run_cli("anatomy", str(saved_knn), "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["arch"] == "knn"
    assert report["total_params"] == store.describe(saved_knn).total_params
    refused = run_cli("anatomy", str(saved_knn), "--input", "8x8x1")
    assert refused.returncode == 2
    assert "apply to an architecture, not to a saved model" in one_line_error(refused)


def test_lenet_pools_name_the_layer_where_a_small_input_runs_out():
    with pytest.raises(BadInput, match=r"too small for lenet: the size runs out at layer s2"):
        anatomy.anatomy_of("lenet", (5, 5, 1))
    proc = run_cli("anatomy", "lenet", "--input", "15x15x1")
    assert proc.returncode == 2 and "at layer s4" in one_line_error(proc)


def test_zfnet_follows_the_papers_sizes():
    shapes = {layer.name: layer.output_shape for layer in anatomy.anatomy_of("zfnet").layers}
    assert shapes["conv1"] == [110, 110, 96]
    assert shapes["pool1"] == [55, 55, 96]
    assert shapes["conv2"] == [26, 26, 256]
    assert shapes["pool2"] == [13, 13, 256]
    assert [shapes[f"conv{i}"][-1] for i in (3, 4, 5)] == [512, 1024, 512]
    assert shapes["pool5"] == [6, 6, 512]


def test_googlenet_modules_have_table_1s_output_sizes():
    shapes = {layer.name: layer.output_shape for layer in anatomy.anatomy_of("googlenet").layers}
    table_1 = {"3a": [28, 28, 256], "3b": [28, 28, 480], "4a": [14, 14, 512], "4b": [14, 14, 512],
               "4c": [14, 14, 512], "4d": [14, 14, 528], "4e": [14, 14, 832], "5a": [7, 7, 832],
               "5b": [7, 7, 1024]}
    for module, shape in table_1.items():
        assert shapes[f"inception_{module}_output"] == shape, module
    assert shapes["conv1_7x7"] == [112, 112, 64] and shapes["conv2_3x3"] == [56, 56, 192]


def test_nin_has_no_fully_connected_layer_and_one_map_per_class():
    body = anatomy.anatomy_of("nin", classes=10)
    assert not [layer for layer in body.layers if layer.type == "Dense"]
    assert body.layer("mlpconv4_1x1b").output_shape[-1] == 10
    assert body.layers[-1].output_shape == [10]


def test_separable_conv_macs_are_depthwise_plus_pointwise_at_the_output_size():
    inputs = keras.Input((32, 32, 8))
    model = keras.Model(inputs, keras.layers.SeparableConv2D(16, 3, strides=2, padding="same")(inputs))
    layer = anatomy.of_model(model).layers[-1]
    assert layer.macs == 16 * 16 * 8 * 9 + 16 * 16 * 16 * 8
