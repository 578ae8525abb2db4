"""One exercise checked in a process of its own:

    python -m workbench.course.exercise_child LESSON NAME FILE

imports the learner's FILE, runs the exercise's checks on its function NAME and prints
one JSON line, {"status", "message"}, last on stdout. Whatever the learner's code does
(print, raise, exit, allocate) stays in here; the parent enforces the time limit.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import sys
import traceback
from pathlib import Path

MEMORY_LIMIT_BYTES = 4 << 30  # NumPy exercises only: TensorFlow reserves far more address space


def main(argv: list[str]) -> int:
    lesson_id, name, file = argv
    path = Path(file).resolve()
    from workbench.course.exercises import lesson_exercises

    (exercise,) = [e for e in lesson_exercises(lesson_id) if e.name == name]
    if not exercise.needs_keras:
        _limit_memory()
    else:
        from workbench.running.quiet import import_tensorflow

        import_tensorflow()
    with contextlib.redirect_stdout(sys.stderr):  # the learner's prints: not our verdict
        status, message = verdict(exercise, path)
    print(json.dumps({"status": status, "message": message}), flush=True)
    return 0


def verdict(exercise, path: Path) -> tuple[str, str]:
    from workbench.course.exercises import Failed

    try:
        function = learner_function(path, exercise.name)
        if function is None:
            return "error", f"{path.name} has no function named {exercise.name}"
        exercise.check(function)
    except NotImplementedError:
        return "todo", "not written yet: the body still raises NotImplementedError"
    except Failed as failure:
        return "fail", str(failure)
    except SystemExit as stop:
        return "error", f"the code called sys.exit({stop.code!r}); a function should return"
    except MemoryError:
        return "error", "ran out of memory (more than 4 GiB asked for): look for a huge array"
    except BaseException as exc:  # noqa: BLE001  (anything the learner's code raises)
        return "error", trimmed(exc, path)
    return "pass", "every check passed"


def learner_function(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(f"workbench_exercise_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    function = getattr(module, name, None)
    return function if callable(function) else None


def trimmed(exc: BaseException, path: Path) -> str:
    """The exception with the traceback's lines in the learner's file only."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename).resolve() == path]
    if isinstance(exc, SyntaxError) and exc.lineno:
        frames = []
        where = [f"{path.name}, line {exc.lineno}: {(exc.text or '').strip()}"]
    else:
        where = [f"{path.name}, line {f.lineno}, in {f.name}: {f.line}" for f in frames[-3:]]
    return "\n".join([*where, f"{type(exc).__name__}: {exc}"])


def _limit_memory() -> None:
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = MEMORY_LIMIT_BYTES if hard == resource.RLIM_INFINITY else min(hard, MEMORY_LIMIT_BYTES)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, ValueError, OSError):  # not on this platform: the time limit remains
        pass


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
