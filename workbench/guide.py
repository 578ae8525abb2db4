"""Guided paths: the steps a lesson leads a learner through, and the claims its runs check.

A lesson declares its path beside its code (`lessons/<id>/path.py`, a tuple `STEPS`), as
it declares its exercises; the engine names no lesson. Five kinds of step:

- `Read`: a section of the notes (by its heading);
- `Predict`: a question with 2-4 answers, asked before the experiment that settles it,
  whose answer (and reason) is revealed once that experiment has run;
- `Experiment`: a run with preset parameters and `Claim`s about its outcome, each a
  function of the run's metrics, checked on the learner's own result;
- `Compare`: the latest runs of two or more experiments, side by side;
- `Exercise`: the lesson's exercises (done when they all pass).

What a learner has done lives in the run history (`workbench.history`): experiments are
done when a run of theirs finished, read and predict steps when the learner did them.
"""

from __future__ import annotations

import importlib.util
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from workbench.formatting import number
from workbench.language import pick


class MissingMetric(KeyError):
    """A claim names a metric the run did not report."""


def value(metrics: Mapping[str, Any], name: str) -> Any:
    if name not in metrics or metrics[name] is None:
        raise MissingMetric(name)
    return metrics[name]


@dataclass(frozen=True)
class Verdict:
    """One claim judged on one run: `measured` shows the numbers it was judged on."""

    text: str
    holds: bool
    measured: str
    why_not: str = ""  # when it does not hold: what may have kept it from holding

    def to_dict(self) -> dict[str, Any]:
        found = {"text": self.text, "holds": self.holds, "measured": self.measured}
        return found | ({"why_not": self.why_not} if not self.holds else {})

    def line(self) -> str:
        mark = "yes" if self.holds else "no"
        return f"{self.text}: {self.measured}: {mark}" + ("" if self.holds else f" ({self.why_not})")


Judge = Callable[[Mapping[str, Any]], tuple[bool, str]]  # metrics -> (holds, measured text)


@dataclass(frozen=True)
class Claim:
    """What the lesson says a run will show. `judge` reads the run's metrics and returns
    whether it holds and the measured numbers as text; `why_not` is what the learner is
    told when it does not (too few epochs, another seed), never a silent pass."""

    text: str
    judge: Judge
    why_not: str
    text_zh: str = ""
    why_not_zh: str = ""

    def check(self, metrics: Mapping[str, Any], lang: str = "en") -> Verdict:
        try:
            holds, measured = self.judge(metrics)
        except MissingMetric as missing:
            holds, measured = False, f"not measured: the run reported no {missing.args[0]}"
        except (TypeError, ValueError) as exc:  # a metric of an unexpected kind
            holds, measured = False, f"not measured: {exc}"
        return Verdict(pick(lang, self.text, self.text_zh), bool(holds), measured,
                       pick(lang, self.why_not, self.why_not_zh))


# -- the common claims ------------------------------------------------------------------

_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
}


def finite(name: str, raw: Any) -> float:
    """`raw` as a float; ValueError (the claim is then "not measured") for NaN or inf."""
    x = float(raw)
    if not math.isfinite(x):
        raise ValueError(f"{name} is {number(x)}")
    return x


def scalar(metrics: Mapping[str, Any], name: str) -> float:
    """A single-number metric of the run, finite, for a claim's judge."""
    return finite(name, value(metrics, name))


def compares(name: str, op: str, bound: float, text: str, why_not: str, **zh: str) -> Claim:
    """metrics[name] `op` bound: `compares("train_accuracy", "==", 1.0, ...)`."""
    def judge(metrics):
        x = scalar(metrics, name)
        return _OPS[op](x, bound), f"{name} {number(x)} {op} {number(bound)}"

    return Claim(text, judge, why_not, **zh)


def ordered(left: str, op: str, right: str, text: str, why_not: str, *,
            labels: tuple[str, str] | None = None, **zh: str) -> Claim:
    """Two metrics of one run: `ordered("residual_loss", "<", "plain_loss", ...)`, shown as
    `residual 0.067 < plain 0.21` with `labels`."""
    shown = labels or (left, right)

    def judge(metrics):
        a, b = scalar(metrics, left), scalar(metrics, right)
        return _OPS[op](a, b), f"{shown[0]} {number(a)} {op} {shown[1]} {number(b)}"

    return Claim(text, judge, why_not, **zh)


