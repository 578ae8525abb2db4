"""Residual lesson: identity at zero, parameter counts, plain twins, a tiny comparison."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

import workbench
from lessons.resnet import blocks, figures
from lessons.resnet import ResnetSettings
from lessons.resnet.diagnostics import conv_layers
from lessons.resnet.lesson import copy_shared_weights, step_schedule
from lessons.resnet.networks import cifar_resnet, imagenet_resnet
from tests.conftest import one_line_error, run_cli
from workbench.course.notes_figures import is_fresh
from workbench.results import anatomy
from workbench.results import store


def zero_residual_branch(model, block_name: str, closing_bn: str) -> None:
    """Every kernel of F(x), and the scale and shift of the BN that closes it, set to 0."""
    for layer in model.layers:
        if not layer.name.startswith(f"{block_name}_") or "_projection" in layer.name:
            continue
        if isinstance(layer, keras.layers.Conv2D):
            layer.kernel.assign(np.zeros(layer.kernel.shape, "float32"))
        if layer.name == f"{block_name}_{closing_bn}_bn":
            layer.gamma.assign(np.zeros(layer.gamma.shape, "float32"))
            layer.beta.assign(np.zeros(layer.beta.shape, "float32"))


@pytest.mark.parametrize("block, filters, closing", [("basic", 16, "2"), ("bottleneck", 4, "3")])
def test_a_block_with_zero_residual_weights_is_the_identity(block, filters, closing):
    x = keras.Input((8, 8, 16))
    model = keras.Model(x, blocks.BLOCKS[block](x, filters, name="b"))
    # Random (trained-looking) BN statistics elsewhere must not matter.
    rng = np.random.default_rng(0)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.moving_mean.assign(rng.normal(size=layer.moving_mean.shape).astype("float32"))
    zero_residual_branch(model, "b", closing)
    inputs = rng.normal(size=(5, 8, 8, 16)).astype("float32")
    np.testing.assert_array_equal(model(inputs, training=False).numpy(), np.maximum(inputs, 0))
    non_negative = np.abs(inputs)  # what a block sees after an earlier block's ReLU
    np.testing.assert_array_equal(model(non_negative, training=False).numpy(), non_negative)


def test_parameter_counts_match_he_et_al():
    assert anatomy.anatomy_of("resnet20").total_params == pytest.approx(0.27e6, rel=0.02)
    assert anatomy.anatomy_of("resnet56").total_params == pytest.approx(0.85e6, rel=0.02)
    assert anatomy.anatomy_of("resnet110").total_params == pytest.approx(1.7e6, rel=0.03)
    assert anatomy.anatomy_of("resnet50").total_params == pytest.approx(25.6e6, rel=0.01)


def test_resnet50_is_keras_applications_resnet50_without_conv_biases():
    ours = imagenet_resnet(50)
    theirs = keras.applications.ResNet50(weights=None)
    their_biases = sum(int(np.prod(layer.bias.shape)) for layer in theirs.layers
                       if isinstance(layer, keras.layers.Conv2D) and layer.use_bias)
    assert ours.count_params() == theirs.count_params() - their_biases
    ours_convs = sorted(tuple(layer.kernel.shape) for layer in ours.layers if isinstance(layer, keras.layers.Conv2D))
    their_convs = sorted(tuple(layer.kernel.shape) for layer in theirs.layers if isinstance(layer, keras.layers.Conv2D))
    assert ours_convs == their_convs


@pytest.mark.parametrize("build", [lambda s: cifar_resnet(20, "basic", s, width=0.5),
                                   lambda s: cifar_resnet(29, "bottleneck", s, width=0.5),
                                   lambda s: imagenet_resnet(18, s, (64, 64, 3), 10, 0.25)])
def test_the_plain_twin_differs_only_by_the_shortcuts(build):
    residual, plain = build(True), build(False)
    shortcut_layers = {layer.name for layer in residual.layers
                       if "_projection" in layer.name or layer.name.endswith("_add")}
    assert shortcut_layers
    assert {layer.name for layer in plain.layers} == {layer.name for layer in residual.layers} - shortcut_layers
    for layer in plain.layers:
        twin = residual.get_layer(layer.name)
        assert type(twin) is type(layer)
        assert [w.shape for w in twin.weights] == [w.shape for w in layer.weights]
        assert twin.output.shape == layer.output.shape
    copy_shared_weights(residual, plain)
    for layer in plain.layers:
        for mine, theirs in zip(layer.get_weights(), residual.get_layer(layer.name).get_weights()):
            np.testing.assert_array_equal(mine, theirs)


def test_a_cifar_resnet_has_6n_plus_2_weighted_layers():
    model = cifar_resnet(32, "basic", True, width=0.25)
    weighted = conv_layers(model) + [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    assert len(weighted) == 32


def test_the_paper_schedule_fills_in_what_was_left_at_zero():
    paper = ResnetSettings(schedule="paper").with_presets()
    assert (paper.width, paper.epochs, paper.batch_size, paper.learning_rate) == (1.0, 182, 128, 0.1)
    assert ResnetSettings(schedule="paper", epochs=3).with_presets().epochs == 3
    quick = ResnetSettings().with_presets()
    assert (quick.width, quick.epochs, quick.batch_size, quick.learning_rate) == (0.5, 12, 64, 0.001)


def test_the_paper_schedule_divides_the_rate_by_10_at_half_and_three_quarters():
    schedule = step_schedule(ResnetSettings(schedule="paper", epochs=4).with_presets(), 10)
    rates = [float(schedule(step)) for step in range(40)]  # 4 epochs of 10 steps
    expected = [0.1] * 20 + [0.01] * 10 + [0.001] * 10  # drops at epochs round(2.0), round(3.0)
    np.testing.assert_allclose(rates, expected, rtol=1e-6)
    assert step_schedule(ResnetSettings().with_presets(), 10) == 0.001  # quick: no drops


def test_notes_figures_are_the_ones_the_code_computes():
    assert is_fresh(figures.NOTES, figures.render), "run: python -m lessons.resnet.figures"


def test_tiny_comparison_trains_both_twins_and_saves_both(models_dir):
    result = workbench.run("resnet", depth=8, width=0.25, epochs=2, batch_size=128)
    m = result.metrics
    assert m["identity_max_error"] == 0.0
    for twin in ("plain", "residual"):
        assert len(m[f"{twin}_loss_per_epoch"]) == 2
        assert m[f"{twin}_final_train_loss"] == m[f"{twin}_loss_per_epoch"][-1]
        assert len(m[f"{twin}_first_conv_grad_norm"]) == 3  # at initialisation, then per epoch
        stages = m[f"{twin}_stage_grad_norms"]
        assert list(stages) == ["stem", "stage1", "stage2", "stage3", "last"]
        assert stages["stem"] == m[f"{twin}_first_conv_grad_norm"]
        assert all(len(series) == 3 for series in stages.values())
        norms = m[f"{twin}_grad_norms"]
        assert list(norms)[0] == "stem_conv" and len(norms) == 7  # 6n+2 - 1 (the softmax layer)
        assert all(value > 0 for value in norms.values())
    assert m["trained_better"] in ("plain", "residual")
    residual, info = store.load_model(models_dir / "resnet-8.h5", lessons=("resnet",))
    plain, plain_info = store.load_model(models_dir / "resnet-8-plain.h5", lessons=("resnet",))
    assert result.model_path == str(models_dir / "resnet-8.h5")
    assert info.metadata["variant"] == "8" and plain_info.metadata["variant"] == "8-plain"
    assert not [layer for layer in plain.layers if layer.name.endswith("_add")]
    assert len([layer for layer in residual.layers if layer.name.endswith("_add")]) == 3
    # Each file carries its own net's accuracy and history; the run's Result the residual's.
    assert info.metadata["metrics"]["test_accuracy"] == m["test_accuracy"]
    assert plain_info.metadata["metrics"]["test_accuracy"] == m["plain_test_accuracy"]
    for meta, twin in ((info.metadata, "residual"), (plain_info.metadata, "plain")):
        assert [row["epoch"] for row in meta["history"]] == [1, 2]
        assert [row["loss"] for row in meta["history"]] == pytest.approx(m[f"{twin}_loss_per_epoch"])
        used = {name: meta["params"][name] for name in ("width", "epochs", "batch_size", "learning_rate")}
        assert used == {"width": 0.25, "epochs": 2, "batch_size": 128, "learning_rate": 0.001}


def test_a_bottleneck_net_is_saved_under_its_own_name(models_dir):
    result = workbench.run("resnet", depth=11, block="bottleneck", compare=False, width=0.125,
                           epochs=1, batch_size=256)
    assert result.model_path == str(models_dir / "resnet-11-bottleneck.h5")
    assert not (models_dir / "resnet-11.h5").exists()


@pytest.mark.parametrize("sets, message", [
    (["depth=21"], "depth 21 does not fit the CIFAR ResNet with basic blocks: depth must be 6n+2 (20, 32, 44, 56, 110, ...)"),
    (["depth=32", "block=bottleneck"], "depth 32 does not fit the CIFAR ResNet with bottleneck blocks: depth must be 9n+2 (29, 47, 56, 110, 164, ...)"),
    (["family=imagenet", "depth=20"], "depth 20 is not an ImageNet ResNet: choose one of 18, 34, 50, 101, 152"),
    (["family=imagenet", "depth=18", "block=bottleneck"], "ResNet-18 uses basic blocks"),
])
def test_depths_that_do_not_fit_are_refused_with_the_allowed_values(sets, message, models_dir):
    proc = run_cli("run", "resnet", *[arg for s in sets for arg in ("--set", s)])
    assert proc.returncode == 2
    assert message in one_line_error(proc)
    assert not models_dir.exists()


def test_anatomy_shows_residual_and_plain_twins():
    proc = run_cli("anatomy", "plain20", "--json")
    assert proc.returncode == 0, proc.stderr
    plain = json.loads(proc.stdout)
    assert plain["total_params"] == cifar_resnet(20, "basic", False).count_params()
    assert not [layer for layer in plain["layers"] if layer["type"] == "Add"]


@pytest.mark.parametrize("depth, trainable", [(18, 11_689_512), (34, 21_797_672)])
def test_resnet18_and_34_have_the_reference_trainable_parameter_counts(depth, trainable):
    # torchvision's published counts; BatchNorm's moving statistics are not trainable.
    model = imagenet_resnet(depth)
    assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == trainable


@pytest.mark.parametrize("depth, reference", [(101, "ResNet101"), (152, "ResNet152")])
def test_resnet101_and_152_match_keras_applications_less_conv_biases(depth, reference):
    theirs = getattr(keras.applications, reference)(weights=None)
    their_biases = sum(int(np.prod(layer.bias.shape)) for layer in theirs.layers
                       if isinstance(layer, keras.layers.Conv2D) and layer.use_bias)
    assert imagenet_resnet(depth).count_params() == theirs.count_params() - their_biases


def test_measuring_gradients_leaves_batchnorm_statistics_alone():
    from lessons.resnet.diagnostics import GradientProbe

    model = cifar_resnet(8, "basic", True, (16, 16, 1), 10, 0.25)
    probe = GradientProbe((np.random.default_rng(0).random((8, 16, 16, 1), dtype="float32"),
                           np.arange(8) % 10))
    probe.set_model(model)
    before = [v.numpy().copy() for v in model.non_trainable_variables]
    norms = probe.norms()
    assert len(norms) == 7 and all(value > 0 for value in norms.values())
    for old, variable in zip(before, model.non_trainable_variables):
        np.testing.assert_array_equal(old, variable.numpy())


def test_the_papers_weight_decay_is_decay_times_w_in_the_gradient():
    from lessons.resnet.lesson import add_weight_decay

    model = cifar_resnet(8, "basic", True, (16, 16, 1), 10, 0.25)
    add_weight_decay(model, 1e-4)
    kernels = [layer.kernel for layer in model.layers
               if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense))]
    expected = sum(0.5e-4 * float(np.sum(k.numpy() ** 2)) for k in kernels)
    assert float(sum(model.losses)) == pytest.approx(expected, rel=1e-5)
