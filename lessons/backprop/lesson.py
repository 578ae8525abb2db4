"""The backprop lesson's run: a scalar graph (the lecture's examples) or a two-layer
network whose backward pass is written out by hand."""

from __future__ import annotations

import keras
import numpy as np

from lessons.backprop import scalar


def run(p, ctx) -> None:
    if p.example == "network":
        from lessons.backprop import network

        network.run(p, ctx)
        return
    if p.example == "add_mul":
        values = {"x": p.x, "y": p.y, "z": p.z}
        builds = {"graph": scalar.add_mul}
        tf_build = scalar.add_mul_tf
    else:
        (w0, w1, w2), (x0, x1) = p.weights, p.inputs
        values = {"w0": w0, "x0": x0, "w1": w1, "x1": x1, "w2": w2}
        builds = {"graph": scalar.neuron_staged, "sigmoid gate": scalar.neuron_one_gate}
        tf_build = scalar.neuron_tf
    output, leaves, _ = scalar.evaluate(builds["graph"], values)
    ctx.log("the graph, from the output back to the inputs (forward value, then d f / d node):\n"
            + "\n".join(scalar.tree(output)),
            zh="计算图，从输出回溯到输入（先是前向值，然后是 d f / d node）：\n"
               + "\n".join(scalar.tree(output)))
    ctx.metric("f", output.value)
    grads = {name: leaves[name].grad for name in values}
    for name, grad in grads.items():
        ctx.metric(f"df_d{name}", grad)
    if len(builds) > 1:  # the sigmoid as one gate gives the very same gradients
        _, one_gate, _ = scalar.evaluate(builds["sigmoid gate"], values)
        ctx.metric("one_gate_max_difference", max(abs(one_gate[n].grad - grads[n]) for n in values))
    reference = scalar.tensorflow_gradients(tf_build, values)
    numeric = scalar.finite_differences(builds["graph"], values)
    ctx.metric("max_error_vs_tensorflow", max(scalar.relative_error(grads[n], reference[n]) for n in values))
    ctx.metric("max_error_vs_finite_differences",
               max(scalar.relative_error(grads[n], numeric[n]) for n in values))
    ctx.log("gradients: " + ", ".join(f"df/d{n} = {g:.4g}" for n, g in grads.items())
            + f"; TensorFlow agrees to {ctx.metrics['max_error_vs_tensorflow']:.1e}, centred "
            f"differences to {ctx.metrics['max_error_vs_finite_differences']:.1e}",
            zh="梯度：" + "，".join(f"df/d{n} = {g:.4g}" for n, g in grads.items())
               + f"；与 TensorFlow 相符，误差在 {ctx.metrics['max_error_vs_tensorflow']:.1e} 以内；"
               f"与中心差分相符，误差在 {ctx.metrics['max_error_vs_finite_differences']:.1e} 以内")
    found = scalar.patterns()
    ctx.metric("gate_patterns", {f"{gate}.{k}": v for gate, g in found.items() for k, v in g.items()})
    ctx.log("gate patterns, upstream gradient 2 at a = 3, b = -4: add hands both 2 "
            f"({found['add']['da']:g}, {found['add']['db']:g}); mul swaps ({found['mul']['da']:g} "
            f"= 2 b, {found['mul']['db']:g} = 2 a); max routes ({found['max']['da']:g}, "
            f"{found['max']['db']:g}); a used twice in a * a adds both paths "
            f"({found['fan_out']['da']:g} = 2 x 3 + 2 x 3)",
            zh="门的模式，上游梯度为 2，a = 3，b = -4 时：add 把 2 交给两个输入 "
               f"({found['add']['da']:g}, {found['add']['db']:g})；mul 互换 ({found['mul']['da']:g} "
               f"= 2 b, {found['mul']['db']:g} = 2 a)；max 路由 ({found['max']['da']:g}, "
               f"{found['max']['db']:g})；a * a 中 a 被用了两次，两条路径的梯度相加 "
               f"({found['fan_out']['da']:g} = 2 x 3 + 2 x 3)")
    ctx.save(as_keras(p, values), variant=p.example)


def as_keras(p, values: dict) -> keras.Model:
    """The example as a Keras model to keep: the neuron is a Dense(1, sigmoid) holding w;
    (x + y) z has no weights, only its graph."""
    if p.example == "neuron":
        inputs = keras.Input((2,), name="x")
        dense = keras.layers.Dense(1, activation="sigmoid", name="neuron")
        model = keras.Model(inputs, dense(inputs), name="neuron")
        dense.set_weights([np.array([[values["w0"]], [values["w1"]]]), np.array([values["w2"]])])
        return model
    x, y, z = (keras.Input((1,), name=n) for n in "xyz")
    q = keras.layers.Add(name="q")([x, y])
    return keras.Model([x, y, z], keras.layers.Multiply(name="f")([q, z]), name="add_mul")
