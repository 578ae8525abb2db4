"""The lesson catalogue: plug-ins found through entry points, readable without TensorFlow.

A lesson is a package that declares a `Lesson` (id, title, course position, settings,
notes, where its `run` lives) and registers it in the `workbench.lessons` entry-point
group of its distribution:

    [project.entry-points."workbench.lessons"]
    knn = "lessons.knn:LESSON"

This package registers its own lessons that way, so a lesson pack installed with pip adds
lessons exactly as the built-in ones are added. The declaration is light: the module that
builds Keras models is named by `run` and imported only when a run starts, so `workbench
list`, `show` and the app's first paint stay fast. A plug-in that fails to load is
reported (`workbench list` prints one line for it) and skipped; the rest still work.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
import re
import sys
from dataclasses import dataclass, field
from importlib import metadata, resources
from typing import Any, Callable

from workbench.errors import BadInput
from workbench.i18n.catalogue import Catalogue, of_package
from workbench.i18n.language import pick
from workbench.params import Param, Settings

GROUP = "workbench.lessons"
# Only the lessons of these distributions (comma-separated names, as pip lists them), when
# set: a classroom that wants the built-in course alone, or a test suite that must not
# change with whatever else is installed. Unset or empty: every installed lesson.
PACKS_ENV = "WORKBENCH_PACKS"
IMAGE_DATASETS = ("digits", "mnist", "fashion_mnist", "cifar10")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")  # ids name files (`knn.h5`) and CLI arguments


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
    # The lesson settings that make a run train this network (("arch", "vgg16"),), so the
    # app's Anatomy tab and form follow each other; () for one no run trains.
    selected_by: tuple[tuple[str, Any], ...] = ()

    def build(self, input_shape: tuple[int, int, int] | None = None, classes: int | None = None,
              **options):
        return load(self.builder)(input_shape=tuple(input_shape or self.input_shape),
                                  classes=classes or self.classes, **dict(self.options), **options)


@dataclass(frozen=True)
class CurvePlot:
    """Epoch-log keys plotted in a small plot of their own, on their own scale (an L2
    term beside a loss of 2, a gradient norm): the app draws one under loss and accuracy."""

    title: str
    keys: tuple[str, ...]
    log_y: bool = False


@dataclass(frozen=True)
class Lesson:
    """Everything the engine and the front ends know of a lesson, and all they need."""

    id: str
    title: str
    summary: str
    position: float  # where the course teaches it (the seed notes' section); sorts the catalogue
    settings: type[Settings]  # its parameters: a frozen dataclass of knobs, in the package
    # By convention the rest lives beside the settings, in the lesson's package: `run` is
    # "<package>.lesson:run" (taking settings and ctx), the notes are its notes.md.
    run: str = ""
    notes: str = ""
    notes_zh: str = ""  # its notes.zh.md: the same sections in Chinese (English where absent)
    keras_modules: tuple[str, ...] = ()  # modules that register this lesson's Keras classes
    datasets: tuple[str, ...] = IMAGE_DATASETS
    default_dataset: str = "digits"
    trains: bool = True  # False: --precision/--distribute do not apply (kNN only memorises)
    # Whether it trains with Keras' `fit`, so that every worker of a multi-worker run
    # takes the same all-reduces (`--distribute multiworker`); None: as `trains`. A
    # lesson whose Settings train some other way for some values says so in their
    # `why_not_across_workers()` (a reason, or None).
    multiworker: bool | None = None
    key_metric: str = "test_accuracy"  # the number its saved models are compared by
    # The few numbers a run is read by, each with what it means: shown first, above the
    # full metrics, by `workbench run` and the app's Run tab. (metric name, meaning)
    highlights: tuple[tuple[str, str], ...] = ()
    architectures: tuple[Architecture, ...] = ()  # what `workbench anatomy` can take apart
    more_curves: tuple[CurvePlot, ...] = ()  # beside the loss and the accuracy curves
    # "module:function" taking (model, metadata) and returning an object with
    # `check_prime(text)` and `generate(prime, length, *, temperature, top_k, seed)`:
    # the lesson's models write text (`workbench generate`, the Generate screen).
    generator: str | None = None
    # The same, driven by the learner's exercise functions (`generate --mine`): "module:
    # function" taking (model, metadata, functions by name), and the exercises it uses.
    mine_generator: str | None = None
    mine_generator_uses: tuple[str, ...] = ()
    # "module:NAME" of the exercises the learner writes (a sequence of
    # `workbench.course.exercises.Exercise`); by convention the package's exercises.py, if any.
    exercises: str = ""

    def __post_init__(self):
        # A broken declaration fails when the plug-in loads, not in the middle of a run.
        if not _ID.match(self.id):
            raise ValueError(f"lesson id {self.id!r} must be lower-case letters, digits and _")
        self.settings.params()
        package = self.settings.__module__
        if not self.run:
            object.__setattr__(self, "run", f"{package}.lesson:run")
        if not self.notes:
            object.__setattr__(self, "notes", read_notes(package))
        if not self.exercises and importlib.util.find_spec(f"{package}.exercises") is not None:
            object.__setattr__(self, "exercises", f"{package}.exercises:EXERCISES")
        if not self.notes_zh:
            object.__setattr__(self, "notes_zh", read_notes(package, ZH_NOTES, missing_ok=True))

    @property
    def spreads_across_workers(self) -> bool:
        return self.trains if self.multiworker is None else self.multiworker

    def notes_in(self, lang: str) -> str:
        return pick(lang, self.notes, self.notes_zh)

    @property
    def package(self) -> str:
        return self.settings.__module__

    @property
    def texts(self) -> Catalogue:
        """The lesson's message catalogue (its package's locale/ folder): the words of its
        title, path, claims and log lines in every language."""
        return of_package(self.package)

    def title_in(self, lang: str) -> str:
        return self.texts(lang, self.title)

    def summary_in(self, lang: str) -> str:
        return self.texts(lang, self.summary)

    def section_in(self, lang: str, section: str) -> str:
        """A heading of notes.md (as a path's read step names it) as notes in `lang` word
        it: the heading in the same place, since both files have the same sections."""
        raw = self.notes_zh if lang == "zh" else ""  # as written (notes_in spaces it)
        english, translated = _parsed_headings(self.notes), _parsed_headings(raw or self.notes)
        if section not in english or len(english) != len(translated):
            return section
        return translated[english.index(section)]

    @property
    def params(self) -> tuple[Param, ...]:
        return self.settings.params()

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def load_run(self) -> Callable:
        return load(self.run)


NOTES, ZH_NOTES = "notes.md", "notes.zh.md"


def headings(markdown: str) -> list[str]:
    """The notes' headings, in order, as written (inline Markdown kept)."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt().parse(markdown)
    return [tokens[i + 1].content.strip() for i, t in enumerate(tokens) if t.type == "heading_open"]


@functools.lru_cache(maxsize=32)
def _parsed_headings(markdown: str) -> tuple[str, ...]:
    """`headings`, parsed once per notes text: the path view asks for its steps' sections
    each time it is drawn, and parsing a lesson's notes takes milliseconds."""
    return tuple(headings(markdown))


def read_notes(package: str, filename: str = NOTES, *, missing_ok: bool = False) -> str:
    """A lesson's Markdown notes, shipped beside its code ("" if absent and `missing_ok`)."""
    notes = resources.files(package).joinpath(filename)
    if missing_ok and not notes.is_file():
        return ""
    return notes.read_text(encoding="utf-8")


@dataclass(frozen=True)
class BrokenPlugin:
    """An entry point that did not give a usable lesson, and why."""

    name: str
    target: str
    reason: str

    def line(self) -> str:
        return f"lesson plug-in {self.name!r} ({self.target}) skipped: {self.reason}"


@dataclass
class Catalog:
    lessons: tuple[Lesson, ...]
    broken: list[BrokenPlugin] = field(default_factory=list)


_catalog: Catalog | None = None
_discovering = False
_registered: set[str] = set()  # keras modules imported (or that failed) already


def _discover() -> Catalog:
    found: dict[str, Lesson] = {}
    broken = []
    for entry in metadata.entry_points(group=GROUP):
        if not _wanted(entry):
            continue
        try:
            lesson = entry.load()
            if not isinstance(lesson, Lesson):
                raise TypeError(f"it names a {type(lesson).__name__}, not a workbench Lesson")
            if lesson.id != entry.name:
                raise ValueError(f"the entry point is named {entry.name!r} but the lesson's id "
                                 f"is {lesson.id!r}")
            if lesson.id in found:
                raise ValueError(f"id {lesson.id!r} is already taken by another lesson")
        except Exception as exc:  # noqa: BLE001  (any plug-in bug: report it, keep the rest)
            broken.append(BrokenPlugin(entry.name, entry.value, _reason(exc)))
            continue
        found[lesson.id] = lesson
    return Catalog(tuple(sorted(found.values(), key=lambda l: (l.position, l.id))), broken)


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()  # as PEP 503 compares distribution names


def _wanted(entry: metadata.EntryPoint) -> bool:
    chosen = {_canonical(n) for n in os.environ.get(PACKS_ENV, "").split(",") if n.strip()}
    if not chosen:
        return True
    dist = getattr(entry, "dist", None)
    return dist is not None and _canonical(dist.name) in chosen


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def catalog() -> Catalog:
    """The installed lessons in course order, and the plug-ins that failed; found once."""
    global _catalog, _discovering
    if _catalog is None:
        _discovering = True
        try:
            _catalog = _discover()
        finally:
            _discovering = False
        if "keras" in sys.modules:
            register_keras_classes()
    return _catalog


def refresh() -> None:
    """Forget the catalogue, so the next look finds plug-ins installed since."""
    global _catalog
    _catalog = None


def lessons() -> tuple[Lesson, ...]:
    return catalog().lessons


def get(lesson_id: str) -> Lesson:
    for lesson in lessons():
        if lesson.id == lesson_id:
            return lesson
    ids = ", ".join(lesson.id for lesson in lessons())
    raise BadInput(f"unknown lesson {lesson_id!r}; choose one of {ids}")


def find(lesson_id: str | None) -> Lesson | None:
    """The lesson with this id, or None (a model saved by a plug-in no longer installed)."""
    return next((lesson for lesson in lessons() if lesson.id == lesson_id), None)


def architectures() -> dict[str, Architecture]:
    """Every architecture the lessons declare, by name, in teaching order."""
    return {a.name: a for lesson in lessons() for a in lesson.architectures}


def register_keras_classes() -> None:
    """Import every module that registers a lesson's custom Keras layers and losses, so
    `keras.models.load_model` reads the lessons' models. Runs once Keras and the catalogue
    are both there, whichever comes last: `workbench` hooks Keras' import, and discovery
    calls this when Keras was imported first (or by a plug-in while it loaded)."""
    if _discovering:
        return
    for lesson in lessons():
        for module in set(lesson.keras_modules) - _registered:
            _registered.add(module)
            try:
                importlib.import_module(module)
            except Exception as exc:  # noqa: BLE001  (a broken plug-in must not break Keras)
                catalog().broken.append(BrokenPlugin(lesson.id, module, _reason(exc)))
