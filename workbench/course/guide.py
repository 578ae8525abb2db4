"""Guided paths: the steps a lesson leads a learner through, and the claims its runs check.

A lesson declares its path beside its code (`lessons/<id>/path.py`, a tuple `STEPS`), as
it declares its exercises; the engine names no lesson. Five kinds of step:

- `Read`: a section of the notes (by its heading);
- `Predict`: a question with 2-4 answers, asked before the experiment that settles it,
  whose answer (and reason) is revealed once that experiment has run;
- `Experiment`: a run with preset parameters and `Claim`s about its outcome, each a
  function of the run's metrics, checked on the learner's own result;
- `Compare`: the latest runs of two or more experiments, side by side;
- `ExerciseStep`: the lesson's exercises (done when they all pass).

What a learner has done lives in the run history (`workbench.results.history`): experiments are
done when a run of theirs finished, read and predict steps when the learner did them.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from workbench.course.claims import Claim, Verdict
from workbench.course.wording import bind, in_language


# -- steps ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Read:
    title: str
    section: str  # a heading of the notes, as written in notes.md
    kind = "read"
    words = ("title",)  # the section is found in the translated notes by its place


@dataclass(frozen=True)
class Predict:
    title: str
    question: str
    answers: tuple[str, ...]
    correct: int  # index into answers
    reason: str  # revealed with the answer, once the experiment `settled_by` has run
    settled_by: int  # the step number (from 1) of that experiment
    # Which claim of the experiment `settled_by` shows the answer: its measured numbers are
    # the evidence the learner's answer is scored against.
    shown_by: int = 0
    kind = "predict"
    words = ("title", "question", "answers", "reason")

    def __post_init__(self):
        if not 2 <= len(self.answers) <= 4:
            raise ValueError(f"{self.title!r}: a prediction offers 2-4 answers")
        if not 0 <= self.correct < len(self.answers):
            raise ValueError(f"{self.title!r}: the correct answer is not among the answers")


@dataclass(frozen=True)
class Experiment:
    title: str
    params: Mapping[str, Any]  # the preset: parameter values, as `--set` would give them
    claims: tuple[Claim, ...]
    look_for: str = ""  # what to watch while it runs
    # The data it runs on; None: the lesson's default. A claim can need more than the
    # embedded digits to hold, and then the step says which dataset, not the learner.
    dataset: str | None = None
    kind = "experiment"
    words = ("title", "look_for")

    def dataset_of(self, lesson) -> str:
        return self.dataset or lesson.default_dataset


@dataclass(frozen=True)
class Compare:
    title: str
    steps: tuple[int, ...]  # experiment step numbers whose latest runs are compared
    metrics: tuple[str, ...]  # the numbers put side by side
    point: str = ""  # what the comparison shows
    kind = "compare"
    words = ("title", "point")


@dataclass(frozen=True)
class ExerciseStep:
    title: str
    about: str = ""
    kind = "exercise"
    words = ("title", "about")


Step = Read | Predict | Experiment | Compare | ExerciseStep


def steps_of(lesson) -> tuple[Step, ...]:
    """The lesson's path: `STEPS` in its package's path.py, or () when it has none."""
    package = lesson.package
    if importlib.util.find_spec(f"{package}.path") is None:
        return ()
    steps = tuple(importlib.import_module(f"{package}.path").STEPS)
    for step in steps:  # bound once: the path's objects live as long as their module
        bind(step, lesson.texts)
        for claim in getattr(step, "claims", ()):
            bind(claim, lesson.texts)
    return steps


def check_path(lesson, steps: Sequence[Step]) -> None:
    """A path's declaration is consistent: presets the lesson accepts, predictions settled
    by an experiment, comparisons of experiments. Raises ValueError naming the step."""
    from workbench.params import resolve

    for n, step in enumerate(steps, start=1):
        where = f"{lesson.id} step {n} ({step.title!r})"
        if isinstance(step, Experiment):
            resolve(lesson.params, dict(step.params), owner=where)
            lesson.settings(**resolve(lesson.params, dict(step.params), owner=where)).check()
            if step.dataset_of(lesson) not in lesson.datasets:
                raise ValueError(f"{where}: {lesson.id} has no dataset {step.dataset!r}")
        elif isinstance(step, Predict):
            if not (1 <= step.settled_by <= len(steps)
                    and isinstance(steps[step.settled_by - 1], Experiment)):
                raise ValueError(f"{where}: settled_by must name an experiment step")
            if not 0 <= step.shown_by < len(steps[step.settled_by - 1].claims):
                raise ValueError(f"{where}: shown_by must name a claim of step {step.settled_by}")
        elif isinstance(step, Compare):
            if len(step.steps) < 2 or any(not (1 <= s <= len(steps)) or
                                          not isinstance(steps[s - 1], Experiment) for s in step.steps):
                raise ValueError(f"{where}: compares two or more experiment steps")


def experiment(lesson, n: int) -> Experiment:
    """Step `n` of the lesson's path, which must be an experiment; BadInput otherwise."""
    from workbench.errors import BadInput

    steps = steps_of(lesson)
    if not steps:
        raise BadInput(f"lesson {lesson.id!r} has no guided path")
    if not 1 <= n <= len(steps):
        raise BadInput(f"--step must be 1..{len(steps)} for {lesson.id}; got {n}")
    step = steps[n - 1]
    if not isinstance(step, Experiment):
        raise BadInput(f"{lesson.id} step {n} is {a_kind(step)} step, not an experiment; "
                       f"'workbench path {lesson.id}' lists the steps")
    return step


