"""Keras Workbench: CS231n-style deep learning lessons you run, watch and keep.

    >>> import workbench
    >>> result = workbench.run("knn", k=5, seed=0)
    >>> result.metrics["test_accuracy"]

Importing this package is cheap (no TensorFlow). It arranges for the lessons' custom
Keras classes to be registered the moment Keras is imported, so a saved model reloads
with plain `keras.models.load_model` in any program that imported `workbench`.
"""

from __future__ import annotations

from typing import Any

import wrapt

__version__ = "0.1.0"
__all__ = ["run", "__version__"]


def run(lesson: str, *, seed: int = 0, dataset: str | None = None, out: str | None = None,
        models_dir: str | None = None, on_event=None, cancel=None, precision: str = "float32",
        distribute: str = "none", workers: int | None = None, step: int | None = None,
        record: bool = True, tensorboard: bool | None = None, **params: Any):
    """Run a lesson headless and return its `Result`; lesson parameters are keyword args.

    `step`: carry out that experiment of the lesson's guided path (its preset, changed by
    `params`) and judge its claims (`Result.claims`). Every run goes into the run history
    (`record`) and its training into TensorBoard logs (`tensorboard`), as in the CLI.

    `distribute="multiworker", workers=N` trains across N processes started here, this
    one the chief (once per process: TensorFlow joins a process to one cluster)."""
    from workbench.running import runner

    return runner.run(lesson, params, dataset=dataset, seed=seed, out=out, step=step,
                      models_dir=models_dir, on_event=on_event, cancel=cancel,
                      precision=precision, distribute=distribute, workers=workers, record=record,
                      tensorboard=tensorboard)


@wrapt.when_imported("keras")
def _register_lesson_keras_classes(_keras) -> None:
    from workbench import registry

    registry.register_keras_classes()
