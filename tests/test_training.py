"""The training lesson: each experiment's claim, checked on a real (small) run, and the
numbers checked against independent computations where one exists."""

from __future__ import annotations

import math

import numpy as np
import pytest

import workbench
from conftest import refused_before_any_work, run_cli
from workbench import registry
from workbench.results import store
from workbench.running import events


def run(models_dir, **settings):
    seen = []
    result = workbench.run("training", models_dir=str(models_dir), on_event=seen.append, **settings)
    return result, seen


def charts(seen, title_part: str) -> list[events.Chart]:
    return [e for e in seen if isinstance(e, events.Chart) and title_part in e.title]


def test_the_lesson_sits_between_linear_classifiers_and_cnns():
    ids = [lesson.id for lesson in registry.lessons()]
    assert ids.index("linear") < ids.index("training") < ids.index("cnn")


def test_init_small_scale_vanishes_large_saturates_xavier_keeps_tanh(tmp_path):
    result, seen = run(tmp_path, experiment="init", epochs=1)
    m = result.metrics
    # Each tanh layer near 0 multiplies the spread by std x sqrt(n): 0.01 x sqrt(500), nine times.
    assert m["small_scale_std_ratio"] == pytest.approx((0.01 * math.sqrt(500)) ** 9, rel=0.2)
    assert m["small_scale_std_ratio"] < 1e-3
    assert m["large_scale_saturated"] > 0.8  # std 1: tanh stuck at +-1
    assert 0.2 < m["xavier_std_ratio"] < 1.0  # decays slowly under tanh, far from 0
    assert m["activation_std"]["std 1"][-1] > 0.9
    # The chart is the metrics, drawn: one line per scale, one point per layer.
    (chart,) = charts(seen, "std of the tanh activations by layer")
    assert chart.log_y and chart.x == list(range(1, 11))
    assert chart.series == {name: pytest.approx(v) for name, v in m["activation_std"].items()}
    assert set(chart.series) == {"std 0.01", "std 1", "xavier", "he"}
    assert len(charts(seen, "distribution of the activations")) == 4
    # Symmetry: equal weights train into equal units; from zeros nothing hidden moves.
    assert m["constant_init_weights_moved"] > 1e-6
    assert m["constant_init_unit_spread"] < 1e-6 / 500  # a float32 rounding of 1/500, no more
    assert m["zeros_init_weights_moved"] == 0 and m["zeros_init_train_accuracy"] < 0.2
    # The saved net: Xavier for tanh, trained, reloaded with its metadata.
    info = store.describe(result.model_path)
    assert info.metadata["variant"] == "init" and result.model_path.endswith("training-init.h5")
    assert m["test_accuracy"] > 0.8


def test_init_he_keeps_relus_spread_where_xavier_halves_it_layer_by_layer(tmp_path):
    result, _ = run(tmp_path, experiment="init", activation="relu", std=(0.01,), epochs=1,
                    layers=6, units=300)
    m = result.metrics
    assert 0.5 < m["he_std_ratio"] < 2.0
    # Xavier under ReLU: the variance halves per layer, the spread shrinks by ~sqrt(2) each.
    assert m["xavier_std_ratio"] == pytest.approx(0.5 ** (5 / 2), rel=0.35)
    assert "silent_unit_fraction" in m and "large_scale_saturated" not in m


def test_a_too_large_learning_rate_kills_relus(tmp_path):
    result, seen = run(tmp_path, experiment="activations", epochs=3)
    m = result.metrics
    assert m["dead_relu_fraction_high_lr"] > 0.2
    assert m["dead_relu_fraction_high_lr"] > 3 * m["dead_relu_fraction"]
    assert set(m["final_val_accuracy"]) == {"sigmoid", "tanh", "relu", "leaky_relu", "elu"}
    # Four sigmoid layers learn slowest of all (small slope, outputs all positive).
    assert m["final_val_accuracy"]["sigmoid"] == min(m["final_val_accuracy"].values())
    assert all(len(v) == 4 for v in m["flat_share_by_layer"].values())
    (chart,) = charts(seen, "dead ReLUs by layer")
    assert list(chart.series.values())[1] == pytest.approx(m["dead_relu_by_layer_high_lr"])


