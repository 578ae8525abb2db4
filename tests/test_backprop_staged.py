"""The notes' second backprop example, staged: every stage's value and gradient against a
derivative worked out by hand (the quotient rule), the sums at the forks, the vectorised
D = W X against tf.GradientTape, and the path's claims judged both ways."""

from __future__ import annotations

import math

import numpy as np
import pytest

import workbench
from conftest import refused_before_any_work
from lessons.backprop import figures, staged
from lessons.backprop.path import STEPS
from workbench.authoring import Experiment
from workbench.course.notes_figures import is_fresh
from workbench.results import store
from workbench.running import events


def sigmoid(a: float) -> float:
    return 1.0 / (1.0 + math.exp(-a))


def by_quotient_rule(x: float, y: float) -> dict[str, float]:
    """f = N / D with N = x + s(y), D = s(x) + (x + y)^2, differentiated in one go, and
    what each of x's and y's uses contributes."""
    n, d = x + sigmoid(y), sigmoid(x) + (x + y) ** 2
    pull = -n / d ** 2  # d f / d D
    x_parts = {"num": 1.0 / d, "sigx": pull * sigmoid(x) * (1 - sigmoid(x)), "xpy": pull * 2 * (x + y)}
    y_parts = {"sigy": sigmoid(y) * (1 - sigmoid(y)) / d, "xpy": pull * 2 * (x + y)}
    return {"f": n / d, "df_dx": sum(x_parts.values()), "df_dy": sum(y_parts.values()),
            "x_parts": x_parts, "y_parts": y_parts}


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    seen = []
    folder = tmp_path_factory.mktemp("staged")
    result = workbench.run("backprop", models_dir=str(folder), on_event=seen.append, example="staged")
    return result, [e.text for e in seen if isinstance(e, events.Log)]


def test_staged_starts_at_the_notes_point_and_gives_the_quotient_rules_gradients(default_run):
    result, _ = default_run
    m, want = result.metrics, by_quotient_rule(3.0, -4.0)
    assert (result.params["x"], result.params["y"]) == (3.0, -4.0)
    for name in ("f", "df_dx", "df_dy"):
        assert m[name] == pytest.approx(want[name], rel=1e-12), name
    assert m["max_error_vs_tensorflow"] < 1e-12
    assert m["max_error_vs_finite_differences"] < 1e-8
    assert m["hand_vs_graph_max_difference"] < 1e-15  # the notes' lines and the graph agree


def test_gradients_add_at_the_forks(default_run):
    result, logs = default_run
    m, want = result.metrics, by_quotient_rule(3.0, -4.0)
    assert set(m["df_dx_branches"]) == {"num", "sigx", "xpy"}
    assert set(m["df_dy_branches"]) == {"sigy", "xpy"}
    for name in ("x", "y"):
        for stage, part in want[f"{name}_parts"].items():
            assert m[f"df_d{name}_branches"][stage] == pytest.approx(part, rel=1e-12), (name, stage)
        assert m[f"df_d{name}_branch_sum_difference"] < 1e-15
    assert any(line.startswith("x forks into 3 stages (num, sigx, xpy)") for line in logs)
    assert any(line.startswith("y forks into 2 stages (sigy, xpy)") for line in logs)


def test_every_stage_is_drawn_with_its_value_and_gradient(default_run):
    _, logs = default_run
    tree = next(line for line in logs if line.startswith("the graph")).splitlines()
    hand = staged.by_hand(3.0, -4.0)
    for stage in staged.STAGES:
        drawn = f"{stage} = {hand[stage]:.4g}   grad {hand['d' + stage]:.4g}"
        assert any(drawn in line for line in tree), drawn
    # x reaches f through three stages, so it is drawn under each of them
    assert sum(line.strip(" │├└─").startswith("x = 3   grad 2.06") for line in tree) == 3


def test_the_vectorised_gradients_are_the_tapes_with_the_shapes_stated(default_run):
    result, logs = default_run
    m = result.metrics
    assert m["vectorised_error_dW_vs_tensorflow"] < 1e-12
    assert m["vectorised_error_dX_vs_tensorflow"] < 1e-12
    assert m["vectorised_shapes"] == {"W": "5x10", "X": "10x3", "D": "5x3", "dW": "5x10", "dX": "10x3"}
    assert any("dW = dD X^T is (5 x 3)(3 x 10) = 5 x 10" in line for line in logs)


def test_the_saved_model_computes_f(default_run):
    result, _ = default_run
    model, info = store.load_model(result.model_path)
    assert info.metadata["variant"] == "staged"
    for x, y in ((3.0, -4.0), (0.5, 1.5)):
        got = float(model.predict([np.array([[x]]), np.array([[y]])], verbose=0)[0, 0])
        assert got == pytest.approx(by_quotient_rule(x, y)["f"], rel=1e-5)


def test_a_learners_x_or_y_is_kept(tmp_path):
    result = workbench.run("backprop", models_dir=str(tmp_path), example="staged", x=1.0)
    assert (result.params["x"], result.params["y"]) == (1.0, 5.0)
    want = by_quotient_rule(1.0, 5.0)
    assert result.metrics["df_dx"] == pytest.approx(want["df_dx"], rel=1e-12)
    assert workbench.run("backprop", models_dir=str(tmp_path)).params["x"] == -2.0  # add_mul's own


def experiment() -> Experiment:
    return next(s for s in STEPS if isinstance(s, Experiment) and s.params.get("example") == "staged")


def test_the_paths_claims_hold_on_the_default_run(default_run):
    result, _ = default_run
    verdicts = [claim.check(result.metrics) for claim in experiment().claims]
    assert all(v.holds for v in verdicts), [v.line() for v in verdicts if not v.holds]


@pytest.mark.parametrize("index, broken", [
    (0, {"max_error_vs_tensorflow": 0.3}),
    (1, {"max_error_vs_finite_differences": 1e-3}),
    (2, {"df_dx": 0.512144}),  # only the num branch kept
    (2, {"df_dx_branches": {"xpy": 2.05957}}),  # one branch: no fork to add at
    (3, {"vectorised_error_dW_vs_tensorflow": 1.0}),
    (4, {"vectorised_error_dX_vs_tensorflow": 1.0}),
])
def test_the_paths_claims_fail_when_the_run_does_not_show_them(default_run, index, broken):
    result, _ = default_run
    verdict = experiment().claims[index].check({**result.metrics, **broken})
    assert not verdict.holds and verdict.why_not


def test_the_predict_step_is_settled_by_the_staged_experiment():
    step = STEPS.index(experiment()) + 1  # steps are counted from 1
    fork = next(s for s in STEPS if getattr(s, "title", "") == "Gradients at a fork")
    assert fork.settled_by == step and fork.shown_by == 2 and fork.answers[fork.correct] == "The sum of the three"


def test_notes_figures_are_the_ones_the_code_computes():
    assert is_fresh(figures.NOTES, figures.render), "run: python -m lessons.backprop.figures"


def test_non_finite_x_exits_2_before_any_work(tmp_path):
    assert (refused_before_any_work("backprop", "y=inf", tmp_path)
            == "workbench: error: y: expected a finite number, got 'inf'")
