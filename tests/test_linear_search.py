"""Finding W by search instead of by gradient (`workbench run linear --set method=...`):
the searches' loss against the lesson's Keras losses, each search against a reference
written out by hand, the numeric gradient against the softmax gradient's closed form and
TensorFlow's tape, the runs' saved models reloaded, the path's claims both ways, and the
settings that do not belong together refused before any work."""

import math

import numpy as np
import pytest

from workbench.errors import BadInput
from workbench.running.data import load_images
from workbench.running.quiet import import_tensorflow
import workbench

import_tensorflow()
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from lessons.linear import figures, gradients, LinearSettings, search  # noqa: E402
from lessons.linear.losses import MulticlassHinge, SoftmaxCrossEntropy  # noqa: E402
from workbench import registry  # noqa: E402
from workbench.course import guide  # noqa: E402
from workbench.course.notes_figures import is_fresh  # noqa: E402
from tests.conftest import kept_files, one_line_error, refused_before_any_work, run_cli  # noqa: E402

REG = 1e-3


@pytest.fixture(scope="module")
def digits():
    return load_images("digits")


def objective(digits, loss="softmax", reg=REG, delta=1.0, n=200):
    return search.Objective.of(digits.x_train[:n], digits.y_train[:n], digits.x_train.mean(0),
                               loss, reg, delta)


def keras_loss(obj, W) -> float:
    """The lesson's Keras loss on the same scores, plus the L2 term on all rows but the bias."""
    loss = (SoftmaxCrossEntropy(dtype="float64") if obj.loss == "softmax"
            else MulticlassHinge(obj.delta, dtype="float64"))
    return float(loss(obj.labels, obj.inputs @ W)) + obj.reg * float(np.sum(W[:-1] ** 2))


@pytest.mark.parametrize("loss, delta", [("softmax", 1.0), ("svm", 1.0), ("svm", 2.5)])
def test_a_stack_of_candidates_scores_as_each_one_alone_under_the_keras_loss(digits, loss, delta):
    obj = objective(digits, loss, delta=delta)
    stack = np.random.default_rng(0).normal(size=(7, *obj.shape)) * 0.3
    expected = [keras_loss(obj, W) for W in stack]
    np.testing.assert_allclose(obj(stack), expected, rtol=1e-12)
    np.testing.assert_allclose(obj.losses(stack), expected, rtol=1e-12)
    assert obj.shape == (65, 10) and np.all(obj.inputs[:, -1] == 1)  # the bias trick


def test_random_search_keeps_the_lowest_loss_of_the_w_it_drew(digits, monkeypatch):
    monkeypatch.setattr(search, "BATCH_BYTES", 3 * 8 * 200 * 10)  # stacks of 3: batches meet
    obj = objective(digits)
    found = search.random_search(obj, 10, 0.05, np.random.default_rng(5))
    # The same stream, drawn in the same stacks, scored one W at a time.
    rng, drawn = np.random.default_rng(5), []
    for size in (3, 3, 3, 1):
        drawn += list(0.05 * rng.standard_normal((size, *obj.shape)))
    losses = [keras_loss(obj, W) for W in drawn]
    best = int(np.argmin(losses))
    np.testing.assert_array_equal(found.best, drawn[best])
    np.testing.assert_allclose(found.best_loss_by_evaluation, np.minimum.accumulate(losses),
                               rtol=1e-12)
    assert found.evaluations == 10 and found.best_loss == pytest.approx(losses[best])


def test_local_search_moves_only_when_the_loss_drops(digits):
    obj = objective(digits)
    found = search.local_search(obj, 300, 0.01, 0.05, np.random.default_rng(2))
    # By hand: the same draws, one nudge at a time.
    rng = np.random.default_rng(2)
    W = 0.01 * rng.standard_normal(obj.shape)
    best, curve, kept = keras_loss(obj, W), [], 0
    curve.append(best)
    for _ in range(299):
        trial = W + 0.05 * rng.standard_normal(obj.shape)
        loss = keras_loss(obj, trial)
        if loss < best:
            W, best, kept = trial, loss, kept + 1
        curve.append(best)
    np.testing.assert_allclose(found.best_loss_by_evaluation, curve, rtol=1e-10)
    np.testing.assert_allclose(found.best, W, rtol=1e-12)
    assert found.accepted == kept > 0 and curve[-1] < curve[0]


