"""Experiment `preprocessing`: zero-centring, normalisation, PCA and whitening of the
digits, and the rule that every statistic comes from the training split alone.

Centring moves the data cloud's centre to the origin; normalising gives every feature
unit spread; PCA rotates the cloud onto the directions of largest variance (the
eigenvectors of its covariance), and whitening divides each of those by its spread, so
the cloud becomes round (covariance = identity). The statistics are the model's: a
`keras.layers.Normalization` adapted on the training images is the saved net's first
layer, so the test images are treated exactly as the training ones, with numbers that
never saw them.
"""

from __future__ import annotations

import keras
import numpy as np

from lessons.common import split_accuracies
from lessons.training.nets import fit, mlp

COMPONENTS_SHOWN = 16
EPSILON = 1e-5  # added to each eigenvalue before whitening: flat directions stay finite
CLOUD_POINTS = 300


def statistics(x: np.ndarray) -> dict[str, np.ndarray]:
    """Mean, per-feature std, and the covariance's eigenvectors and eigenvalues, largest
    first (numpy, float64), of the rows of x."""
    mean = x.mean(axis=0)
    centred = x - mean
    covariance = centred.T @ centred / len(x)
    values, vectors = np.linalg.eigh(covariance)
    order = np.argsort(values)[::-1]
    return {"mean": mean, "std": x.std(axis=0), "eigenvalues": values[order],
            "eigenvectors": vectors[:, order]}


def run(p, ctx) -> None:
    data = ctx.images
    flat = lambda x: x.reshape(len(x), -1).astype("float64")  # noqa: E731
    x_train, x_test = flat(data.x_train), flat(data.x_test)
    leak = p.statistics_from == "all"
    source = np.concatenate([x_train, flat(data.x_val), x_test]) if leak else x_train
    s = statistics(source)
    if leak:
        ctx.log("warning: the statistics were computed with the validation and test images in "
                "them; their scores now flatter the net (statistics_from = train is the rule)")
    ctx.metric("statistics_leak", leak)

    centred = x_train - s["mean"]
    # Pixels that never vary (the digits' corners) have std 0: they stay 0, not NaN.
    normalised = centred / np.where(s["std"] > 0, s["std"], 1.0)
    rotated = centred @ s["eigenvectors"]
    whitened = rotated / np.sqrt(s["eigenvalues"] + EPSILON)
    ctx.metric("train_mean_after_centring", float(np.max(np.abs(centred.mean(axis=0)))))
    ctx.metric("test_mean_after_centring", float(np.max(np.abs((x_test - s["mean"]).mean(axis=0)))))
    varying = s["std"] > 0
    ctx.metric("train_std_after_normalising", float(np.mean(normalised[:, varying].std(axis=0))))
    kept = s["eigenvalues"] > 1e-3 * s["eigenvalues"][0]  # directions with real variance
    covariance = np.cov(whitened[:, kept], rowvar=False, bias=True)
    ctx.metric("whitened_covariance_max_error", float(np.max(np.abs(covariance - np.eye(kept.sum())))))
    explained = np.cumsum(s["eigenvalues"]) / s["eigenvalues"].sum()
    for k in (2, 10, 20):
        ctx.metric(f"variance_in_top_{k}_components", float(explained[k - 1]))
    ctx.metric("components_for_95_percent", int(np.searchsorted(explained, 0.95) + 1))
    ctx.log("the top 10 of {directions} directions hold {share:.1%} of the variance; "
            "{components} hold 95%",
            directions=len(explained), share=float(explained[9]),
            components=ctx.metrics["components_for_95_percent"])

    show, directions = slice(0, CLOUD_POINTS), s["eigenvectors"][:, :2]
    clouds = {"original": x_train[show] @ directions, "centred": centred[show] @ directions,
              "whitened": whitened[show, :2]}
    ctx.chart("the data cloud on its two main directions: original, centred, whitened",
              "first direction", [], {name: xy[:, 1] for name, xy in clouds.items()},
              xs={name: xy[:, 0] for name, xy in clouds.items()}, scatter=True)
    ctx.chart("share of the variance in the first k directions", "k",
              range(1, len(explained) + 1), {"cumulative": explained})
    shape = data.image_shape[:2]
    components = s["eigenvectors"][:, :COMPONENTS_SHOWN].T
    if data.image_shape[-1] == 1:
        ctx.picture("the principal components as images (largest variance first)",
                    [_unit(c.reshape(shape)) for c in components],
                    [str(i + 1) for i in range(COMPONENTS_SHOWN)], columns=8)

    # The preprocessing as part of the model: Keras' Normalization, adapted on the
    # training images only, then a small net on the normalised pixels.
    normalization = keras.layers.Normalization(name="normalization")
    normalization.adapt(source.astype("float32"))
    model = mlp((source.shape[1],), p.layers, p.units, p.nonlinearity(), classes=data.num_classes)
    net = keras.Sequential([keras.Input(data.image_shape), keras.layers.Flatten(), normalization,
                            model], name="normalised_mlp")
    history = fit(net, keras.optimizers.Adam(p.learning_rate), p, ctx, series="normalised")
    ctx.metric("normalization_mean_matches", bool(np.allclose(
        keras.ops.convert_to_numpy(normalization.mean).ravel(), s["mean"], atol=1e-4)))
    for split, accuracy in split_accuracies(net, ctx).items():
        ctx.metric(split, accuracy)
    ctx.save(net, variant=p.experiment, history=history)


def _unit(image: np.ndarray) -> np.ndarray:
    low, high = image.min(), image.max()
    return (image - low) / (high - low) if high > low else np.zeros_like(image)
