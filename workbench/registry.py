"""The lesson catalogue, readable without TensorFlow.

A `Lesson` is a declaration: id, title, parameters, notes and where its `run` lives.
The heavy module that builds Keras models is named by `entry` and imported only when
a run starts, so `workbench list`, `show` and the app's first paint stay fast.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from importlib import resources
from typing import Any, Callable

from workbench.errors import BadInput
from workbench.params import Param

IMAGE_DATASETS = ("digits", "mnist", "fashion_mnist", "cifar10")


def load(entry: str) -> Callable:
    """The function a "module:function" string names, importing its module on first use."""
    module, _, func = entry.partition(":")
    return getattr(importlib.import_module(module), func)


@dataclass(frozen=True)
class Architecture:
    """A named network a lesson can build, declared without importing Keras.

    `builder` is "module:function"; the function takes `input_shape`, `classes` (and
    its own keyword options) and returns a Keras model. `input_shape` and `classes` are
    the paper's, used when the caller gives none.
    """

    name: str
    builder: str
    summary: str
    input_shape: tuple[int, int, int]
    classes: int = 1000
    options: tuple[tuple[str, Any], ...] = ()  # fixed keyword arguments ("depth", 56)

    def build(self, input_shape: tuple[int, int, int] | None = None, classes: int | None = None,
              **options):
        return load(self.builder)(input_shape=tuple(input_shape or self.input_shape),
                     classes=classes or self.classes, **dict(self.options), **options)


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
    architectures: tuple[Architecture, ...] = ()  # what `workbench anatomy` can take apart

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
        return load(self.entry)


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


def architectures() -> dict[str, Architecture]:
    """Every architecture the lessons declare, by name, in teaching order."""
    return {a.name: a for lesson in lessons() for a in lesson.architectures}


def keras_modules() -> tuple[str, ...]:
    return tuple(m for lesson in lessons() for m in lesson.keras_modules)
