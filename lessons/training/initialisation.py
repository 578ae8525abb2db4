"""Experiment `init`: what the scale of the first weights does to a deep net's signal.

The lecture's set-up: ten layers of 500 units on 1,000 random inputs, weights drawn at a
fixed scale or scaled by each layer's fan-in. Too small, and every layer shrinks the
signal until the last ones output zeros; too large, and tanh saturates at +-1 where its
gradient is zero; Xavier (1/sqrt(n)) keeps tanh's spread, He (sqrt(2/n)) ReLU's. Then:
weights that all start equal stay equal (symmetry never breaks), measured on a real fit.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from lessons.common import split_accuracies
from lessons.training.nets import activations_model, fit, hidden_kernels, mlp

SAMPLES = 1000
SATURATED = 0.99  # |tanh| above this: the gradient through it is under 2% of its peak
HISTOGRAM_BINS = 21


def initializer(scale):
    """A fixed standard deviation, or the lecture's Xavier / He: normal with variance
    1/n or 2/n for n inputs (Keras' VarianceScaling on fan-in, not truncated)."""
    if scale == "xavier":
        return keras.initializers.VarianceScaling(1.0, "fan_in", "untruncated_normal")
    if scale == "he":
        return keras.initializers.VarianceScaling(2.0, "fan_in", "untruncated_normal")
    return keras.initializers.RandomNormal(stddev=float(scale))


def label(scale) -> str:
    return scale if isinstance(scale, str) else f"std {scale:g}"


def layer_statistics(model, x, y) -> dict[str, list[float]]:
    """Per hidden layer: mean and std of the activations, share saturated (tanh and
    sigmoid) or silent (ReLU: 0 for every input), and the gradient reaching its kernel."""
    outputs = activations_model(model)(x)
    kernels = hidden_kernels(model)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, model(x)))
    grads = tape.gradient(loss, kernels)
    values = [keras.ops.convert_to_numpy(a) for a in outputs]
    return {
        "mean": [float(a.mean()) for a in values],
        "std": [float(a.std()) for a in values],
        "saturated": [float(np.mean(np.abs(a) > SATURATED)) for a in values],
        "silent_units": [float(np.mean(np.all(a <= 0, axis=0))) for a in values],
        "grad_norm": [float(tf.norm(g)) for g in grads],
        "histograms": [np.histogram(a, bins=HISTOGRAM_BINS, range=_range(a))[0] / a.size
                       for a in values],
        "ranges": [_range(a) for a in values],
    }


def _range(a: np.ndarray) -> tuple[float, float]:
    low, high = float(a.min()), float(a.max())
    return (low, high) if high > low else (low - 1e-9, high + 1e-9)


def unit_spread(model) -> float:
    """How different the units of a layer are: the largest standard deviation, across a
    layer's units, of the weight each receives from one input. 0: all units identical."""
    return max(float(np.max(np.std(keras.ops.convert_to_numpy(k), axis=1))) for k in hidden_kernels(model))


def run(p, ctx) -> None:
    activation = p.nonlinearity()
    rng = np.random.default_rng(ctx.seed)
    x = rng.standard_normal((SAMPLES, p.units)).astype("float32")
    y = rng.integers(0, 10, SAMPLES)
    scales = [*p.std, "xavier", "he"]
    ctx.stage("initialisations", len(scales))
    stats = {}
    for done, scale in enumerate(scales, 1):
        ctx.check_cancelled()
        model = mlp((p.units,), p.layers, p.units, activation, initializer=initializer(scale))
        stats[label(scale)] = s = layer_statistics(model, x, y)
        ctx.progress("initialisations", done, len(scales))
        ctx.log("{scale:>9}: activation std by layer {stds}",
                scale=label(scale), stds=" ".join(f"{v:.3g}" for v in s["std"]))
    report(ctx, p, activation, stats)
    symmetry(p, ctx, activation)

    # The net a learner would keep: the recommended scale for this nonlinearity, trained.
    good = "he" if activation in ("relu", "leaky_relu", "elu") else "xavier"
    model = mlp(ctx.images.image_shape, p.layers, p.units, activation, initializer=initializer(good),
                classes=ctx.images.num_classes)
    history = fit(model, keras.optimizers.SGD(p.learning_rate, momentum=0.9), p, ctx, series=good)
    for name, value in split_accuracies(model, ctx).items():
        ctx.metric(name, value)
    ctx.save(model, variant=p.experiment, history=history)


