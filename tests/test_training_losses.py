"""The training lesson's `losses` experiment: attribute classification with one sigmoid
per attribute against a softmax that names one, and L2 against L1 regression with an
outlier, every fit checked against its closed form (the mean, the median, NumPy's lstsq,
SciPy's linear programme for the L1 line), the claims judged both ways."""

from __future__ import annotations

import numpy as np
import pytest

import workbench
from conftest import refused_before_any_work
from lessons.training import attributes, figures, regression
from workbench import registry
from workbench.course import guide
from workbench.course.notes_figures import is_fresh
from workbench.results import store

LOSSES_STEP = 13
SEED = 0  # the runs' default, which the notes' figures come from


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    """`workbench run training --set experiment=losses` at its defaults (about 10 s)."""
    return workbench.run("training", experiment="losses", seed=SEED, record=False, tensorboard=False,
                         models_dir=str(tmp_path_factory.mktemp("models")))


def least_absolute_line_by_linprog(x, y):
    """min sum |a + b x - y| as a linear programme: residuals split into u - v, u, v >= 0."""
    from scipy.optimize import linprog

    n = len(x)
    cost = np.concatenate([[0.0, 0.0], np.ones(2 * n)])
    equalities = np.hstack([np.ones((n, 1)), x[:, None], -np.eye(n), np.eye(n)])
    bounds = [(None, None)] * 2 + [(0, None)] * (2 * n)
    solved = linprog(cost, A_eq=equalities, b_eq=y, bounds=bounds, method="highs")
    assert solved.success
    return solved.x[:2]


def test_the_digits_attributes_by_hand():
    table = attributes.attributes_of(np.arange(10))
    #                   even  > 4  loop
    expected = np.array([[1, 0, 1],   # 0
                         [0, 0, 0],   # 1
                         [1, 0, 0],   # 2
                         [0, 0, 0],   # 3
                         [1, 0, 0],   # 4: drawn open at the top, no loop
                         [0, 1, 0],   # 5
                         [1, 1, 1],   # 6
                         [0, 1, 0],   # 7
                         [1, 1, 1],   # 8
                         [0, 1, 1]])  # 9
    np.testing.assert_array_equal(table, expected)
    targets = attributes.softmax_targets(table)
    np.testing.assert_allclose(targets.sum(axis=1), 1.0)
    np.testing.assert_allclose(targets[8], [1 / 3, 1 / 3, 1 / 3, 0])  # split evenly
    np.testing.assert_allclose(targets[1], [0, 0, 0, 1])  # no attribute: "none"
    # A softmax's answer says at most one attribute, so an 8 is never right with it.
    answer = attributes.softmax_answer(np.eye(4)[[0, 3, 2]])
    np.testing.assert_array_equal(answer, [[1, 0, 0], [0, 0, 0], [0, 0, 1]])
    s = attributes.scores(attributes.sigmoid_answer(np.array([[0.9, 0.2, 0.6], [0.4, 0.7, 0.1]])),
                          np.array([[1, 0, 1], [0, 1, 1]], dtype="float32"))
    assert s == {"per_attribute": {"even": 1.0, "greater_than_4": 1.0, "closed_loop": 0.5},
                 "exact_match": 0.5}


@pytest.mark.parametrize("seed", [0, 7])
def test_gradient_descent_lands_on_the_mean_median_least_squares_and_the_l1_line(seed):
    x, clean, moved = regression.data(seed, 100.0)
    assert np.array_equal(moved[:-1], clean[:-1]) and moved[-1] - clean[-1] == pytest.approx(100.0)
    for y in (clean, moved):
        assert regression.fit_line(x, y, "l2", constant=True)[0] == pytest.approx(y.mean(), abs=1e-9)
        assert regression.fit_line(x, y, "l1", constant=True)[0] == pytest.approx(np.median(y), abs=1e-3)
        design = np.stack([np.ones_like(x), x], axis=1)
        np.testing.assert_allclose(regression.fit_line(x, y, "l2", constant=False),
                                   np.linalg.lstsq(design, y, rcond=None)[0], atol=1e-8)
        exact = least_absolute_line_by_linprog(x, y)
        np.testing.assert_allclose(regression.least_absolute_line(x, y), exact, atol=1e-6)
        np.testing.assert_allclose(regression.fit_line(x, y, "l1", constant=False), exact, atol=5e-3)


