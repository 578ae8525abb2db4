"""Lesson: backpropagation on computational graphs (course section 4)."""

from dataclasses import dataclass

from lessons.backprop.key_results import HIGHLIGHTS
from workbench.authoring import BadInput, CurvePlot, knob, Lesson, Settings


@dataclass(frozen=True)
class BackpropSettings(Settings):
    example: str = knob("add_mul", "add_mul: f = (x + y) z, the lecture's first graph; neuron: "
                        "f = sigmoid(w0 x0 + w1 x1 + w2), gate by gate; network: a two-layer net "
                        "whose backward pass is written out in NumPy, checked and trained (with "
                        "--mine, also with your two_layer_loss)",
                        choices=("add_mul", "neuron", "network"))
    x: float = knob(-2.0, "add_mul: the input x")
    y: float = knob(5.0, "add_mul: the input y")
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

    def check(self) -> None:
        if len(self.weights) != 3:
            raise BadInput(f"weights must be three numbers (w0, w1, bias w2); got {len(self.weights)}")
        if len(self.inputs) != 2:
            raise BadInput(f"inputs must be two numbers (x0, x1); got {len(self.inputs)}")

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
)
