"""A computational graph of scalars, written for the lesson: each node keeps its forward
value and, after `backward`, the gradient of the output with respect to it.

Every gate knows only its local gradient; `backward` walks the graph from the output in
reverse topological order and multiplies each upstream gradient by the local one (the
chain rule), adding where a value fans out to several gates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(eq=False)
class Node:
    value: float
    op: str = "input"
    parents: tuple["Node", ...] = ()
    # d(this node)/d(each parent), evaluated at the forward values
    local: tuple[float, ...] = ()
    name: str = ""
    grad: float = 0.0
    order: int = field(default=0)

    # -- gates ---------------------------------------------------------------------------
    def __add__(self, other) -> "Node":
        other = lift(other)
        return Node(self.value + other.value, "add", (self, other), (1.0, 1.0))

    __radd__ = __add__

    def __mul__(self, other) -> "Node":
        other = lift(other)
        return Node(self.value * other.value, "mul", (self, other), (other.value, self.value))

    __rmul__ = __mul__

    def __neg__(self) -> "Node":
        return self * -1.0

    def __sub__(self, other) -> "Node":
        return self + (-lift(other))

    def __pow__(self, exponent: float) -> "Node":
        return Node(self.value ** exponent, f"pow {exponent:g}", (self,),
                    (exponent * self.value ** (exponent - 1),))

    def named(self, name: str) -> "Node":
        self.name = name
        return self


def lift(x) -> Node:
    return x if isinstance(x, Node) else Node(float(x), "const")


def inputs(**values: float) -> dict[str, Node]:
    return {name: Node(float(v), name=name) for name, v in values.items()}


def exp(a: Node) -> Node:
    e = math.exp(a.value)
    return Node(e, "exp", (a,), (e,))


def sigmoid(a: Node) -> Node:
    """One gate for the whole sigmoid: its local gradient is s (1 - s)."""
    s = 1.0 / (1.0 + math.exp(-a.value))
    return Node(s, "sigmoid", (a,), (s * (1.0 - s),))


def relu(a: Node) -> Node:
    return Node(max(a.value, 0.0), "relu", (a,), (1.0 if a.value > 0 else 0.0,))


def maximum(a, b) -> Node:
    """Routes the gradient to the larger input only (ties: to the first)."""
    a, b = lift(a), lift(b)
    first = a.value >= b.value
    return Node(max(a.value, b.value), "max", (a, b), (1.0 if first else 0.0, 0.0 if first else 1.0))


def topological(output: Node) -> list[Node]:
    """Every node the output depends on, each after all of its parents."""
    seen, order = set(), []

    def visit(node: Node) -> None:
        if id(node) in seen:
            return
        seen.add(id(node))
        for parent in node.parents:
            visit(parent)
        order.append(node)

    visit(output)
    return order


def backward(output: Node) -> list[Node]:
    """Fill in every node's gradient (d output / d node); the nodes in forward order."""
    nodes = topological(output)
    for i, node in enumerate(nodes):
        node.grad, node.order = 0.0, i
    output.grad = 1.0
    for node in reversed(nodes):
        for parent, local in zip(node.parents, node.local):
            parent.grad += node.grad * local  # the chain rule; fan-out adds up
    return nodes


def label(node: Node) -> str:
    return node.name or (f"{node.op} #{node.order}" if node.op not in ("const",) else f"{node.value:g}")


def rows(nodes: list[Node]) -> list[tuple[str, str, str, float, float]]:
    """(node, gate, inputs, forward value, gradient) per node, inputs first, output last."""
    return [(label(n), n.op, ", ".join(label(p) for p in n.parents), n.value, n.grad) for n in nodes]
