"""The `training` lesson's run: one experiment, chosen by `experiment`, each in a module
of its own that reads like the lecture's slide it checks."""

from __future__ import annotations

import importlib

MODULES = {"init": "initialisation", "activations": "activations", "batchnorm": "batchnorm",
           "optimizers": "optimizers", "regularization": "regularization",
           "preprocessing": "preprocessing", "losses": "losses"}


def run(p, ctx) -> None:
    importlib.import_module(f"lessons.training.{MODULES[p.experiment]}").run(p, ctx)
