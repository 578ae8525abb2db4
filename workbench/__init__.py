"""Keras Workbench: CS231n-style deep learning lessons you run, watch and keep.

    >>> import workbench
    >>> result = workbench.run("knn", k=5, seed=0)
    >>> result.metrics["test_accuracy"]

Importing this package is cheap (no TensorFlow). It arranges for the lessons' custom
Keras classes to be registered the moment Keras is imported, so a saved model reloads
with plain `keras.models.load_model` in any program that imported `workbench`.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import Any, Callable

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


class _AfterImport:
    """A finder on `sys.meta_path` that calls `hook(module)` once `name` has been executed.

    A few lines instead of `wrapt.when_imported`: importing wrapt costs the app's first
    frame tens of milliseconds, for one hook."""

    def __init__(self, name: str, hook: Callable[[Any], None]) -> None:
        self.name, self.hook = name, hook
        self._finding = False  # while asking the other finders for the real spec

    def find_spec(self, fullname: str, path=None, target=None):
        if fullname != self.name or self._finding:
            return None
        self._finding = True
        try:
            spec = importlib.util.find_spec(fullname)
        finally:
            self._finding = False
        if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
            self._call_hook_after(spec.loader)
        return spec

    def _call_hook_after(self, loader) -> None:
        # Patched on this one loader object, not wrapped: the module's __loader__ and
        # __spec__.loader stay what its own finder made, for whoever inspects them.
        execute = loader.exec_module

        def exec_module(module) -> None:
            execute(module)
            if self in sys.meta_path:  # the hook runs once, after a successful import
                sys.meta_path.remove(self)
            self.hook(module)

        loader.exec_module = exec_module


def _when_imported(name: str):
    """Decorator: call the function with module `name` as soon as it is imported (at once
    when it already is), as `wrapt.when_imported` does."""
    def register(hook: Callable[[Any], None]) -> Callable[[Any], None]:
        if name in sys.modules:
            hook(sys.modules[name])
        else:
            sys.meta_path.insert(0, _AfterImport(name, hook))
        return hook
    return register


@_when_imported("keras")
def _register_lesson_keras_classes(_keras) -> None:
    from workbench import registry

    registry.register_keras_classes()
