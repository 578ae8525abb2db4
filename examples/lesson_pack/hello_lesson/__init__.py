"""The declaration: what the catalogue, the CLI and the app know of the lesson.

Keep this module light (no Keras, no TensorFlow): it is imported by `workbench list` and
the app's first paint. The Keras code lives in `lesson.py`, named by `run`.
"""

from dataclasses import dataclass

from workbench.authoring import knob, Lesson, Settings


@dataclass(frozen=True)
class HelloSettings(Settings):
    hidden: int = knob(32, "units in the hidden layer", low=1, high=4096)
    epochs: int = knob(3, "passes over the training split", low=1, high=1000)
    learning_rate: float = knob(0.01, "Adam's step size", above=0.0)


LESSON = Lesson(
    id="hello",
    title="Two-layer network",
    summary="The example plug-in: one hidden ReLU layer on the digits, trained in seconds.",
    position=4,  # the notes' section 4, neural networks
    settings=HelloSettings,
)
