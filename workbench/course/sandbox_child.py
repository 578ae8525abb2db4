"""The process that runs a learner's code, and nothing else of consequence:

    python -m workbench.course.sandbox_child --file FILE --names A,B --requests R --responses W
                                             [--lesson L] [--memory BYTES] [--keras]

It imports FILE, says which of the functions A, B it found, then answers calls: each
request names a function and its arguments, each answer carries what the function
returned (or what it raised) and the arguments it changed in place. It never judges: the
workbench compares the answers with the lesson's own, in its own process, so nothing done
here (printing, exiting, patching NumPy or the checks) can turn a wrong answer into a pass.
The frames travel on two pipes of their own, not on stdout, which goes to a log.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import importlib.util
import os
import sys
import traceback
from pathlib import Path
from typing import Any, Callable

from workbench.course import wire


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="sandbox_child")
    parser.add_argument("--file", required=True)
    parser.add_argument("--names", required=True)
    parser.add_argument("--requests", type=int, required=True)
    parser.add_argument("--responses", type=int, required=True)
    parser.add_argument("--lesson")
    parser.add_argument("--memory", type=int, default=0)
    parser.add_argument("--keras", action="store_true")
    args = parser.parse_args(argv)
    if args.memory:
        limit_memory(args.memory)  # first: before anything of the learner's runs
    answers = os.fdopen(args.responses, "wb")
    path = Path(args.file).resolve()
    names = args.names.split(",")
    harnesses = _harnesses(args.lesson, names) if args.lesson else {}
    if args.keras:
        from workbench.running.quiet import import_tensorflow

        import_tensorflow()
    sys.path.insert(0, str(path.parent))  # as when Python runs the file: its neighbours import
    try:
        module = load(path)
    except BaseException as exc:  # noqa: BLE001  (whatever the file does at import)
        wire.send(answers, {"raised": described(exc, path)})
        return 0
    functions = {name: getattr(module, name, None) for name in names}
    found = {name: f for name, f in functions.items() if callable(f)}
    wire.send(answers, {"ready": sorted(found)})
    serve(args.requests, answers, found, harnesses, path)
    return 0


def _harnesses(lesson_id: str, names: list[str]) -> dict[str, Callable]:
    from workbench.course.exercises import lesson_exercises

    return {e.name: e.harness for e in lesson_exercises(lesson_id) if e.name in names and e.harness}


def load(path: Path):
    spec = importlib.util.spec_from_file_location(f"workbench_exercise_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def serve(requests: int, answers, found: dict[str, Callable], harnesses: dict[str, Callable],
          path: Path) -> None:
    while True:
        try:
            request = wire.receive(requests)
        except EOFError:  # the workbench is done with us
            return
        function = found[request["name"]]
        if request.get("harness") and request["name"] in harnesses:
            function = functools.partial(harnesses[request["name"]], function)
        args, kwargs = list(request["args"]), dict(request["kwargs"])
        before = _fingerprints(args, kwargs)
        try:
            returned = function(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001  (the learner's code may raise anything)
            answer = {"raised": described(exc, path)}
        else:
            after = _fingerprints(args, kwargs)
            changed = {key: (args[int(key)] if key.isdigit() else kwargs[key])
                       for key in before if before[key] != after[key]}
            answer = {"returned": returned, "changed": changed}
        try:
            frame = wire.encode(answer)
        except MemoryError:
            frame = wire.encode({"raised": {"kind": "memory"}})
        answers.write(frame)
        answers.flush()


def _fingerprints(args: list, kwargs: dict) -> dict[str, bytes]:
    """A digest of each argument, to tell which ones the call changed in place."""
    return {key: hashlib.blake2b(wire.encode(value), digest_size=16).digest()
            for key, value in [*((str(i), a) for i, a in enumerate(args)), *kwargs.items()]}


def described(exc: BaseException, path: Path) -> dict[str, Any]:
    if isinstance(exc, NotImplementedError):
        return {"kind": "todo"}
    if isinstance(exc, SystemExit):
        return {"kind": "exit", "code": repr(exc.code)}
    if isinstance(exc, MemoryError):
        return {"kind": "memory"}
    try:
        return {"kind": "error", "type": type(exc).__name__, "message": trimmed(exc, path)}
    except Exception:  # noqa: BLE001  (an exception whose text itself fails)
        return {"kind": "error", "type": type(exc).__name__, "message": type(exc).__name__}


def trimmed(exc: BaseException, path: Path) -> str:
    """The exception with the traceback's lines in the learner's file only."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename).resolve() == path]
    if isinstance(exc, SyntaxError) and exc.lineno:
        where = [f"{path.name}, line {exc.lineno}: {(exc.text or '').strip()}"]
    else:
        where = [f"{path.name}, line {f.lineno}, in {f.name}: {f.line}" for f in frames[-3:]]
    return "\n".join([*where, f"{type(exc).__name__}: {exc}"])


def limit_memory(limit: int) -> None:
    """Address space capped, soft and hard alike, so the learner's code cannot raise it."""
    try:
        import resource

        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = limit if hard == resource.RLIM_INFINITY else min(hard, limit)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):  # not on this platform: the time limit remains
        pass


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
