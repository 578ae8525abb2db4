"""The backprop lesson: the lecture's gradients exactly, the graph engine against
independent derivatives, a hand-written backward pass against TensorFlow's."""

from __future__ import annotations

import math

import numpy as np
import pytest

import workbench
from conftest import refused_before_any_work
from lessons.backprop import graph, scalar
from workbench import registry
from workbench.results import store
from workbench.running import events


def run(models_dir, **settings):
    seen = []
    result = workbench.run("backprop", models_dir=str(models_dir), on_event=seen.append, **settings)
    return result, seen


def test_backprop_comes_after_linear_classifiers():
    ids = [lesson.id for lesson in registry.lessons()]
    assert ids.index("linear") < ids.index("backprop") < ids.index("training")


def test_the_lectures_first_graph_gives_its_gradients_exactly(tmp_path):
    result, seen = run(tmp_path)
    m = result.metrics
    assert (m["f"], m["df_dx"], m["df_dy"], m["df_dz"]) == (-12.0, -4.0, -4.0, 3.0)
    assert m["max_error_vs_tensorflow"] == 0.0
    assert m["max_error_vs_finite_differences"] < 1e-9
    tree = next(e.text for e in seen if isinstance(e, events.Log) and e.text.startswith("the graph"))
    lines = tree.splitlines()[1:]
    assert lines[0] == "f = -12   grad 1   (mul gate)"
    assert "├─ q = 3   grad -4   (add gate)" in lines[1]
    assert any(line.endswith("x = -2   grad -4") for line in lines)
    assert any(line.endswith("z = -4   grad 3") for line in lines)
    assert m["gate_patterns"] == {"add.da": 2.0, "add.db": 2.0, "mul.da": -8.0, "mul.db": 6.0,
                                  "max.da": 2.0, "max.db": 0.0, "fan_out.da": 12.0}
    # Kept as a Keras model of the graph: it computes f.
    model, info = store.load_model(result.model_path)
    assert info.metadata["variant"] == "add_mul"
    assert float(model.predict([np.array([[-2.0]]), np.array([[5.0]]), np.array([[-4.0]])], verbose=0)[0, 0]) == -12.0


def test_any_values_follow_the_chain_rule(tmp_path):
    result, _ = run(tmp_path, x=1.5, y=2.0, z=-3.0)
    m = result.metrics
    assert (m["df_dx"], m["df_dy"], m["df_dz"]) == (-3.0, -3.0, 3.5)


def test_the_sigmoid_neuron_at_the_lectures_values(tmp_path):
    result, _ = run(tmp_path, example="neuron")
    m = result.metrics
    s = 1 / (1 + math.exp(-1.0))  # w . x + b = 2 x -1 + -3 x -2 - 3 = 1
    local = s * (1 - s)
    assert m["f"] == pytest.approx(s, rel=1e-12)
    expected = {"w0": -1 * local, "x0": 2 * local, "w1": -2 * local, "x1": -3 * local, "w2": local}
    for name, value in expected.items():
        assert m[f"df_d{name}"] == pytest.approx(value, rel=1e-12), name
    # The lecture's rounded figures: dw = (-0.20, -0.39, 0.20), dx = (0.39, -0.59).
    assert [round(m[f"df_d{n}"], 2) for n in ("w0", "w1", "w2", "x0", "x1")] == [-0.2, -0.39, 0.2, 0.39, -0.59]
    assert m["one_gate_max_difference"] < 1e-15
    assert m["max_error_vs_tensorflow"] < 1e-12
    model, _ = store.load_model(result.model_path)
    assert float(model.predict(np.array([[-1.0, -2.0]]), verbose=0)[0, 0]) == pytest.approx(s, rel=1e-6)


@pytest.mark.parametrize("build, values", [
    (lambda v: graph.maximum(v["a"] * v["b"], v["a"] + v["b"]) ** 2.0, {"a": 1.5, "b": -0.5}),
    (lambda v: graph.exp(v["a"] * -1.0) * graph.sigmoid(v["b"]) + v["a"] * v["a"], {"a": 0.3, "b": 2.0}),
    (lambda v: graph.relu(v["a"] - v["b"]) * (v["a"] + 1.0) ** -1.0, {"a": 2.0, "b": 0.5}),
])
def test_the_graph_engine_matches_centred_differences(build, values):
    _, leaves, _ = scalar.evaluate(build, values)
    numeric = scalar.finite_differences(build, values)
    for name in values:
        assert leaves[name].grad == pytest.approx(numeric[name], rel=1e-7, abs=1e-9), name


def test_the_hand_written_backward_pass_is_tensorflows_and_trains_the_same_net(tmp_path):
    result, seen = run(tmp_path, example="network", epochs=3)
    m = result.metrics
    assert m["max_error_vs_tensorflow"] < 1e-9  # float64 on both sides: the algebra agrees
    for split in ("train", "val", "test"):
        assert m[f"numpy_{split}_accuracy"] == pytest.approx(m[f"{split}_accuracy"], abs=0.01)
    assert m["weights_max_difference_after_training"] < 1e-4
    assert m["test_accuracy"] > 0.8
    assert m["relu_jacobian_off_diagonal_max"] == 0.0 and m["relu_jacobian_diagonal_matches"]
    epochs = [e for e in seen if isinstance(e, events.EpochEnd)]
    assert len(epochs) == 3 and all("numpy_loss" in e.logs for e in epochs)
    assert epochs[-1].logs["numpy_loss"] == pytest.approx(epochs[-1].logs["loss"], rel=1e-3)


@pytest.mark.parametrize("setting, message", [
    ("weights=1,2", "weights must be three numbers (w0, w1, bias w2); got 2"),
    ("inputs=1", "inputs must be two numbers (x0, x1); got 1"),
    ("example=chain", "example must be one of add_mul, neuron, network, staged; got 'chain'"),
    ("x=nan", "x: expected a finite number, got 'nan'"),
    ("hidden=0", "hidden must be 1..4096; got 0"),
])
def test_bad_values_exit_2_before_any_work(tmp_path, setting, message):
    assert refused_before_any_work("backprop", setting, tmp_path) == f"workbench: error: {message}"