def report(ctx, p, activation: str, stats: dict) -> None:
    layers = range(1, p.layers + 1)
    for key in ("std", "mean", "grad_norm"):
        ctx.metric(f"activation_{key}" if key != "grad_norm" else "grad_norm",
                   {name: s[key] for name, s in stats.items()})
    ratio = {name: s["std"][-1] / s["std"][0] for name, s in stats.items()}
    ctx.metric("std_ratio_last_to_first", ratio)
    small, large = label(min(p.std)), label(max(p.std))
    ctx.metric("small_scale_std_ratio", ratio[small])
    ctx.metric("xavier_std_ratio", ratio["xavier"])
    ctx.metric("he_std_ratio", ratio["he"])
    if activation in ("tanh", "sigmoid"):
        ctx.metric("saturated_fraction", {name: s["saturated"] for name, s in stats.items()})
        ctx.metric("large_scale_saturated", stats[large]["saturated"][-1])
    else:
        ctx.metric("silent_unit_fraction", {name: s["silent_units"] for name, s in stats.items()})
    ctx.chart(f"std of the {activation} activations by layer (log scale)", "layer", layers,
              {name: s["std"] for name, s in stats.items()}, log_y=True)
    ctx.chart("gradient norm reaching each layer's weights (log scale)", "layer", layers,
              {name: s["grad_norm"] for name, s in stats.items()}, log_y=True)
    shown = sorted({1, (p.layers + 1) // 2, p.layers})
    for name, s in stats.items():
        # Each layer's histogram over its own range, drawn at the bins' centres.
        centres = {f"layer {i}": np.linspace(*s["ranges"][i - 1], HISTOGRAM_BINS * 2 + 1)[1::2]
                   for i in shown}
        ctx.chart(f"{name}: distribution of the activations at layers {', '.join(map(str, shown))}",
                  "activation value", [], {f"layer {i}": s["histograms"][i - 1] for i in shown},
                  xs=centres)


def symmetry(p, ctx, activation: str) -> None:
    """Equal starting weights get equal gradients: after a real fit every unit of a
    layer is still the same unit (and from zeros, with tanh, nothing but the output's
    bias learns at all)."""
    # 1/units: small enough that no layer saturates, so gradients do flow and move weights.
    # Every layer starts equal, the output layer too: one random layer anywhere would hand
    # its units different gradients, and the symmetry would break from there down.
    for name, start in (("constant", keras.initializers.Constant(1.0 / p.units)),
                        ("zeros", keras.initializers.Zeros())):
        ctx.check_cancelled()
        model = mlp(ctx.images.image_shape, p.layers, p.units, activation, initializer=start,
                    scores_initializer=start, classes=ctx.images.num_classes)
        fit(model, keras.optimizers.SGD(p.learning_rate, momentum=0.9), p, ctx, epochs=1,
            series=f"{name} init")
        spread = unit_spread(model)
        ctx.metric(f"{name}_init_unit_spread", spread)
        moved = max(float(np.max(np.abs(keras.ops.convert_to_numpy(k)
                                        - keras.ops.convert_to_numpy(start(k.shape)))))
                    for k in hidden_kernels(model))
        ctx.metric(f"{name}_init_weights_moved", moved)
        ctx.metric(f"{name}_init_train_accuracy", split_accuracies(model, ctx)["train_accuracy"])
        ctx.log("{name} init, one epoch: weights moved by up to {moved:.3g}, yet the units of "
                "each layer differ by {spread:.3g} (identical units learn identical things)",
                name=name, moved=moved, spread=spread)
