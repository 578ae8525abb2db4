"""Lesson 2: linear classifiers, f(x) = Wx + b, with the SVM and softmax losses."""

from dataclasses import dataclass

from lessons.common import OPTIMIZERS
from lessons.linear.key_results import HIGHLIGHTS
from workbench.authoring import CurvePlot, knob, Lesson, Settings


@dataclass(frozen=True)
class LinearSettings(Settings):
    loss: str = knob("softmax", "svm (multiclass hinge) or softmax (cross-entropy)",
                     choices=("svm", "softmax"))
    learning_rate: float = knob(0.1, "step size of the optimizer", above=0.0)
    reg: float = knob(1e-4, "L2 strength: reg * sum(W^2) is added to the loss", low=0.0)
    delta: float = knob(1.0, "SVM margin (ignored by softmax)", low=0.0)
    epochs: int = knob(50, "passes over the training split", low=1, high=10_000)
    batch_size: int = knob(64, "images per gradient step", low=1, high=65_536)
    optimizer: str = knob("sgd_momentum", "sgd, sgd_momentum (0.9) or adam", choices=OPTIMIZERS)
    save_templates: bool = knob(False, "also save the class templates as a PNG beside the model")

    def mine_uses(self) -> tuple[str, ...]:
        return (f"{self.loss}_loss",)  # svm_loss or softmax_loss, the one this run trains with

    def saves(self) -> tuple[str, ...]:
        return (self.loss,)


LESSON = Lesson(
    id="linear",
    title="Linear classifiers",
    summary="Multiclass SVM and softmax on f(x) = Wx + b; sanity checks, gradient checks, templates.",
    position=3,  # section 3, loss functions and optimisation
    settings=LinearSettings,
    keras_modules=("lessons.linear.losses",),
    more_curves=(CurvePlot("L2 term: reg * sum(W^2)", ("reg_loss",)),),
    highlights=HIGHLIGHTS,
)
