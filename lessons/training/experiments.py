"""Each experiment's own sizes: what `layers`, `units`, `epochs` and `learning_rate` = 0
mean (light to import: the catalogue reads it without Keras)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Experiment:
    layers: int
    units: int
    epochs: int
    learning_rate: float  # 0: each optimiser's own (the optimizers experiment)
    activation: str


EXPERIMENTS = {
    # The lecture's net: 10 layers of 500 units on random input; then a short fit on digits.
    "init": Experiment(layers=10, units=500, epochs=5, learning_rate=0.01, activation="tanh"),
    "activations": Experiment(layers=4, units=128, epochs=10, learning_rate=0.05, activation="relu"),
    "batchnorm": Experiment(layers=8, units=128, epochs=8, learning_rate=0.05, activation="relu"),
    "optimizers": Experiment(layers=2, units=128, epochs=8, learning_rate=0.0, activation="relu"),
    "regularization": Experiment(layers=2, units=256, epochs=80, learning_rate=0.001,
                                 activation="relu"),
    "preprocessing": Experiment(layers=2, units=128, epochs=10, learning_rate=0.001,
                                activation="relu"),
    # Two small heads on the digits' attributes; the regression part needs no net.
    "losses": Experiment(layers=2, units=64, epochs=8, learning_rate=0.003, activation="relu"),
}

# The losses experiment's default distance of the moved point above the line. Here, not
# in `regression` beside its other sizes, because that module brings NumPy.
OUTLIER = 100.0
