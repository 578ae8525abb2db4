"""Lesson: training neural networks (course sections 6 and 7).

How to make a network train at all: initialisation, activation functions, batch
normalisation, the optimisers and regularisation, and the losses beyond one label per
image (attributes, regression), each as an experiment run on the learner's machine,
whose numbers the notes explain.
"""

from dataclasses import dataclass

from lessons.training.experiments import EXPERIMENTS, OUTLIER
from lessons.training.key_results import HIGHLIGHTS
from workbench.authoring import BadInput, knob, Lesson, Settings

ACTIVATIONS = ("auto", "tanh", "relu", "sigmoid", "leaky_relu", "elu")
# The exercises each experiment runs with under `--mine` (the others run with none).
MINE_USES = {"batchnorm": ("batchnorm_forward", "batchnorm_backward"),
             "optimizers": ("sgd_momentum", "rmsprop", "adam")}


@dataclass(frozen=True)
class TrainingSettings(Settings):
    presets = ("experiment", EXPERIMENTS)  # what layers, units, epochs, learning_rate = 0 mean
    experiment: str = knob("init", "init (weight scales, symmetry), activations (saturated and "
                           "dead units), batchnorm (with and without, bad init and high learning "
                           "rate), optimizers (six on one net, paths on a bowl), regularization "
                           "(none, L2, dropout, both on a small training set), preprocessing "
                           "(centring, normalising, PCA, whitening) or losses (sigmoids against a softmax "
                           "for attributes, L2 against L1 regression with an outlier)",
                           choices=tuple(EXPERIMENTS))
    activation: str = knob("auto", "hidden-layer nonlinearity (auto = the experiment's: tanh for "
                           "init, relu for batchnorm)", choices=ACTIVATIONS)
    layers: int = knob(0, "hidden layers (0 = the experiment's: 10 for init, 8 batchnorm, 4 "
                       "activations, 2 optimizers and regularization)", low=0, high=30, preset=True,
                       words="0 or 2..30")
    units: int = knob(0, "units per hidden layer (0 = the experiment's: 500 for init, as in the "
                      "lecture)", low=0, high=2000, preset=True)
    std: tuple[float, ...] = knob((0.01, 1.0), "init: fixed weight scales to compare with Xavier "
                                  "(1/sqrt(n)) and He (sqrt(2/n)); each > 0", above=0.0)
    epochs: int = knob(0, "passes over the training split (0 = the experiment's)", low=0,
                       high=10_000, preset=True)
    learning_rate: float = knob(0.0, "step size (0 = the experiment's)", low=0.0, preset=True)
    batch_size: int = knob(64, "images per gradient step", low=1, high=65_536)
    train_size: int = knob(200, "regularization: training images kept, few enough to overfit",
                           low=20, high=60_000)
    dropout: float = knob(0.5, "regularization: share of units dropped in training (0 <= p < 1)",
                          low=0.0, high=0.95, words="0..0.95")
    l2: float = knob(1e-3, "regularization: L2 strength on the kernels", low=0.0)
    statistics_from: str = knob("train", "preprocessing: the images the mean, spread and "
                                "components come from: train (the rule) or all (a leak, flagged)",
                                choices=("train", "all"))
    outlier: float = knob(OUTLIER, "losses: how far the one outlier sits above the regression "
                          "line (0: no outlier)", low=0.0, high=1e6)

    def check(self) -> None:
        if self.layers == 1:
            raise BadInput("layers must be 0 (the experiment's) or 2..30; got 1")

    def mine_uses(self) -> tuple[str, ...]:
        return MINE_USES.get(self.experiment, ())

    def saves(self) -> tuple[str, ...]:
        return (self.experiment,)

    def nonlinearity(self) -> str:
        """The activation the run uses: the learner's, or the experiment's own."""
        return EXPERIMENTS[self.experiment].activation if self.activation == "auto" else self.activation


LESSON = Lesson(
    id="training",
    title="Training neural networks",
    summary="Initialisation, activations, batch norm, optimisers, regularisation: experiments "
            "that show why a net trains or does not.",
    position=6,  # sections 6 and 7 of the course, between linear classifiers and CNNs
    settings=TrainingSettings,
    highlights=HIGHLIGHTS,
)
