"""The linear lesson against NumPy references, scikit-learn, and its own saved files."""

import math

import numpy as np
import pytest
from PIL import Image
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from workbench.errors import BadInput
from workbench.running.data import load_images
from workbench.running.quiet import import_tensorflow
import workbench

import_tensorflow()
import keras  # noqa: E402

from lessons.linear import checks  # noqa: E402
from lessons.linear.losses import MulticlassHinge, SoftmaxCrossEntropy  # noqa: E402
from lessons.linear.model import build_linear  # noqa: E402
from tests.conftest import kept_files, recorded_outcomes


def svm_loss_loops(scores, y, delta):
    """CS231n's naive multiclass SVM loss, one loop per sample and class."""
    total = 0.0
    for i in range(len(y)):
        for j in range(scores.shape[1]):
            if j != y[i]:
                total += max(0.0, scores[i, j] - scores[i, y[i]] + delta)
    return total / len(y)


def softmax_loss_numpy(scores, y):
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -log_probs[np.arange(len(y)), y].mean()


@pytest.mark.parametrize("delta", [1.0, 0.5, 3.0])
def test_multiclass_hinge_matches_the_loop_reference(delta):
    rng = np.random.default_rng(0)
    scores, y = rng.normal(size=(40, 7)) * 2, rng.integers(0, 7, 40)
    got = float(MulticlassHinge(delta, dtype="float64")(y, scores))
    assert got == pytest.approx(svm_loss_loops(scores, y, delta), rel=1e-12)


def test_softmax_cross_entropy_matches_numpy_even_for_huge_scores():
    rng = np.random.default_rng(1)
    scores, y = rng.normal(size=(30, 5)) * 50, rng.integers(0, 5, 30)  # exp(250) overflows naively
    got = float(SoftmaxCrossEntropy(dtype="float64")(y, scores))
    assert got == pytest.approx(softmax_loss_numpy(scores, y), rel=1e-12)


def test_keras_categorical_hinge_is_a_different_loss():
    scores, y = np.array([[3.0, 2.5, 2.8, -1.0]]), np.array([0])
    ours = float(MulticlassHinge(1.0, dtype="float64")(y, scores))
    keras_hinge = float(keras.losses.CategoricalHinge()(np.eye(4)[y], scores))
    assert ours == pytest.approx(0.5 + 0.8)  # both wrong classes inside the margin count
    assert keras_hinge == pytest.approx(0.8)  # only the worst one does


@pytest.mark.parametrize("loss, kwargs", [("softmax", {}), ("svm", {"delta": 1.0})])
def test_gradient_check_agrees_with_autodiff_at_small_weights(loss, kwargs):
    data = load_images("digits")
    model = build_linear(data.image_shape, 10, data.x_train.mean(0), reg=0.1)
    loss_class = SoftmaxCrossEntropy if loss == "softmax" else MulticlassHinge
    check = checks.gradient_check(model, loss_class, 0.1, data.x_train[:100], data.y_train[:100],
                                  entries=20, **kwargs)
    assert check.entries == 20 and check.max_rel_error < 1e-7


def test_softmax_analytic_gradient_matches_the_closed_form():
    """dL/dW = X^T (P - Y) / N + 2 reg W, computed in NumPy, against the lesson's check,
    which compares TensorFlow's gradient with finite differences: both must agree."""
    rng = np.random.default_rng(2)
    data = load_images("digits")
    model = build_linear(data.image_shape, 10, data.x_train.mean(0), reg=0.0)
    model.get_layer("scores").kernel.assign(rng.normal(size=(64, 10)).astype("float32"))
    x = data.x_train[:50].reshape(50, -1).astype("float64") - data.x_train.mean(0).reshape(-1)
    W = model.get_layer("scores").kernel.numpy().astype("float64")
    scores = x @ W
    probs = np.exp(scores - scores.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    probs[np.arange(50), data.y_train[:50]] -= 1
    closed_form = x.T @ probs / 50
    numeric = np.zeros(3)
    for n, (i, j) in enumerate([(10, 3), (27, 0), (44, 9)]):
        h = 1e-6
        Wp, Wm = W.copy(), W.copy()
        Wp[i, j] += h
        Wm[i, j] -= h
        numeric[n] = (softmax_loss_numpy(x @ Wp, data.y_train[:50])
                      - softmax_loss_numpy(x @ Wm, data.y_train[:50])) / (2 * h)
    np.testing.assert_allclose(numeric, [closed_form[10, 3], closed_form[27, 0], closed_form[44, 9]],
                               rtol=1e-5)


@pytest.fixture(scope="module")
def default_runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("linear")
    return {loss: workbench.run("linear", loss=loss, models_dir=str(folder), save_templates=True)
            for loss in ("svm", "softmax")}


@pytest.mark.parametrize("loss", ["svm", "softmax"])
def test_default_run_accuracy_sanity_checks_and_loss_parts(default_runs, loss):
    m = default_runs[loss].metrics
    assert m["test_accuracy"] >= 0.94
    assert m["expected_initial_loss"] == pytest.approx(math.log(10) if loss == "softmax" else 9.0)
    assert m["initial_loss"] == pytest.approx(m["expected_initial_loss"], rel=0.01)
    assert m["final_loss"] == pytest.approx(m["final_data_loss"] + m["final_reg_loss"])
    assert m["final_reg_loss"] > 0
    # CS231n's bar for float64: far below 1e-7, kinks (SVM) named apart rather than hidden.
    assert m["grad_check_max_rel_error"] < 1e-7 and m["grad_check_entries"] >= 90
    assert m["grad_check_entries"] + len(m["grad_check_kinks"]) == 100
    # method=gradient is the default and runs no search beside the training.
    assert default_runs[loss].params["method"] == "gradient"
    assert not {"best_loss", "chance_accuracy", "gradient_speedup"} & set(m)


def test_accuracy_is_within_three_points_of_scikit_learn(default_runs):
    data = load_images("digits")
    x, xt = data.x_train.reshape(len(data.x_train), -1), data.x_test.reshape(len(data.x_test), -1)
    svc = LinearSVC(max_iter=20000).fit(x, data.y_train).score(xt, data.y_test)
    logreg = LogisticRegression(max_iter=5000).fit(x, data.y_train).score(xt, data.y_test)
    assert abs(default_runs["svm"].metrics["test_accuracy"] - svc) <= 0.03
    assert abs(default_runs["softmax"].metrics["test_accuracy"] - logreg) <= 0.03


def test_saved_model_reloads_with_its_training_configuration(default_runs):
    result = default_runs["svm"]
    assert result.model_path.endswith("linear-svm.h5")
    model = keras.models.load_model(result.model_path)  # compile=True: the loss must deserialise
    assert isinstance(model.loss, MulticlassHinge) and model.loss.delta == 1.0
    data = load_images("digits")
    accuracy = np.mean(np.argmax(model.predict(data.x_test, verbose=0), 1) == data.y_test)
    assert accuracy == pytest.approx(result.metrics["test_accuracy"])
    info = workbench.results.store.describe(result.model_path)
    assert info.metadata["variant"] == "svm" and len(info.metadata["history"]) == 50
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "reg_loss"} <= set(info.metadata["history"][0])


