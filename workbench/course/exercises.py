"""Exercises: the learner writes a lesson's key functions; the workbench checks them.

A lesson declares its exercises beside its code (`lessons/<id>/exercises.py`, a list of
`Exercise`); the engine knows none by name. The learner's functions live in a workspace
file per lesson (`exercises/knn.py`), written first as stubs by `start`. Checking starts a
sandbox per exercise (`workbench.course.sandbox`): the learner's code runs there, on
inputs the check chooses, and the check compares what comes back with the lesson's own
answer here, so an endless loop, `sys.exit`, a crash, a huge allocation or a forged
verdict is that exercise's `timeout` or `error`, never a pass or a hung workbench.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Sequence

from workbench import files, registry
from workbench.course import sandbox
from workbench.errors import BadInput, WorkbenchError
from workbench.i18n.catalogue import tr
from workbench.i18n.language import DEFAULT as EN

WORKSPACE_ENV = "WORKBENCH_WORKSPACE"
DEFAULT_WORKSPACE = "exercises"
DEFAULT_TIMEOUT_S = 30.0
STATUSES = ("pass", "fail", "todo", "error", "timeout")
# How each status is marked, by the CLI and the app alike.
MARKS = {"pass": "✓", "fail": "✗", "todo": "·", "error": "!", "timeout": "⏱",
         "not started": " ", "unchecked": "?"}
# The statuses as the learner reads them (`status_word`): English message ids, shown in
# the app's and the CLI's language. JSON and the record keep the English keys above.
STATUS_WORDS = {"pass": tr(EN, "pass"), "fail": tr(EN, "fail"), "todo": tr(EN, "todo"),
                "error": tr(EN, "error"), "timeout": tr(EN, "timeout"),
                "not started": tr(EN, "not started"), "unchecked": tr(EN, "unchecked")}
# The verdicts' fixed messages: recorded in English, read in the learner's language
# (`message_in`). A failed check's own message, made of its numbers, stays English.
PASSED = tr(EN, "every check passed")
NOT_WRITTEN = tr(EN, "not written yet: the body still raises NotImplementedError")
RECORD = ".checks.json"  # the last check of each exercise, for `workbench exercises`


class Failed(AssertionError):
    """A check that did not hold; the message teaches (which check, expected vs got)."""


@dataclass(frozen=True)
class Exercise:
    name: str  # the function the learner writes, by this exact name
    title: str  # the task in one line
    stub: str  # `def ...:` and its docstring (shapes, conventions, hints); the body is added
    check: Callable[[Callable], None]  # raises Failed, or returns: runs in the workbench
    reference: Callable  # the lesson's own implementation: it passes
    needs_keras: bool = False  # the sandbox imports TensorFlow (slower; 8 GiB, not 4)
    # Runs beside the learner's function, in the sandbox: harness(their_function, *args)
    # is what the check's calls reach, for what cannot cross as data (a Keras model is
    # sent as its JSON; 20,000 draws are made there, not one call each).
    harness: Callable | None = None

    def local(self, function: Callable) -> Callable:
        """`function` as the check sees it, called in this process (the lesson's tests)."""
        if self.harness is None:
            return function
        harness = self.harness
        return lambda *args, **kwargs: harness(function, *args, **kwargs)


@dataclass(frozen=True)
class Outcome:
    id: str
    lesson: str
    title: str
    status: str  # one of STATUSES, or "not started" / "unchecked" when only listed
    message: str = ""
    seconds: float = 0.0


def lesson_exercises(lesson_id: str) -> tuple[Exercise, ...]:
    lesson = registry.get(lesson_id)
    return tuple(registry.load(lesson.exercises)) if lesson.exercises else ()


def title_in(lesson_id: str, exercise: Exercise, lang: str) -> str:
    """The exercise's task in `lang`, from its lesson's catalogue."""
    return registry.get(lesson_id).texts(lang, exercise.title)


def catalogue() -> list[tuple[str, Exercise]]:
    """(lesson id, exercise) for every lesson that has exercises, in course order."""
    return [(lesson.id, exercise) for lesson in registry.lessons() if lesson.exercises
            for exercise in lesson_exercises(lesson.id)]


def workspace(folder: str | os.PathLike | None = None) -> Path:
    return Path(folder or os.environ.get(WORKSPACE_ENV) or DEFAULT_WORKSPACE)


def workspace_file(lesson_id: str, folder: Path) -> Path:
    return folder / f"{lesson_id}.py"


# -- start ---------------------------------------------------------------------------------

def start(lesson_id: str, folder: Path, *, force: bool = False) -> Path:
    """Write the lesson's stubs to `folder/<lesson>.py`. An existing file is the learner's
    work: refused, unless `force`, which first keeps it as `<lesson>.py.1` (.2, ...)."""
    exercises = lesson_exercises(lesson_id)
    if not exercises:
        with_some = ", ".join(sorted({lesson for lesson, _ in catalogue()}))
        raise BadInput(f"lesson {lesson_id!r} has no exercises; these do: {with_some}")
    target = workspace_file(lesson_id, folder)
    if target.exists() and not force:
        raise BadInput(f"{target} already exists and holds your work; nothing was changed "
                       f"(--force keeps it as a numbered backup and writes fresh stubs)")
    folder.mkdir(parents=True, exist_ok=True)
    if target.exists():
        backup = _free_backup_name(target)
        target.rename(backup)
    files.write_text(target, stub_file(lesson_id, exercises))
    return target


def _free_backup_name(target: Path) -> Path:
    n = 1
    while target.with_name(f"{target.name}.{n}").exists():
        n += 1
    return target.with_name(f"{target.name}.{n}")


def stub_file(lesson_id: str, exercises: Sequence[Exercise]) -> str:
    lesson = registry.get(lesson_id)
    head = (f'"""Exercises of the lesson {lesson.id!r} ({lesson.title}).\n\n'
            f"Write each function's body, then: workbench check {lesson.id}\n"
            f'"""\n\nimport numpy as np\n')
    bodies = [f"{exercise.stub.rstrip()}\n    raise NotImplementedError\n" for exercise in exercises]
    return head + "\n\n" + "\n\n".join(bodies)


# -- check ---------------------------------------------------------------------------------

def resolve_targets(targets: Sequence[str]) -> list[tuple[str, Exercise]]:
    """`knn` (every exercise of a lesson), `knn.predict_labels` (one), nothing (all)."""
    everything = catalogue()
    if not targets:
        return everything
    chosen = []
    for target in targets:
        lesson_id, _, name = target.partition(".")
        registry.get(lesson_id)  # an unknown lesson: BadInput naming the known ones
        matches = [(l, e) for l, e in everything if l == lesson_id and (not name or e.name == name)]
        if not matches:
            known = ", ".join(f"{l}.{e.name}" for l, e in everything if l == lesson_id)
            raise BadInput(f"unknown exercise {target!r}; "
                           + (f"{lesson_id} has {known}" if known else f"{lesson_id} has no exercises"))
        chosen += [m for m in matches if m not in chosen]
    return chosen


def check(targets: Sequence[str], folder: Path, *, timeout: float = DEFAULT_TIMEOUT_S,
          on_outcome: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Check the learner's functions: a sandbox per lesson, `timeout` seconds per exercise."""
    chosen = resolve_targets(targets)
    for lesson_id in dict.fromkeys(l for l, _ in chosen):
        if not workspace_file(lesson_id, folder).exists():
            where = f" --workspace {folder}" if folder != workspace() else ""
            raise BadInput(f"no {workspace_file(lesson_id, folder)}: write the stubs first with "
                           f"`workbench exercises start {lesson_id}{where}`")
    outcomes = []
    with contextlib.ExitStack() as stack:
        checkers = [stack.enter_context(LessonChecker(lesson_id, workspace_file(lesson_id, folder),
                                                      [e for l, e in chosen if l == lesson_id], timeout))
                    for lesson_id in dict.fromkeys(l for l, _ in chosen)]
        for checker, following in zip(checkers, [*checkers[1:], None]):
            if following is not None:
                following.start()  # its file imports while this lesson's checks run
            for exercise in checker.exercises:
                outcomes.append(checker.outcome(exercise))
                if on_outcome:
                    on_outcome(outcomes[-1])
            checker.close()
    _record(folder, outcomes)
    return outcomes


def check_one(lesson_id: str, exercise: Exercise, path: Path, timeout: float) -> Outcome:
    with LessonChecker(lesson_id, path, [exercise], timeout) as checker:
        return checker.outcome(exercise)


class LessonChecker:
    """A lesson's exercises checked in one sandbox (the file imported once), each with its
    own `timeout`; a sandbox that an exercise ended is started again for the next. A file
    that cannot be imported gives every exercise the same error, found once."""

    def __init__(self, lesson_id: str, path: Path, exercises: Sequence[Exercise], timeout: float):
        self.lesson_id, self.path, self.timeout = lesson_id, path, timeout
        self.exercises = list(exercises)
        self.names = [e.name for e in exercises]
        self.keras = any(e.needs_keras for e in exercises)
        self.box: sandbox.Sandbox | None = None
        self.unloadable: sandbox.SandboxFault | None = None

    def outcome(self, exercise: Exercise) -> Outcome:
        started = time.perf_counter()
        status, message = self._verdict(exercise)
        return Outcome(f"{self.lesson_id}.{exercise.name}", self.lesson_id, exercise.title, status,
                       message, round(time.perf_counter() - started, 3))

    def _verdict(self, exercise: Exercise) -> tuple[str, str]:
        try:
            box = self._sandbox()
        except sandbox.SandboxFault as fault:  # the file does not import, or never finishes
            self.unloadable = fault
            return _status_of(fault), str(fault)
        box.allow(self.timeout)
        try:
            function = box.function(exercise.name, harness=True)
        except sandbox.Missing as missing:
            return "error", str(missing)
        return judge(exercise, function)

    def start(self) -> None:
        """The sandbox started, its file importing; `outcome` waits for it."""
        if self.unloadable is None and (self.box is None or self.box.closed):
            self.box = sandbox.Sandbox(self.path, self.names, lesson=self.lesson_id, keras=self.keras,
                                       timeout=self.timeout)

    def _sandbox(self) -> sandbox.Sandbox:
        if self.unloadable is not None:
            raise self.unloadable
        self.start()
        if self.keras:  # while the sandbox imports TensorFlow too
            from workbench.running.quiet import import_tensorflow

            import_tensorflow()  # the checks rebuild the learner's models here
        return self.box.ready()

    def close(self) -> None:
        if self.box is not None:
            self.box.close()

    def __enter__(self) -> "LessonChecker":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def status_word(status: str, lang: str) -> str:
    """A status as the learner reads it: "pass", or "通过" in Chinese."""
    return tr(lang, STATUS_WORDS.get(status, status))


def message_in(message: str, lang: str) -> str:
    """A recorded verdict's message in `lang`: the fixed ones translated, a check's own
    (its numbers in English words) as it was written."""
    return tr(lang, message) if message in (PASSED, NOT_WRITTEN) else message


def _status_of(fault: sandbox.SandboxFault) -> str:
    return ("timeout" if isinstance(fault, sandbox.TimedOut) else
            "todo" if isinstance(fault, sandbox.NotWritten) else "error")


def judge(exercise: Exercise, function: Callable) -> tuple[str, str]:
    """The verdict of `exercise.check` on `function`: pass only when the check ends."""
    try:
        exercise.check(function)
    except NotImplementedError:  # sandbox.NotWritten, or a stub called in this process
        return "todo", NOT_WRITTEN
    except Failed as failure:
        return "fail", str(failure)
    except sandbox.SandboxFault as fault:
        return _status_of(fault), str(fault)
    except Exception as exc:  # noqa: BLE001  (what came back broke a check: never a pass)
        return "error", (f"the check could not use what {exercise.name} returned "
                         f"({type(exc).__name__}: {exc})")
    return "pass", PASSED


def _record(folder: Path, outcomes: list[Outcome]) -> None:
    record = load_record(folder)
    record.update({o.id: {"status": o.status, "message": o.message, "checked": time.time()}
                   for o in outcomes})
    try:
        (folder / RECORD).write_text(json.dumps(record, indent=1), encoding="utf-8")
    except OSError:
        pass  # a read-only workspace: the listing will say "unchecked"


def load_record(folder: Path) -> dict:
    try:
        record = json.loads((folder / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def listing(folder: Path) -> list[Outcome]:
    """Every exercise with its status in `folder`: the last check's, unless the file has
    changed since ("unchecked"), or "not started" without a file."""
    record = load_record(folder)
    rows = []
    for lesson_id, exercise in catalogue():
        path = workspace_file(lesson_id, folder)
        key = f"{lesson_id}.{exercise.name}"
        last = record.get(key)
        if not path.exists():
            status, message = "not started", f"workbench exercises start {lesson_id}"
        elif last and last.get("checked", 0) >= path.stat().st_mtime:
            status, message = last["status"], last["message"]
        else:
            status, message = "unchecked", f"workbench check {key}"
        rows.append(Outcome(key, lesson_id, exercise.title, status, message))
    return rows


def as_json(outcomes: list[Outcome]) -> dict:
    return {"exercises": [{k: v for k, v in asdict(o).items() if k != "seconds"} for o in outcomes],
            "passed": sum(o.status == "pass" for o in outcomes), "total": len(outcomes)}


# -- the learner's functions in a run --------------------------------------------------------

class MineFailed(WorkbenchError):
    """A learner's function failed during a `--mine` run: one line, the run stops."""


class MineFunctions(dict):
    """The learner's functions for a `--mine` run, by name, each called in one sandbox
    that lives as long as this (a context manager: `close` ends it)."""

    def __init__(self, box: sandbox.Sandbox, names: Sequence[str]):
        super().__init__({name: _reporting(box.function(name)) for name in names})
        self.box = box

    def close(self) -> None:
        self.box.close()

    def __enter__(self) -> "MineFunctions":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def _reporting(function: sandbox.LearnerFunction) -> Callable:
    def call(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except sandbox.SandboxFault as fault:
            first = str(fault).splitlines()[-1] if str(fault) else type(fault).__name__
            raise MineFailed(f"your {function.__name__} failed during the run: {first}") from None
    call.__name__ = function.__name__
    return call


def mine_lessons() -> list[str]:
    """Where `--mine` works: `knn`, or `training (experiment=batchnorm|optimizers)` for a
    lesson whose settings decide."""
    found = []
    for lesson in registry.lessons():
        if lesson.settings().mine_uses():
            found.append(lesson.id)
        elif settings := _mine_settings(lesson):
            found.append(f"{lesson.id} ({', '.join(settings)})")
    return found


def _mine_settings(lesson) -> list[str]:
    """`name=a|b` for each choice setting whose values `a`, `b` make a `--mine` run."""
    said = []
    for param in lesson.params:
        chosen = [c for c in param.choices or () if lesson.settings(**{param.name: c}).mine_uses()]
        if chosen:
            said.append(f"{param.name}={'|'.join(chosen)}")
    return said


def mine_functions(lesson_id: str, names: Sequence[str], folder: Path, *,
                   timeout: float = DEFAULT_TIMEOUT_S) -> MineFunctions:
    """The learner's functions `names` (what a `--mine` run uses), once each has passed
    its check; BadInput naming the first that has not. They run in a sandbox, never in
    this process; `timeout` bounds each call."""
    if not names:
        raise BadInput(f"lesson {lesson_id!r} does not run with your functions"
                       f"{' with these settings' if _mine_settings(registry.get(lesson_id)) else ''}; "
                       f"--mine works with {', '.join(mine_lessons())}")
    outcomes = check([f"{lesson_id}.{name}" for name in names], folder, timeout=timeout)
    for outcome in outcomes:
        if outcome.status != "pass":
            first_line = outcome.message.splitlines()[0] if outcome.message else ""
            raise BadInput(f"--mine needs {outcome.id} to pass its check first; it is "
                           f"{outcome.status}: {first_line}")
    box = sandbox.Sandbox(workspace_file(lesson_id, folder), names, timeout=timeout, per_call=True)
    return MineFunctions(box, names)