def a_kind(step: Step) -> str:
    """"a read", "an experiment": the step's kind with its article."""
    return ("an " if step.kind[0] in "aeiou" else "a ") + step.kind


def title_of(step: Step, lang: str) -> str:
    return in_language(step, lang).title


LETTERS = "abcd"


@dataclass(frozen=True)
class Scored:
    """A prediction scored by the run of the experiment that settles it. `expected` is the
    lesson's answer; `evidence` is the settling claim judged on this run, so the learner
    sees the numbers, and whether this run showed the expected answer at all."""

    step: int
    answer: int | None  # None: the learner did not answer before the run
    expected: int
    evidence: Verdict

    @property
    def correct(self) -> bool:
        return self.answer == self.expected

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step,
                "answer": None if self.answer is None else LETTERS[self.answer],
                "expected": LETTERS[self.expected], "correct": self.correct,
                "shown": self.evidence.holds, "measured": self.evidence.measured}


def settled_by(steps: Sequence[Step], n: int) -> list[tuple[int, Predict]]:
    """The predictions (step number, step) that experiment step `n` settles."""
    return [(i, s) for i, s in enumerate(steps, start=1)
            if isinstance(s, Predict) and s.settled_by == n]


def scored(steps: Sequence[Step], n: int, answer: int | None, metrics: Mapping[str, Any],
           lang: str = "en") -> Scored:
    """Prediction step `n` scored on the metrics of a run of the experiment settling it."""
    prediction = steps[n - 1]
    claim = steps[prediction.settled_by - 1].claims[prediction.shown_by]
    return Scored(n, answer, prediction.correct, claim.check(metrics, lang))


def score(lesson, n: int, metrics: Mapping[str, Any], answers: Mapping[int, int],
          lang: str = "en") -> list[Scored]:
    """Every prediction that experiment step `n` settles, scored on a run's `metrics`
    against the learner's `answers` (step number -> chosen index)."""
    steps = steps_of(lesson)
    return [scored(steps, i, answers.get(i), metrics, lang) for i, _ in settled_by(steps, n)]


@dataclass
class StepState:
    """One step as the learner stands with it."""

    n: int
    step: Step
    done: bool
    answer: int | None = None  # a prediction's chosen answer
    revealed: bool = False  # a prediction whose experiment has run (then `scored`)
    verdicts: list[Verdict] = field(default_factory=list)  # an experiment's latest run
    run_id: int | None = None
    scored: Scored | None = None  # a prediction, scored on the latest settling run
    # An experiment not yet run whose predictions are still open: its claims would give
    # the answers away, so they are shown once these steps are answered.
    unanswered: tuple[int, ...] = ()


def progress(lesson, history, lang: str = "en", *, exercises_passed: bool | None = None) -> list[StepState]:
    """Each step of the lesson's path with the learner's marks, from the run history."""
    steps = steps_of(lesson)
    marks = history.marks(lesson.id)
    latest = history.latest_by_step(lesson.id)
    states = []
    for n, step in enumerate(steps, start=1):
        state = StepState(n, step, done=n in marks.done)
        if isinstance(step, Experiment):
            run = latest.get(n)
            state.done = run is not None
            if run is not None:
                state.run_id = run.id
                state.verdicts = [claim.check(run.metrics, lang) for claim in step.claims]
            else:
                state.unanswered = tuple(p for p, _ in settled_by(steps, n)
                                         if p not in marks.answers)
        elif isinstance(step, Predict):
            state.answer = marks.answers.get(n)
            state.done = state.answer is not None
            settling = latest.get(step.settled_by)
            state.revealed = settling is not None
            if settling is not None:
                state.scored = scored(steps, n, state.answer, settling.metrics, lang)
        elif isinstance(step, Compare):  # done once looked at, with every run there to compare
            state.done = n in marks.done and all(s in latest for s in step.steps)
        elif isinstance(step, ExerciseStep):
            state.done = bool(exercises_passed)
        states.append(state)
    return states


def compared_runs(state: StepState, latest: Mapping[int, Any]) -> list:
    """A compare step's runs (each compared experiment's latest, from
    `history.latest_by_step`), once all have run; [] otherwise or for another kind."""
    if not isinstance(state.step, Compare) or any(n not in latest for n in state.step.steps):
        return []
    return [latest[n] for n in state.step.steps]


def current(states: Sequence[StepState]) -> int:
    """The step to do next (from 1): the first not done, else the last."""
    return next((s.n for s in states if not s.done), states[-1].n if states else 1)


def exercises_passed(lesson_id: str, workspace) -> bool:
    """Every exercise of the lesson passed its last check, in the learner's workspace."""
    from workbench.course import exercises

    rows = [row for row in exercises.listing(workspace) if row.lesson == lesson_id]
    return bool(rows) and all(row.status == "pass" for row in rows)


def learner_progress(lesson, history, lang: str = "en", workspace=None) -> list[StepState]:
    """`progress`, with the exercise step read from the learner's workspace."""
    from workbench.course import exercises

    has_exercise = any(isinstance(step, ExerciseStep) for step in steps_of(lesson))
    passed = has_exercise and exercises_passed(lesson.id, exercises.workspace(workspace))
    return progress(lesson, history, lang, exercises_passed=passed)
