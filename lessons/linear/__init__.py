"""Lesson 2: linear classifiers, f(x) = Wx + b, with the SVM and softmax losses."""

from workbench.params import Param
from workbench.registry import Lesson, read_notes

from lessons.training import OPTIMIZERS

LESSON = Lesson(
    id="linear",
    title="Linear classifiers",
    summary="Multiclass SVM and softmax on f(x) = Wx + b; sanity checks, gradient checks, templates.",
    params=(
        Param("loss", str, "softmax", "svm (multiclass hinge) or softmax (cross-entropy)",
              choices=("svm", "softmax")),
        Param("learning_rate", float, 0.1, "step size of the optimizer", above=0.0),
        Param("reg", float, 1e-4, "L2 strength: reg * sum(W^2) is added to the loss", low=0.0),
        Param("delta", float, 1.0, "SVM margin (ignored by softmax)", low=0.0),
        Param("epochs", int, 50, "passes over the training split", low=1, high=10_000),
        Param("batch_size", int, 64, "images per gradient step", low=1, high=65_536),
        Param("optimizer", str, "sgd_momentum", "sgd, sgd_momentum (0.9) or adam", choices=OPTIMIZERS),
        Param("save_templates", bool, False, "also save the class templates as a PNG beside the model"),
    ),
    notes=read_notes(__name__),
    entry="lessons.linear.lesson:run",
    keras_modules=("lessons.linear.losses",),
)
