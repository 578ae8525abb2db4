"""Lesson 2: linear classifiers, f(x) = Wx + b, with the SVM and softmax losses."""

from dataclasses import dataclass, fields

from lessons.common import OPTIMIZERS
from lessons.linear.key_results import HIGHLIGHTS
from workbench.authoring import BadInput, CurvePlot, knob, Lesson, Settings

SEARCHES = ("random_search", "local_search")
# compare: the gradient run, then both searches on the same loss, side by side.
METHODS = ("gradient", *SEARCHES, "compare")
# The knobs of one way of finding W, and the methods that use them: set away from its
# default under another method, a knob would be silently ignored, so it is refused.
USED_BY = {
    "learning_rate": ("gradient", "compare"), "epochs": ("gradient", "compare"),
    "batch_size": ("gradient", "compare"), "optimizer": ("gradient", "compare"),
    "evaluations": (*SEARCHES, "compare"), "scale": (*SEARCHES, "compare"),
    "step_size": ("local_search", "compare"),
}


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
    method: str = knob("gradient", "how W is found: gradient (follow the gradient, epochs of "
                       "minibatch steps), random_search (best of many random W), local_search "
                       "(nudge the best W at random, keep what lowers the loss) or compare (all "
                       "three)", choices=METHODS)
    evaluations: int = knob(1000, "searches: budget of training-loss evaluations", low=2,
                            high=1_000_000)
    scale: float = knob(0.01, "searches: std of the random W (random_search) and of local "
                        "search's starting W", above=0.0)
    step_size: float = knob(0.01, "local_search: std of each random nudge to W", above=0.0)

    def check(self) -> None:
        defaults = {f.name: f.default for f in fields(self)}
        for name, methods in USED_BY.items():
            value = getattr(self, name)
            if self.method not in methods and value != defaults[name]:
                raise BadInput(f"{name} applies to method={'|'.join(methods)}, not "
                               f"method={self.method}; drop --set {name}={value}")

    def mine_uses(self) -> tuple[str, ...]:
        # svm_loss or softmax_loss, the one this run trains with; the searches take no gradient.
        return (f"{self.loss}_loss",) if self.method == "gradient" else ()

    def why_not_across_workers(self) -> str | None:
        # compare searches too, but its gradient fit is what workers share
        if self.method in SEARCHES:
            return (f"method={self.method} searches in NumPy, in one process, without Keras' "
                    "fit; use method=gradient or compare")
        return None

    def saves(self) -> tuple[str, ...]:
        searched = tuple(f"{method}-{self.loss}" for method in SEARCHES)
        return {"gradient": (self.loss,), "compare": (self.loss, *searched)}.get(
            self.method, (f"{self.method}-{self.loss}",))


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
