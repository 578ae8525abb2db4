"""The scalar examples: the lecture's graphs built from gates, their backward pass, and
two independent checks of every gradient (TensorFlow's autodiff, centred differences)."""

from __future__ import annotations

from typing import Callable

from lessons import common
from lessons.backprop import graph
from lessons.backprop.graph import Node

H = 1e-5  # centred differences in float64: error ~ h^2, far below what is shown


def add_mul(v: dict) -> Node:
    q = (v["x"] + v["y"]).named("q")
    return (q * v["z"]).named("f")


def neuron_staged(v: dict) -> Node:
    """1 / (1 + exp(-(w0 x0 + w1 x1 + w2))), one primitive gate at a time, as the lecture
    draws it."""
    dot = (v["w0"] * v["x0"] + v["w1"] * v["x1"] + v["w2"]).named("dot")
    return ((1.0 + graph.exp(-dot)) ** -1.0).named("f")


def neuron_one_gate(v: dict) -> Node:
    """The same with the sigmoid as one gate, whose local gradient is s (1 - s)."""
    return graph.sigmoid(v["w0"] * v["x0"] + v["w1"] * v["x1"] + v["w2"]).named("f")


def evaluate(build: Callable[[dict], Node], values: dict[str, float]) -> tuple[Node, dict[str, Node], list[Node]]:
    leaves = graph.inputs(**values)
    output = build(leaves)
    nodes = graph.backward(output)
    return output, leaves, nodes


def finite_differences(build: Callable[[dict], Node], values: dict[str, float]) -> dict[str, float]:
    grads = {}
    for name in values:
        up = build(graph.inputs(**{**values, name: values[name] + H})).value
        down = build(graph.inputs(**{**values, name: values[name] - H})).value
        grads[name] = (up - down) / (2 * H)
    return grads


def tensorflow_gradients(build: Callable[[dict], object], values: dict[str, float]) -> dict[str, float]:
    """The same function written with TensorFlow ops, differentiated by GradientTape."""
    import tensorflow as tf

    variables = {name: tf.Variable(v, dtype=tf.float64) for name, v in values.items()}
    with tf.GradientTape() as tape:
        output = build(variables)
    grads = tape.gradient(output, list(variables.values()))
    return {name: float(g) for name, g in zip(variables, grads)}


def add_mul_tf(v):
    return (v["x"] + v["y"]) * v["z"]


def neuron_tf(v):
    import tensorflow as tf

    return tf.sigmoid(v["w0"] * v["x0"] + v["w1"] * v["x1"] + v["w2"])


# Gradients here are exact up to float64 rounding: floor CS231n's denominator far lower.
FLOOR = 1e-12


def relative_error(a: float, b: float) -> float:
    """CS231n's relative error of two gradients; 0 when both are 0."""
    return float(common.relative_error(a, b, FLOOR))


def tree(output: Node) -> list[str]:
    """The graph drawn from the output back to the inputs, each node with its forward
    value and its gradient; a node reached again (fan-out) is named, not redrawn."""
    lines, drawn = [], set()

    def draw(node: Node, prefix: str, last: bool, top: bool) -> None:
        branch = "" if top else ("└─ " if last else "├─ ")
        again = id(node) in drawn and node.parents
        if node.op == "const":
            text = f"{node.value:g} (a constant)"
        else:
            gate = "" if node.op == "input" else f"   ({node.op} gate)"
            text = f"{graph.label(node)} = {node.value:.4g}   grad {node.grad:.4g}{gate}"
        lines.append(prefix + branch + text + ("   (again, drawn above)" if again else ""))
        if again:
            return
        drawn.add(id(node))
        child_prefix = prefix + ("" if top else ("   " if last else "│  "))
        for i, parent in enumerate(node.parents):
            draw(parent, child_prefix, i == len(node.parents) - 1, False)

    draw(output, "", True, True)
    return lines


def patterns() -> dict[str, dict[str, float]]:
    """The gate patterns with an upstream gradient of 2: add distributes it, mul swaps
    the inputs, max routes it to the larger, and a value used twice adds both paths."""
    found = {}
    for name, build in (("add", lambda v: v["a"] + v["b"]), ("mul", lambda v: v["a"] * v["b"]),
                        ("max", lambda v: graph.maximum(v["a"], v["b"]))):
        _, leaves, _ = evaluate(lambda v: 2.0 * build(v), {"a": 3.0, "b": -4.0})
        found[name] = {"da": leaves["a"].grad, "db": leaves["b"].grad}
    _, leaves, _ = evaluate(lambda v: 2.0 * (v["a"] * v["a"]), {"a": 3.0})
    found["fan_out"] = {"da": leaves["a"].grad}
    return found
