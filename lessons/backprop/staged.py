"""The notes' second example, staged: f = (x + sigmoid(y)) / (sigmoid(x) + (x + y)^2),
cut into the stages the notes name, forward then backward one stage at a time; then the
vectorised case D = W X, whose gradient formulas follow from the shapes alone."""

from __future__ import annotations

import math

import numpy as np

from lessons import common
from lessons.backprop import graph, scalar
from lessons.backprop.graph import Node

STAGES = ("sigy", "num", "sigx", "xpy", "xpysqr", "den", "invden", "f")
# The notes' shapes for D = W X: W is 5 x 10, X is 10 x 3, so D and dD are 5 x 3.
W_SHAPE, X_SHAPE = (5, 10), (10, 3)


def build(v: dict) -> Node:
    """The forward pass in the notes' stages, each a node of the graph (so each keeps
    its value for the backward pass: the forward values are the cache)."""
    x, y = v["x"], v["y"]
    sigy = graph.sigmoid(y).named("sigy")
    num = (x + sigy).named("num")
    sigx = graph.sigmoid(x).named("sigx")
    xpy = (x + y).named("xpy")
    xpysqr = (xpy ** 2.0).named("xpysqr")
    den = (sigx + xpysqr).named("den")
    invden = (den ** -1.0).named("invden")
    return (num * invden).named("f")


def by_hand(x: float, y: float) -> dict[str, float]:
    """The same two passes written out as the notes write them, stage by stage, with no
    graph: every backward line reads only cached forward values. Returns every stage's
    value and gradient, `d<stage>` for the gradients."""
    sigy = 1.0 / (1.0 + math.exp(-y))
    num = x + sigy
    sigx = 1.0 / (1.0 + math.exp(-x))
    xpy = x + y
    xpysqr = xpy ** 2
    den = sigx + xpysqr
    invden = 1.0 / den
    f = num * invden
    dnum, dinvden = invden, num
    dden = -1.0 / den ** 2 * dinvden
    dsigx, dxpysqr = dden, dden
    dxpy = 2.0 * xpy * dxpysqr
    dx, dy = dxpy, dxpy
    dx += sigx * (1.0 - sigx) * dsigx  # x reaches f a second time: its gradients add
    dx += dnum  # and a third
    dsigy = dnum
    dy += sigy * (1.0 - sigy) * dsigy  # y's second branch
    return dict(sigy=sigy, num=num, sigx=sigx, xpy=xpy, xpysqr=xpysqr, den=den, invden=invden,
                f=f, dsigy=dsigy, dnum=dnum, dsigx=dsigx, dxpy=dxpy, dxpysqr=dxpysqr, dden=dden,
                dinvden=dinvden, df=1.0, dx=dx, dy=dy)


def graph_at(x: float, y: float) -> tuple[dict[str, Node], list[Node]]:
    """The staged graph at (x, y) after its backward pass: its inputs and all its nodes."""
    _, leaves, nodes = scalar.evaluate(build, {"x": x, "y": y})
    return leaves, nodes


def branches(nodes: list[Node], leaf: Node) -> dict[str, float]:
    """What each stage that reads `leaf` hands back to it: the terms its gradient sums."""
    found: dict[str, float] = {}
    for node in nodes:
        for parent, local in zip(node.parents, node.local):
            if parent is leaf:
                found[graph.label(node)] = found.get(graph.label(node), 0.0) + node.grad * local
    return found


def tf_function(v):
    import tensorflow as tf

    return (v["x"] + tf.sigmoid(v["y"])) / (tf.sigmoid(v["x"]) + (v["x"] + v["y"]) ** 2)


def vectorised(seed: int) -> dict:
    """D = W X with an upstream gradient dD of D's shape: dW = dD X^T and dX = W^T dD,
    the only products whose shapes come out as W's and X's; checked against the tape."""
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    w, x = rng.standard_normal(W_SHAPE), rng.standard_normal(X_SHAPE)
    d_d = rng.standard_normal((W_SHAPE[0], X_SHAPE[1]))
    dw, dx = d_d @ x.T, w.T @ d_d
    tw, tx = tf.Variable(w), tf.Variable(x)
    with tf.GradientTape() as tape:
        d = tf.matmul(tw, tx)
    ref_w, ref_x = tape.gradient(d, [tw, tx], output_gradients=tf.constant(d_d))
    return dict(shapes={"W": W_SHAPE, "X": X_SHAPE, "D": d_d.shape, "dW": dw.shape, "dX": dx.shape},
                error_dW=float(common.relative_error(dw, ref_w.numpy(), scalar.FLOOR).max()),
                error_dX=float(common.relative_error(dx, ref_x.numpy(), scalar.FLOOR).max()))


def report(p, ctx, nodes, leaves) -> None:
    """The notes' stages written out by hand beside the graph, the sums at the forks, and
    the vectorised D = W X."""
    hand = by_hand(p.x, p.y)
    by_name = {node.name: node for node in nodes if node.name}
    ctx.metric("hand_vs_graph_max_difference",
               max(max(abs(hand[s] - by_name[s].value), abs(hand["d" + s] - by_name[s].grad))
                   for s in STAGES))
    for name in ("x", "y"):
        parts = branches(nodes, leaves[name])
        ctx.metric(f"df_d{name}_branches", parts)
        ctx.metric(f"df_d{name}_branch_sum_difference", abs(sum(parts.values()) - leaves[name].grad))
        ctx.log("{name} forks into {count} stages ({stages}); they hand back {terms}, which add "
                "to df/d{name} = {total:.6g}",
                name=name, count=len(parts), stages=", ".join(parts),
                terms=" + ".join(f"{v:.6g}" for v in parts.values()), total=leaves[name].grad)
    vec = vectorised(ctx.seed)
    ctx.metric("vectorised_error_dW_vs_tensorflow", vec["error_dW"])
    ctx.metric("vectorised_error_dX_vs_tensorflow", vec["error_dX"])
    ctx.metric("vectorised_shapes", {k: "x".join(map(str, v)) for k, v in vec["shapes"].items()})
    ctx.log("D = W X with W {W}, X {X}, so D and dD are {D}: dW = dD X^T is ({D})({XT}) = {dW}, "
            "dX = W^T dD is ({WT})({D}) = {dX}, the only products with W's and X's shapes; "
            "TensorFlow agrees to {ew:.1e} and {ex:.1e}",
            XT=_shape(X_SHAPE[::-1]), WT=_shape(W_SHAPE[::-1]), ew=vec["error_dW"],
            ex=vec["error_dX"], **{k: _shape(v) for k, v in vec["shapes"].items()})


def _shape(shape) -> str:
    return " x ".join(str(n) for n in shape)


def as_keras():
    """The staged function as a Keras graph to keep: no weights, one named layer per stage
    (1 / den is the lesson's one layer of its own)."""
    import keras

    from lessons.backprop.keras_layers import Reciprocal

    x, y = keras.Input((1,), name="x"), keras.Input((1,), name="y")
    sigy = keras.layers.Activation("sigmoid", name="sigy")(y)
    num = keras.layers.Add(name="num")([x, sigy])
    sigx = keras.layers.Activation("sigmoid", name="sigx")(x)
    xpy = keras.layers.Add(name="xpy")([x, y])
    xpysqr = keras.layers.Multiply(name="xpysqr")([xpy, xpy])
    den = keras.layers.Add(name="den")([sigx, xpysqr])
    invden = Reciprocal(name="invden")(den)
    return keras.Model([x, y], keras.layers.Multiply(name="f")([num, invden]), name="staged")
