"""The lesson catalogue, readable without TensorFlow.

A `Lesson` is a declaration: id, title, parameters, notes and where its `run` lives.
The heavy module that builds Keras models is named by `entry` and imported only when
a run starts, so `workbench list`, `show` and the app's first paint stay fast.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from importlib import resources
from typing import Callable

from workbench.errors import BadInput
from workbench.params import Param

IMAGE_DATASETS = ("digits", "mnist", "fashion_mnist", "cifar10")


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    summary: str
    params: tuple[Param, ...] = ()
    notes: str = ""
    entry: str | None = None  # "module:function"; None while the lesson is not built yet
    keras_modules: tuple[str, ...] = ()  # modules that register this lesson's Keras classes
    datasets: tuple[str, ...] = IMAGE_DATASETS
    default_dataset: str = "digits"
    trains: bool = True  # False: --precision/--distribute do not apply (kNN only memorises)
    # Cross-parameter rules ("folds is 0 or 2..10"): raise BadInput; runs before any work.
    check: Callable[[dict], None] | None = None

    @property
    def built(self) -> bool:
        return self.entry is not None

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def load_run(self) -> Callable:
        if not self.built:
            raise BadInput(f"lesson {self.id!r} is not built yet")
        module, _, func = self.entry.partition(":")
        return getattr(importlib.import_module(module), func)


def read_notes(package: str, filename: str = "notes.md") -> str:
    """A lesson's Markdown notes, shipped beside its code."""
    return resources.files(package).joinpath(filename).read_text(encoding="utf-8")


def lessons() -> tuple[Lesson, ...]:
    """Every lesson in teaching order, built or not."""
    from lessons import CATALOG

    return CATALOG


def get(lesson_id: str) -> Lesson:
    for lesson in lessons():
        if lesson.id == lesson_id:
            return lesson
    ids = ", ".join(lesson.id for lesson in lessons())
    raise BadInput(f"unknown lesson {lesson_id!r}; choose one of {ids}")


def keras_modules() -> tuple[str, ...]:
    return tuple(m for lesson in lessons() for m in lesson.keras_modules)
