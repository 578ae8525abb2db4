"""What a lesson imports: the public API for writing a lesson, built in or in a pack.

A lesson is a package with:

- `__init__.py`: `LESSON = Lesson(...)`, its `Settings` (a frozen dataclass of `knob`s)
  and, where it has them, its `highlights`, `architectures` and `more_curves`;
- `lesson.py`: `run(settings, ctx)`, which builds and trains with Keras and reports
  through the `RunContext` (`ctx.log`, `ctx.metric`, `ctx.keep`...);
- `notes.md` (and `notes.zh.md`): the notes, by section;
- `path.py` (optional): `STEPS`, the guided path (`Read`, `Predict`, `Experiment` with
  its `Claim`s, `Compare`, `ExerciseStep`);
- `exercises.py` (optional): `EXERCISES`, the functions the learner writes. A check
  runs in the workbench and calls the learner's function, which runs in a sandbox: its
  arguments and results cross as data (numbers, text, tuples, lists, dicts, NumPy arrays
  and generators); `Exercise.harness` runs beside it for anything else, and
  `LearnerRaised` is what the learner's code raised there;
- `locale/<lang>/LC_MESSAGES/messages.po`: its words in other languages. Every text is
  written in English; `texts = catalogue(__name__)` gives the lesson's catalogue, and
  `texts(lang, "{n} images", n=3)` the text in `lang`. Steps, claims, knob help lines,
  exercise titles and `ctx.log` lines are looked up there by the engine itself.

It is registered under the `workbench.lessons` entry-point group of its distribution.
`workbench.conformance.check_lesson` tells a pack, in its own tests, whether its lesson
keeps the rules every lesson keeps. Nothing else in `workbench` is promised to stay put.
"""

from __future__ import annotations

from workbench.course.claims import (Claim, MissingMetric, Verdict, compares, finite, near,
                                     ordered, scalar, value)
from workbench.course.exercises import Exercise, Failed
from workbench.course.sandbox import LearnerRaised
from workbench.course.guide import Compare, ExerciseStep, Experiment, Predict, Read
from workbench.course.notes_figures import percent, run_metrics, table, update
from workbench.drawing.numbers import number
from workbench.errors import BadInput, InputTooSmall, WorkbenchError
from workbench.i18n.catalogue import Catalogue, of_package as catalogue
from workbench.params import Settings, knob
from workbench.registry import Architecture, CurvePlot, Lesson
from workbench.results.anatomy import (BYTES_PER_VALUE, Anatomy, anatomy_of, architecture, human,
                                      of_model, shape_text)
from workbench.running.context import RunContext
from workbench.running.data import DOWNLOAD_TIMEOUT_S, ImageData, keras_cache_dir, load_images
from workbench.running.events import EpochEnd

__all__ = [
    # the declaration
    "Lesson", "Settings", "knob", "Architecture", "CurvePlot",
    # a run
    "RunContext", "EpochEnd", "ImageData", "load_images", "keras_cache_dir", "DOWNLOAD_TIMEOUT_S",
    "BadInput", "InputTooSmall", "WorkbenchError",
    # the guided path and its claims
    "Read", "Predict", "Experiment", "Compare", "ExerciseStep",
    "Claim", "Verdict", "MissingMetric", "compares", "ordered", "near", "value", "scalar", "finite",
    # exercises
    "Exercise", "Failed", "LearnerRaised",
    # words and numbers
    "Catalogue", "catalogue", "number",
    # figures in the notes, computed by the code
    "table", "update", "percent", "run_metrics", "Anatomy", "anatomy_of", "architecture", "of_model", "human", "shape_text",
    "BYTES_PER_VALUE",
]