def test_batchnorm_rescues_a_bad_init_and_a_high_learning_rate(tmp_path):
    result, _ = run(tmp_path, experiment="batchnorm", epochs=3)
    m = result.metrics
    losses = m["final_train_loss"]
    assert losses["bad init"] > 2.2  # no better than guessing: ln 10 = 2.303
    assert losses["bad init + BN"] < 1.0
    high = "lr 1"
    assert losses[f"{high} + BN"] != "diverged"
    assert losses[high] == "diverged" or losses[high] > 2 * losses[f"{high} + BN"]
    # Training mode: each unit's mean over the batch is beta, its spread gamma.
    assert m["bn_training_mean_minus_beta"] < 1e-4
    assert m["bn_training_std_over_gamma"] == pytest.approx(1.0, abs=0.01)
    assert m["bn_modes_max_difference"] > 1e-3  # inference uses the moving averages


def test_the_bowl_paths_are_keras_optimizers_as_the_lecture_writes_them():
    import keras

    from lessons.training.optimizers import CURVATURE, START, bowl_loss, path_on_bowl

    def heavy_ball(rate, momentum, steps=60):
        w, v, path = START.copy(), np.zeros(2), [START.copy()]
        for _ in range(steps):
            v = momentum * v - rate * CURVATURE * w  # the gradient of (w0^2 + 100 w1^2) / 2
            w = w + v
            path.append(w)
        return np.array(path)

    sgd = path_on_bowl(keras.optimizers.SGD(0.012))
    momentum = path_on_bowl(keras.optimizers.SGD(0.012, momentum=0.9))
    np.testing.assert_allclose(sgd, heavy_ball(0.012, 0.0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(momentum, heavy_ball(0.012, 0.9), rtol=1e-4, atol=1e-5)
    assert np.all(np.sign(sgd[1:8, 1]) == [-1, 1, -1, 1, -1, 1, -1])  # SGD zigzags across
    assert bowl_loss(momentum)[-1] < bowl_loss(sgd)[-1] / 10  # and momentum gets further along


def test_optimizers_experiment_compares_six_rules_from_one_start(tmp_path):
    result, seen = run(tmp_path, experiment="optimizers", epochs=2)
    m = result.metrics
    assert set(m["final_train_loss"]) == {"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"}
    assert m["best_optimizer"] == min(m["final_train_loss"], key=m["final_train_loss"].get)
    assert m["bowl_momentum_over_sgd"] < 0.1
    rates = list(m["bowl_sgd_loss_by_rate"].values())  # too low, right, too high
    start = 0.5 * (8 ** 2 + 100 * 1 ** 2)  # the loss at (-8, 1)
    assert rates[1] < rates[0] < start < rates[2]  # past 2/100 the loss grows
    (paths,) = charts(seen, "paths on the bowl")
    assert set(paths.xs) == set(paths.series) == set(m["bowl_final_loss"])
    epochs = [e for e in seen if isinstance(e, events.EpochEnd)]
    assert {e.series for e in epochs} == set(m["final_train_loss"])


def test_regularisation_lowers_the_validation_loss_and_dropout_is_inverted(tmp_path):
    result, _ = run(tmp_path, experiment="regularization", epochs=60)
    m = result.metrics
    assert m["scores"]["none"]["train_accuracy"] == 1.0  # 200 images, memorised
    for variant in ("l2", "dropout", "both"):
        assert m[f"val_loss_{variant}"] < m["val_loss_none"], variant
    assert m["dropout_zeroed_fraction"] == pytest.approx(0.5, abs=0.02)
    assert m["dropout_kept_value"] == pytest.approx(1 / (1 - 0.5), rel=1e-6)
    assert m["dropout_training_mean"] == pytest.approx(1.0, abs=0.03)
    assert m["dropout_inference_max_change"] == 0.0


def test_preprocessing_statistics_match_numpy_and_come_from_the_training_split(tmp_path):
    from lessons.training.preprocessing import EPSILON
    from workbench.running.data import load_images

    result, seen = run(tmp_path, experiment="preprocessing", epochs=2)
    m = result.metrics
    digits = load_images("digits")
    x = digits.x_train.reshape(len(digits.x_train), -1).astype("float64")
    # An independent PCA: scikit-learn's, on the training split only.
    from sklearn.decomposition import PCA

    pca = PCA().fit(x)
    explained = np.cumsum(pca.explained_variance_ratio_)
    assert m["variance_in_top_10_components"] == pytest.approx(explained[9], rel=1e-6)
    assert m["components_for_95_percent"] == int(np.searchsorted(explained, 0.95) + 1)
    assert m["train_mean_after_centring"] < 1e-12
    assert m["test_mean_after_centring"] > 1e-3  # the test images were not in the mean: the rule
    assert m["train_std_after_normalising"] == pytest.approx(1.0, abs=1e-9)
    # Whitening divides each direction by sqrt(eigenvalue + eps): its covariance is
    # eigenvalue / (eigenvalue + eps), 1 up to eps.
    kept = pca.explained_variance_ > 1e-3 * pca.explained_variance_[0]
    smallest = pca.explained_variance_[kept].min() * (len(x) - 1) / len(x)
    assert m["whitened_covariance_max_error"] == pytest.approx(EPSILON / (smallest + EPSILON), rel=1e-3)
    assert m["normalization_mean_matches"] is True and m["statistics_leak"] is False
    (picture,) = [e for e in seen if isinstance(e, events.Picture)]
    assert len(picture.images) == 16
    model, _ = store.load_model(result.model_path)
    assert model.get_layer("normalization").mean.shape[-1] == 64


def test_statistics_from_all_images_is_flagged_as_a_leak(tmp_path):
    result, seen = run(tmp_path, experiment="preprocessing", epochs=1, statistics_from="all")
    assert result.metrics["statistics_leak"] is True
    logs = [e.text for e in seen if isinstance(e, events.Log)]
    assert any(line.startswith("warning: the statistics were computed with the validation and test")
               for line in logs)
    from workbench.running.data import load_images

    d = load_images("digits")
    flat = [x.reshape(len(x), -1).astype("float64") for x in (d.x_train, d.x_val, d.x_test)]
    mean_of_all = np.concatenate(flat).mean(axis=0)
    expected = np.max(np.abs(flat[2].mean(axis=0) - mean_of_all))
    assert result.metrics["test_mean_after_centring"] == pytest.approx(expected, rel=1e-9)
    assert expected < np.max(np.abs(flat[2].mean(axis=0) - flat[0].mean(axis=0)))


@pytest.mark.parametrize("setting, message", [
    ("experiment=transfer", "experiment must be one of init, activations, batchnorm, optimizers, "
                            "regularization, preprocessing, losses; got 'transfer'"),
    ("layers=1", "layers must be 0 (the experiment's) or 2..30; got 1"),
    ("std=0.01,0", "std must be > 0; got 0"),
    ("dropout=1", "dropout must be 0..0.95; got 1"),
    ("units=-5", "units must be 0..2000; got -5"),
])
def test_bad_settings_exit_2_before_any_work(tmp_path, setting, message):
    assert refused_before_any_work("training", setting, tmp_path) == f"workbench: error: {message}"


def test_show_lists_the_experiments():
    proc = run_cli("show", "training", env={"COLUMNS": "200"})
    assert proc.returncode == 0, proc.stderr
    words = " ".join(proc.stdout.split())
    assert registry.get("training").param("experiment").choices == (
        "init", "activations", "batchnorm", "optimizers", "regularization", "preprocessing", "losses")
    assert ("init | activations | batchnorm | optimizers | regularization | preprocessing | losses"
            in words)