def test_progress_is_told_and_reaches_the_budget(digits):
    told = []
    search.local_search(objective(digits), 250, 0.01, 0.01, np.random.default_rng(0), told.append)
    assert told == [100, 200, 250]
    told.clear()
    search.random_search(objective(digits), 250, 0.01, np.random.default_rng(0), told.append)
    assert told[-1] == 250 and told == sorted(told)


def softmax_gradient(obj, W):
    """dL/dW = X^T (P - Y) / N + 2 reg W (the bias row unpenalised), in NumPy."""
    scores = obj.inputs @ W
    probs = np.exp(scores - scores.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    probs[np.arange(len(obj.labels)), obj.labels] -= 1
    penalty = 2 * obj.reg * W
    penalty[-1] = 0
    return obj.inputs.T @ probs / len(obj.labels) + penalty


def test_numeric_and_analytic_gradients_match_the_closed_form_and_the_tape(digits):
    obj = objective(digits)
    W = np.random.default_rng(3).normal(size=obj.shape) * 0.1
    closed = softmax_gradient(obj, W)
    numeric = gradients.numeric_gradient(obj, W)
    analytic = gradients.analytic_gradient(obj)(W)
    np.testing.assert_allclose(analytic, closed, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(numeric, closed, rtol=1e-5, atol=1e-9)
    assert gradients.norm_relative_error(analytic, numeric) < 1e-8
    # A wrong gradient (one entry off) shows in the figure.
    wrong = analytic.copy()
    wrong[10, 3] += 0.1 * np.abs(analytic).max()
    assert gradients.norm_relative_error(wrong, numeric) > 1e-3


def test_the_timed_gradients_are_the_numeric_and_analytic_ones(digits):
    obj = objective(digits, "svm", n=100)
    W = np.random.default_rng(4).normal(size=obj.shape)
    timing = gradients.time_both(obj, W)
    assert timing.entries == 650
    assert timing.numeric_seconds > 0 and timing.analytic_seconds > 0
    assert timing.speedup == timing.numeric_seconds / timing.analytic_seconds
    with tf.GradientTape() as tape:
        weights = tf.constant(W)
        tape.watch(weights)
        loss = (MulticlassHinge(1.0, dtype="float64")(obj.labels, obj.inputs @ weights)
                + REG * tf.reduce_sum(weights[:-1] ** 2))
    tape_gradient = tape.gradient(loss, weights).numpy()
    numeric = gradients.numeric_gradient(obj, W)
    assert timing.rel_error == pytest.approx(gradients.norm_relative_error(tape_gradient, numeric))


@pytest.fixture(scope="module")
def compare_run(tmp_path_factory):
    """The path's experiment step: the gradient run and both searches, at their defaults."""
    folder = tmp_path_factory.mktemp("compare")
    step = next(n for n, s in enumerate(guide.steps_of(registry.get("linear")), 1)
                if isinstance(s, guide.Experiment) and s.params.get("method") == "compare")
    return workbench.run("linear", step=step, models_dir=str(folder), tensorboard=False), folder


def test_compare_ranks_random_below_local_below_gradient_all_above_chance(compare_run):
    result, _ = compare_run
    m = result.metrics
    assert m["chance_accuracy"] == 0.1
    assert 0.1 < m["random_search_test_accuracy"] < m["local_search_test_accuracy"] < m["test_accuracy"]
    for method in ("random_search", "local_search"):
        assert m[f"{method}_evaluations"] == 1000
        curve = m[f"{method}_best_loss_curve"]
        assert len(curve) == len(m[f"{method}_curve_evaluations"]) == 100
        assert m[f"{method}_curve_evaluations"][-1] == 1000 and curve[-1] == m[f"{method}_best_loss"]
        assert all(a >= b for a, b in zip(curve, curve[1:]))  # a running minimum
    # Every claim but the timing one (a busy machine can skew one short timing).
    assert len(result.claims) == 5
    for verdict in result.claims:
        if "faster" not in verdict["text"]:
            assert verdict["holds"], verdict


def test_compare_saves_the_three_models_each_scoring_as_reported(compare_run, digits):
    result, folder = compare_run
    names = sorted(p.name for p in kept_files(folder))  # a path step's files carry its number
    assert names == [f"linear-step{STEP}-local_search-softmax.h5",
                     f"linear-step{STEP}-random_search-softmax.h5", f"linear-step{STEP}-softmax.h5"]
    assert LinearSettings(method="compare").saves() == ("softmax", "random_search-softmax",
                                                       "local_search-softmax")
    for method in ("random_search", "local_search"):
        path = folder / f"linear-step{STEP}-{method}-softmax.h5"
        model = keras.models.load_model(path)
        accuracy = np.mean(np.argmax(model.predict(digits.x_test, verbose=0), 1) == digits.y_test)
        assert accuracy == pytest.approx(result.metrics[f"{method}_test_accuracy"])
        # The kept W is the one whose training loss the search reported (float32 in the file).
        scores = model.get_layer("scores")
        W = np.vstack([scores.kernel.numpy(), scores.bias.numpy()[None]]).astype("float64")
        full = search.Objective.of(digits.x_train, digits.y_train, digits.x_train.mean(0),
                                   "softmax", 1e-4, 1.0)
        assert keras_loss(full, W) == pytest.approx(result.metrics[f"{method}_best_loss"], rel=1e-5)
        info = workbench.results.store.describe(str(path))
        assert info.metadata["variant"] == f"{method}-softmax"
        history = info.metadata["history"]
        assert [row["loss"] for row in history] == result.metrics[f"{method}_best_loss_curve"]
        assert history[-1]["evaluations"] == 1000


def test_the_notes_figures_are_the_ones_the_run_computes(compare_run):
    assert is_fresh(figures.NOTES, lambda: figures.render(compare_run[0].metrics)), \
        "run: python -m lessons.linear.figures"


def test_a_single_search_run_saves_its_best_w_and_reports_its_cost(tmp_path):
    result = workbench.run("linear", method="local_search", loss="svm", evaluations=40,
                           step_size=0.05, models_dir=str(tmp_path), tensorboard=False)
    m = result.metrics
    assert result.model_path.endswith("linear-local_search-svm.h5")
    assert m["evaluations"] == 40 and m["curve_evaluations"] == list(range(1, 41))
    assert m["evaluations_per_second"] == pytest.approx(40 / m["evaluation_seconds"])
    assert m["gradient_entries"] == 650 and m["gradient_samples"] == 1000
    assert m["gradient_speedup"] == pytest.approx(m["numeric_gradient_seconds"]
                                                  / m["analytic_gradient_seconds"])
    assert 0 <= m["accepted_steps"] < 40 and "grad_check_max_rel_error" not in m
    model = keras.models.load_model(result.model_path)
    assert isinstance(model.loss, MulticlassHinge)


STEP = 12


@pytest.mark.parametrize("index, good, good_shows, bad, bad_shows", [
    (0, {"random_search_test_accuracy": 0.28, "chance_accuracy": 0.1}, "random search 0.28 > chance 0.1",
     {"random_search_test_accuracy": 0.09, "chance_accuracy": 0.1}, "random search 0.09"),
    (1, {"random_search_test_accuracy": 0.28, "local_search_test_accuracy": 0.81}, "local search 0.81",
     {"random_search_test_accuracy": 0.28, "local_search_test_accuracy": 0.2}, "random search 0.28 < local search 0.2"),
    (2, {"local_search_test_accuracy": 0.81, "test_accuracy": 0.96}, "local search 0.81 < gradient 0.96",
     {"local_search_test_accuracy": 0.97, "test_accuracy": 0.96}, "local search 0.97"),
    (3, {"gradient_speedup": 400.0}, "gradient_speedup 400 > 100",
     {"gradient_speedup": 30.0}, "gradient_speedup 30"),
    (4, {"gradient_rel_error": 4e-9}, "gradient_rel_error",
     {"gradient_rel_error": 2e-4}, "gradient_rel_error"),
])
def test_the_search_steps_claims_hold_on_a_run_that_shows_them_and_not_otherwise(
        index, good, good_shows, bad, bad_shows):
    experiment = guide.experiment(registry.get("linear"), STEP)
    assert experiment.params == {"method": "compare"}
    judged = experiment.claims[index]
    held, missed = judged.check(good), judged.check(bad)
    assert held.holds and good_shows in held.measured, held.line()
    assert not missed.holds and bad_shows in missed.measured, missed.line()
    assert judged.check(bad, "zh").why_not != missed.why_not  # a Chinese reason too


def test_local_search_loses_to_random_search_when_its_nudges_are_too_big(tmp_path):
    """A real run that does not show the claim: at step_size 100 every nudge lands on an
    absurd W and is thrown away, so local search keeps its random start, while random
    search still picks the best of its 200 W."""
    result = workbench.run("linear", method="compare", evaluations=200, step_size=100.0, epochs=2,
                           models_dir=str(tmp_path), tensorboard=False, record=False)
    m = result.metrics
    assert m["local_search_accepted_steps"] == 0
    assert m["local_search_best_loss"] == m["local_search_best_loss_curve"][0]
    verdict = guide.experiment(registry.get("linear"), STEP).claims[1].check(m)
    assert not verdict.holds, verdict.line()
    assert m["local_search_test_accuracy"] < m["random_search_test_accuracy"]


@pytest.mark.parametrize("setting, message", [
    (("method=random_search", "epochs=5"),
     "epochs applies to method=gradient|compare, not method=random_search; drop --set epochs=5"),
    (("method=random_search", "step_size=0.1"),
     "step_size applies to method=local_search|compare, not method=random_search; drop --set step_size=0.1"),
    (("evaluations=50",),
     "evaluations applies to method=random_search|local_search|compare, not method=gradient; "
     "drop --set evaluations=50"),
    (("method=local_search", "learning_rate=0.5"),
     "learning_rate applies to method=gradient|compare, not method=local_search; drop --set learning_rate=0.5"),
])
def test_knobs_of_another_method_are_refused(setting, message):
    values = dict(pair.split("=") for pair in setting)
    with pytest.raises(BadInput) as err:
        workbench.run("linear", **values)
    assert str(err.value) == message


@pytest.mark.parametrize("params, message", [
    ({"method": "annealing"},
     "method must be one of gradient, random_search, local_search, compare; got 'annealing'"),
    ({"method": "random_search", "evaluations": 1}, "evaluations must be 2..1000000; got 1"),
    ({"method": "random_search", "scale": 0}, "scale must be > 0; got 0"),
    ({"method": "local_search", "step_size": -0.1}, "step_size must be > 0; got -0.1"),
])
def test_bad_search_values_are_refused(params, message):
    with pytest.raises(BadInput) as err:
        workbench.run("linear", **params)
    assert str(err.value) == message


def test_the_cli_refuses_before_any_work(tmp_path):
    proc = run_cli("run", "linear", "--set", "method=local_search", "--set", "optimizer=adam",
                   "--models-dir", str(tmp_path / "models"))
    assert proc.returncode == 2 and not (tmp_path / "models").exists()
    assert one_line_error(proc).endswith("optimizer applies to method=gradient|compare, not "
                                         "method=local_search; drop --set optimizer=adam")
    assert refused_before_any_work("linear", "evaluations=0", tmp_path / "b").endswith(
        "evaluations must be 2..1000000; got 0")


def test_mine_is_refused_with_a_search(tmp_path):
    proc = run_cli("run", "linear", "--mine", "--set", "method=random_search",
                   "--workspace", str(tmp_path), "--models-dir", str(tmp_path / "models"))
    assert proc.returncode == 2
    line = one_line_error(proc)
    assert "does not run with your functions with these settings" in line
    assert "linear" in line and not (tmp_path / "models").exists()
    assert LinearSettings(method="random_search").mine_uses() == ()
    assert LinearSettings().mine_uses() == ("softmax_loss",)


def test_gradient_stays_the_default_run_with_its_file_name():
    settings = LinearSettings()
    assert settings.method == "gradient" and settings.saves() == ("softmax",)
    assert LinearSettings(method="random_search", loss="svm").saves() == ("random_search-svm",)
    assert math.isclose(LinearSettings().scale, 0.01)