def near(name: str, target: float, tolerance: float, text: str, why_not: str, *,
         relative: bool = True, target_words: str = "", **zh: str) -> Claim:
    """metrics[name] within `tolerance` of `target` (a share of it when `relative`);
    `target_words` names the target ("ln 10") in the measured text."""
    allowed = tolerance * abs(target) if relative else tolerance

    def judge(metrics):
        x = scalar(metrics, name)
        off = abs(x - target)
        about = f"{target_words} = {number(target)}" if target_words else number(target)
        share = f", {100 * off / abs(target):.1f}% off" if relative and target else ""
        return off <= allowed, f"{name} {number(x)} vs {about}{share}"

    return Claim(text, judge, why_not, **zh)


# -- steps ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Read:
    title: str
    section: str  # a heading of the notes, as written in notes.md
    title_zh: str = ""
    section_zh: str = ""  # the same heading in notes.zh.md
    kind = "read"


@dataclass(frozen=True)
class Predict:
    title: str
    question: str
    answers: tuple[str, ...]
    correct: int  # index into answers
    reason: str  # revealed with the answer, once the experiment `settled_by` has run
    settled_by: int  # the step number (from 1) of that experiment
    title_zh: str = ""
    question_zh: str = ""
    answers_zh: tuple[str, ...] = ()
    reason_zh: str = ""
    # Which claim of the experiment `settled_by` shows the answer: its measured numbers are
    # the evidence the learner's answer is scored against.
    shown_by: int = 0
    kind = "predict"

    def __post_init__(self):
        if not 2 <= len(self.answers) <= 4:
            raise ValueError(f"{self.title!r}: a prediction offers 2-4 answers")
        if not 0 <= self.correct < len(self.answers):
            raise ValueError(f"{self.title!r}: the correct answer is not among the answers")
        if self.answers_zh and len(self.answers_zh) != len(self.answers):
            raise ValueError(f"{self.title!r}: answers_zh must match answers one for one")


@dataclass(frozen=True)
class Experiment:
    title: str
    params: Mapping[str, Any]  # the preset: parameter values, as `--set` would give them
    claims: tuple[Claim, ...]
    look_for: str = ""  # what to watch while it runs
    title_zh: str = ""
    look_for_zh: str = ""
    # The data it runs on; None: the lesson's default. A claim can need more than the
    # embedded digits to hold, and then the step says which dataset, not the learner.
    dataset: str | None = None
    kind = "experiment"

    def dataset_of(self, lesson) -> str:
        return self.dataset or lesson.default_dataset


@dataclass(frozen=True)
class Compare:
    title: str
    steps: tuple[int, ...]  # experiment step numbers whose latest runs are compared
    metrics: tuple[str, ...]  # the numbers put side by side
    point: str = ""  # what the comparison shows
    title_zh: str = ""
    point_zh: str = ""
    kind = "compare"


@dataclass(frozen=True)
class Exercise:
    title: str
    about: str = ""
    title_zh: str = ""
    about_zh: str = ""
    kind = "exercise"


Step = Read | Predict | Experiment | Compare | Exercise
KINDS = ("read", "predict", "experiment", "compare", "exercise")


def steps_of(lesson) -> tuple[Step, ...]:
    """The lesson's path: `STEPS` in its package's path.py, or () when it has none."""
    package = lesson.settings.__module__
    if importlib.util.find_spec(f"{package}.path") is None:
        return ()
    return tuple(importlib.import_module(f"{package}.path").STEPS)


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
    return pick(lang, step.title, step.title_zh)


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
        elif isinstance(step, Exercise):
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
    from workbench import exercises

    rows = [row for row in exercises.listing(workspace) if row.lesson == lesson_id]
    return bool(rows) and all(row.status == "pass" for row in rows)


def learner_progress(lesson, history, lang: str = "en", workspace=None) -> list[StepState]:
    """`progress`, with the exercise step read from the learner's workspace."""
    from workbench import exercises

    has_exercise = any(isinstance(step, Exercise) for step in steps_of(lesson))
    passed = has_exercise and exercises_passed(lesson.id, exercises.workspace(workspace))
    return progress(lesson, history, lang, exercises_passed=passed)