def test_one_outlier_pulls_the_mean_by_its_share_and_l2s_gradient_by_its_distance():
    x, clean, moved = regression.data(3, 100.0)
    mean_shift = (regression.fit_line(x, moved, "l2", constant=True)
                  - regression.fit_line(x, clean, "l2", constant=True))[0]
    assert mean_shift == pytest.approx(100.0 / regression.POINTS)
    residual = clean.mean() - moved
    assert regression.outlier_gradient_share("l1", residual) == pytest.approx(1 / regression.POINTS)
    assert regression.outlier_gradient_share("l2", residual) == pytest.approx(
        abs(residual[-1]) / np.abs(residual).sum())
    assert regression.line_pull(np.array([1.0, 2.0]), np.array([1.5, 1.0])) == pytest.approx(9.5)


def test_the_default_run_reports_both_parts_checked_against_independent_numbers(default_run):
    from workbench.running.data import load_images

    m = default_run.metrics
    truth = attributes.attributes_of(load_images("digits").y_test)
    # The softmax's ceiling: the test images with one attribute or none.
    assert m["attribute_softmax_ceiling"] == pytest.approx(np.mean(truth.sum(axis=1) <= 1))
    assert m["attribute_softmax_exact_match"] <= m["attribute_softmax_ceiling"]
    assert m["attribute_softmax_most_said"] == 1 and m["attribute_sigmoid_most_said"] == 3
    assert m["attribute_sigmoid_exact_match"] > m["attribute_softmax_ceiling"]
    assert set(m["attribute_sigmoid_accuracy"]) == set(attributes.ATTRIBUTES)
    # The saved net is the sigmoid one: reloaded, its answers give the reported scores.
    model, _ = store.load_model(default_run.model_path)
    assert store.describe(default_run.model_path).metadata["variant"] == "losses"
    digits = load_images("digits")
    probabilities = model.predict(digits.x_test, verbose=0)
    said = probabilities > 0.5
    assert np.mean((said == truth).all(axis=1)) == pytest.approx(m["attribute_sigmoid_exact_match"])
    assert model.get_layer("scores").get_config()["activation"] == "sigmoid"
    # The loss it trained with, Keras' binary cross-entropy, is the formula written out.
    import keras

    p = np.clip(probabilities.astype("float64"), 1e-7, 1 - 1e-7)
    bce = -np.mean(truth * np.log(p) + (1 - truth) * np.log(1 - p))
    assert float(keras.losses.BinaryCrossentropy()(truth, probabilities)) == pytest.approx(bce, rel=1e-4)
    # Regression: the fits against the closed forms on the run's own data.
    x, clean, moved = regression.data(SEED, regression.OUTLIER)
    assert m["data_mean"] == pytest.approx(moved.mean())
    assert m["data_median"] == pytest.approx(np.median(moved))
    assert m["l2_outlier_pull"] == pytest.approx(regression.OUTLIER / regression.POINTS)
    assert m["l1_outlier_pull"] < 0.5 < m["l2_outlier_pull"]
    assert m["l1_line_outlier_pull"] < m["l2_line_outlier_pull"]
    np.testing.assert_allclose(m["least_absolute_line"], least_absolute_line_by_linprog(x, moved), atol=1e-6)
    verdicts = [c.check(m) for c in guide.experiment(registry.get("training"), LOSSES_STEP).claims]
    assert all(v.holds for v in verdicts), [v.measured for v in verdicts if not v.holds]


def test_the_notes_figures_are_the_default_runs(default_run):
    assert is_fresh(figures.NOTES, lambda: figures.render(default_run.metrics)), \
        "run: python -m lessons.training.figures"


def test_no_outlier_and_an_untrained_net_fail_the_claims(tmp_path):
    result = workbench.run("training", experiment="losses", epochs=1, learning_rate=1e-5,
                           outlier=0.0, record=False, tensorboard=False, models_dir=str(tmp_path))
    m = result.metrics
    assert m["l2_outlier_pull"] == 0.0 and m["l1_outlier_pull"] == 0.0
    verdicts = [c.check(m) for c in guide.experiment(registry.get("training"), LOSSES_STEP).claims]
    assert [v.holds for v in verdicts] == [False, False, False, True]
    assert "L1's pull 0 < L2's pull 0" in verdicts[1].measured
    # The closed-form claim, on metrics where gradient descent stopped short of the median.
    off = {**m, "l1_constant_fit": m["data_median"] + 0.5}
    verdict = guide.experiment(registry.get("training"), LOSSES_STEP).claims[3].check(off)
    assert not verdict.holds and "L1 constant / median 0.5" in verdict.measured


def test_a_negative_outlier_is_refused_before_any_work(tmp_path):
    assert refused_before_any_work("training", "outlier=-1", tmp_path) == \
        "workbench: error: outlier must be 0..1e+06; got -1"
