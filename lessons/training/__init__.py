"""Lesson: training neural networks (course sections 6 and 7).

How to make a network train at all: initialisation, activation functions, batch
normalisation, the optimisers and regularisation, each as an experiment run on the
learner's machine, whose numbers the notes explain.
"""

from dataclasses import dataclass

from lessons.training.experiments import EXPERIMENTS
from workbench.errors import BadInput
from workbench.params import Settings, knob
from workbench.registry import Lesson

ACTIVATIONS = ("auto", "tanh", "relu", "sigmoid", "leaky_relu", "elu")


@dataclass(frozen=True)
class TrainingSettings(Settings):
    presets = ("experiment", EXPERIMENTS)  # what layers, units, epochs, learning_rate = 0 mean
    experiment: str = knob("init", "init (weight scales, symmetry), activations (saturated and "
                           "dead units), batchnorm (with and without, bad init and high learning "
                           "rate), optimizers (six on one net, paths on a bowl), regularization "
                           "(none, L2, dropout, both on a small training set) or preprocessing "
                           "(centring, normalising, PCA, whitening)",
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

    def check(self) -> None:
        if self.layers == 1:
            raise BadInput("layers must be 0 (the experiment's) or 2..30; got 1")

    def saves(self) -> tuple[str, ...]:
        return (self.experiment,)

    def nonlinearity(self) -> str:
        """The activation the run uses: the learner's, or the experiment's own."""
        return EXPERIMENTS[self.experiment].activation if self.activation == "auto" else self.activation


LESSON = Lesson(
    id="training",
    title="Training neural networks",
    title_zh="训练神经网络",
    summary="Initialisation, activations, batch norm, optimisers, regularisation: experiments "
            "that show why a net trains or does not.",
    position=6,  # sections 6 and 7 of the course, between linear classifiers and CNNs
    settings=TrainingSettings,
    highlights=(
        ("small_scale_std_ratio", "init: last layer's activation spread over the first's at the "
                                  "smallest scale; near 0, the signal is gone"),
        ("xavier_std_ratio", "the same with Xavier: the signal still reaches the top"),
        ("he_std_ratio", "the same with He (sqrt(2/n)), the scale made for ReLU"),
        ("large_scale_saturated", "share of last-layer tanh units stuck at +-1 at the largest "
                                  "scale: no gradient flows through them"),
        ("constant_init_unit_spread", "spread between the units of a layer after training "
                                      "from constant weights: 0, symmetry never breaks"),
        ("dead_relu_fraction", "activations: ReLUs that never fire on 512 training images, "
                               "after training at the experiment's rate"),
        ("dead_relu_fraction_high_lr", "the same after training at 4 times that rate"),
        ("bn_gain_at_bad_init", "final training loss without BN over with BN, at a bad init"),
        ("bn_gain_at_high_lr", "the same at a learning rate 20 times the experiment's"),
        ("bn_modes_max_difference", "how much one batch's BN outputs change between training "
                                    "mode (batch statistics) and inference (moving averages)"),
        ("best_optimizer", "lowest final training loss on the digits"),
        ("bowl_momentum_over_sgd", "momentum's loss on the bowl over plain SGD's, same steps"),
        ("val_loss_none", "validation loss without regularisation: an overfit net is sure of "
                          "its mistakes"),
        ("val_loss_both", "the same with L2 and dropout"),
        ("accuracy_gap_none", "train minus validation accuracy without regularisation"),
        ("components_for_95_percent", "preprocessing: directions that hold 95% of the "
                                      "pixels' variance"),
        ("whitened_covariance_max_error", "how far the whitened cloud's covariance is from the "
                                          "identity"),
        ("test_accuracy", "the saved network on the held-out test images"),
    ),
)