def test_templates_png_is_the_weights_of_each_class_enlarged_and_labelled(default_runs):
    from workbench.drawing.sheets import layout

    result = default_runs["softmax"]
    png = np.asarray(Image.open(result.model_path.replace(".h5", "-templates.png")))
    names = [str(c) for c in range(10)]
    plan = layout((8, 8), 10, names)
    assert plan.scale == 8 and png.shape == plan.size[::-1]  # ten 64x64 tiles in a row
    model = keras.models.load_model(result.model_path)
    kernel = model.get_layer("scores").kernel.numpy()
    scaled = (kernel - kernel.min()) / (kernel.max() - kernel.min()) * 255
    for digit in (0, 3, 9):
        x, y = plan.origin(digit)
        tile = png[y:y + 64, x:x + 64].astype(float)
        # Each weight is an 8x8 block of one value: the block's pixels all equal it.
        np.testing.assert_allclose(tile[::8, ::8], scaled[:, digit].reshape(8, 8), atol=1)
        assert np.ptp(tile.reshape(8, 8, 8, 8), axis=(1, 3)).max() == 0
        # The caption is written under the tile: dark pixels on the white band.
        assert png[y + 64:y + 64 + 14, x:x + 64].min() < 128


@pytest.mark.parametrize("optimizer, message", [
    ("sgd", "loss became NaN at epoch 1; lower learning_rate"),
    ("adam", "loss blew up to"),
])
def test_a_learning_rate_that_blows_up_stops_the_run_and_saves_nothing(tmp_path, optimizer, message):
    with pytest.raises(BadInput, match=message):
        workbench.run("linear", learning_rate=1e6, optimizer=optimizer, epochs=2, models_dir=str(tmp_path))
    assert kept_files(tmp_path) == []
    [(lesson, outcome, recorded)] = recorded_outcomes(tmp_path)
    assert (lesson, outcome) == ("linear", "failed") and message in recorded


@pytest.mark.parametrize("params, message", [
    ({"learning_rate": 0}, "learning_rate must be > 0; got 0"),
    ({"learning_rate": -0.1}, "learning_rate must be > 0; got -0.1"),
    ({"reg": -1}, "reg must be >= 0; got -1"),
    ({"delta": -1}, "delta must be >= 0; got -1"),
    ({"loss": "hinge"}, "loss must be one of svm, softmax; got 'hinge'"),
    ({"optimizer": "rmsprop"}, "optimizer must be one of sgd, sgd_momentum, adam; got 'rmsprop'"),
    ({"epochs": 0}, "epochs must be 1..10000; got 0"),
])
def test_bad_parameters_are_refused(params, message):
    with pytest.raises(BadInput) as err:
        workbench.run("linear", **params)
    assert str(err.value) == message


def test_a_models_pictures_are_replaced_with_it_and_deleted_with_it(models_dir):
    from workbench.results import store

    first = workbench.run("linear", epochs=1, save_templates=True)
    png = models_dir / "linear-softmax-templates.png"
    assert png.exists()
    assert store.pictures_of(first.model_path) == [png]
    # The same model again, without the picture: the old one must not stay beside it.
    again = workbench.run("linear", epochs=1)
    assert again.model_path == first.model_path and not png.exists()
    third = workbench.run("linear", epochs=1, save_templates=True)
    assert sorted(store.delete_model(third.model_path)) == sorted([png, models_dir / "linear-softmax.h5"])
    assert kept_files(models_dir) == []
