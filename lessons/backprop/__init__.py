"""Lesson: backpropagation on computational graphs (course section 4)."""

import dataclasses
from dataclasses import dataclass

from lessons.backprop.key_results import HIGHLIGHTS
from workbench.authoring import BadInput, CurvePlot, knob, Lesson, Settings

ADD_MUL_X, ADD_MUL_Y = -2.0, 5.0  # the lecture's first graph
STAGED_X, STAGED_Y = 3.0, -4.0  # the notes' second example


@dataclass(frozen=True)
class BackpropSettings(Settings):
    example: str = knob("add_mul", "add_mul: f = (x + y) z, the lecture's first graph; neuron: "
                        "f = sigmoid(w0 x0 + w1 x1 + w2), gate by gate; network: a two-layer net "
                        "whose backward pass is written out in NumPy, checked and trained (with "
                        "--mine, also with your two_layer_loss); staged: f = (x + sigmoid(y)) / "
                        "(sigmoid(x) + (x + y)^2) in the notes' stages, and D = W X",
                        choices=("add_mul", "neuron", "network", "staged"))
    x: float = knob(ADD_MUL_X, "add_mul and staged: the input x (staged: 3 when x and y are "
                               "both left at add_mul's -2 and 5)")
    y: float = knob(ADD_MUL_Y, "add_mul and staged: the input y (staged: -4 when x and y are "
                               "both left at add_mul's -2 and 5)")
    z: float = knob(-4.0, "add_mul: the input z")
    weights: tuple[float, ...] = knob((2.0, -3.0, -3.0), "neuron: w0, w1 and the bias w2")
    inputs: tuple[float, ...] = knob((-1.0, -2.0), "neuron: x0 and x1")
    hidden: int = knob(64, "network: hidden ReLU units", low=1, high=4096)
    epochs: int = knob(20, "network: passes over the training split", low=1, high=10_000)
    learning_rate: float = knob(0.1, "network: SGD step size", above=0.0, high=10.0)
    batch_size: int = knob(64, "network: images per step", low=1, high=65_536)

    def mine_uses(self) -> tuple[str, ...]:
        """The network trains with your two_layer_loss and checks your four pieces chained."""
        if self.example != "network":
            return ()
        return ("affine_forward", "affine_backward", "relu_forward", "relu_backward", "two_layer_loss")

    def why_not_across_workers(self) -> str | None:
        if self.example != "network":
            return (f"example={self.example} works a graph by hand, without Keras' fit; only "
                    "example=network trains")
        return None

    def check(self) -> None:
        if len(self.weights) != 3:
            raise BadInput(f"weights must be three numbers (w0, w1, bias w2); got {len(self.weights)}")
        if len(self.inputs) != 2:
            raise BadInput(f"inputs must be two numbers (x0, x1); got {len(self.inputs)}")

    def with_presets(self):
        """staged starts at the notes' point x = 3, y = -4 unless the learner moved x or y
        from add_mul's defaults."""
        if self.example == "staged" and (self.x, self.y) == (ADD_MUL_X, ADD_MUL_Y):
            return dataclasses.replace(self, x=STAGED_X, y=STAGED_Y)
        return self

    def saves(self) -> tuple[str, ...]:
        return (self.example,)


LESSON = Lesson(
    id="backprop",
    title="Backpropagation",
    summary="The chain rule on computational graphs: gates, staged backward passes, a "
            "two-layer net's gradients by hand checked against TensorFlow.",
    position=4,  # section 4, backpropagation and neural networks
    settings=BackpropSettings,
    key_metric="max_error_vs_tensorflow",
    more_curves=(CurvePlot("training loss: Keras and the hand-written gradients",
                           ("loss", "numpy_loss")),),
    highlights=HIGHLIGHTS,
    keras_modules=("lessons.backprop.keras_layers",),
)
