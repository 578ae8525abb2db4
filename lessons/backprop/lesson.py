"""The backprop lesson's run: a scalar graph (the lecture's examples) or a two-layer
network whose backward pass is written out by hand."""

from __future__ import annotations

import keras
import numpy as np

from lessons.backprop import scalar, staged


def run(p, ctx) -> None:
    if p.example == "network":
        from lessons.backprop import network

        network.run(p, ctx)
        return
    if p.example == "add_mul":
        values = {"x": p.x, "y": p.y, "z": p.z}
        builds = {"graph": scalar.add_mul}
        tf_build = scalar.add_mul_tf
    elif p.example == "staged":
        values = {"x": p.x, "y": p.y}
        builds = {"graph": staged.build}
        tf_build = staged.tf_function
    else:
        (w0, w1, w2), (x0, x1) = p.weights, p.inputs
        values = {"w0": w0, "x0": x0, "w1": w1, "x1": x1, "w2": w2}
        builds = {"graph": scalar.neuron_staged, "sigmoid gate": scalar.neuron_one_gate}
        tf_build = scalar.neuron_tf
    output, leaves, nodes = scalar.evaluate(builds["graph"], values)
    # The drawing is names and numbers, the same in every language: one field of the message.
    ctx.log("the graph, from the output back to the inputs (forward value, then d f / d node):\n"
            "{tree}",
            tree="\n".join(scalar.tree(output)))
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
    checked = dict(tensorflow=ctx.metrics["max_error_vs_tensorflow"],
                   differences=ctx.metrics["max_error_vs_finite_differences"],
                   **{f"df_d{name}": grad for name, grad in grads.items()})
    if p.example == "add_mul":
        ctx.log("gradients: df/dx = {df_dx:.4g}, df/dy = {df_dy:.4g}, df/dz = {df_dz:.4g}; "
                "TensorFlow agrees to {tensorflow:.1e}, centred differences to {differences:.1e}",
                **checked)
    elif p.example == "staged":
        ctx.log("gradients: df/dx = {df_dx:.6g}, df/dy = {df_dy:.6g}; TensorFlow agrees to "
                "{tensorflow:.1e}, centred differences to {differences:.1e}", **checked)
        staged.report(p, ctx, nodes, leaves)
    else:
        ctx.log("gradients: df/dw0 = {df_dw0:.4g}, df/dx0 = {df_dx0:.4g}, df/dw1 = {df_dw1:.4g}, "
                "df/dx1 = {df_dx1:.4g}, df/dw2 = {df_dw2:.4g}; TensorFlow agrees to "
                "{tensorflow:.1e}, centred differences to {differences:.1e}",
                **checked)
    found = scalar.patterns()
    ctx.metric("gate_patterns", {f"{gate}.{k}": v for gate, g in found.items() for k, v in g.items()})
    ctx.log("gate patterns, upstream gradient 2 at a = 3, b = -4: add hands both 2 "
            "({add_da:g}, {add_db:g}); mul swaps ({mul_da:g} = 2 b, {mul_db:g} = 2 a); max routes "
            "({max_da:g}, {max_db:g}); a used twice in a * a adds both paths "
            "({fan_out_da:g} = 2 x 3 + 2 x 3)",
            add_da=found["add"]["da"], add_db=found["add"]["db"], mul_da=found["mul"]["da"],
            mul_db=found["mul"]["db"], max_da=found["max"]["da"], max_db=found["max"]["db"],
            fan_out_da=found["fan_out"]["da"])
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
    if p.example == "staged":
        return staged.as_keras()
    x, y, z = (keras.Input((1,), name=n) for n in "xyz")
    q = keras.layers.Add(name="q")([x, y])
    return keras.Model([x, y, z], keras.layers.Multiply(name="f")([q, z]), name="add_mul")
