"""What the lessons' exercise checks have in common: comparisons whose failure messages teach.

Each raises `Failed` naming the check, the place and expected vs got, e.g.
"distances at [3, 7]: expected 2.4495, got 6" rather than a bare AssertionError.
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import textwrap
from pathlib import Path

import numpy as np

from lessons.common import relative_error
from workbench.authoring import Failed


def array(value, what: str) -> np.ndarray:
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise Failed(f"{what}: expected an array of numbers, got {type(value).__name__}") from None


def expect_shape(value, shape: tuple, what: str) -> np.ndarray:
    got = array(value, what)
    if got.shape != tuple(shape):
        raise Failed(f"{what}: expected shape {tuple(shape)}, got {got.shape}")
    return got


def expect_close(value, expected, what: str, *, rtol: float = 1e-6, atol: float = 1e-8) -> np.ndarray:
    """Shape, finiteness and every entry, the first wrong one named."""
    expected = np.asarray(expected, dtype=np.float64)
    got = expect_shape(value, expected.shape, what)
    if not np.all(np.isfinite(got)):
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(got))[0])
        raise Failed(f"{what}: {got[where]} at {list(where)} (expected {expected[where]:.6g})")
    wrong = ~np.isclose(got, expected, rtol=rtol, atol=atol)
    if np.any(wrong):
        where = tuple(int(i) for i in np.argwhere(wrong)[0])
        at = f" at {list(where)}" if where else ""
        raise Failed(f"{what}{at}: expected {expected[where]:.6g}, got {got[where]:.6g}"
                     f" ({int(wrong.sum())} of {wrong.size} entries wrong)")
    return got


def expect_gradient(value, expected, what: str, *, threshold: float = 1e-7) -> None:
    """CS231n's gradient check: the largest relative error under `threshold`."""
    expected = np.asarray(expected, dtype=np.float64)
    got = expect_shape(value, expected.shape, what)
    errors = relative_error(got, expected)
    worst = tuple(int(i) for i in np.unravel_index(np.argmax(errors), errors.shape))
    if errors[worst] > threshold:
        raise Failed(f"relative error {errors[worst]:.1e} at {what}{list(worst)} (expected "
                     f"{expected[worst]:.6g}, got {got[worst]:.6g}): the analytic gradient is wrong")


def centred_difference(f, x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """df/dx for a scalar f of the array x, one entry at a time, in float64."""
    return centred_differences(f, x, np.float64(1.0), h)


LOOPS = (ast.For, ast.While, ast.AsyncFor, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


@contextlib.contextmanager
def case(what: str):
    """Failures inside name the case first: 'x of shape (4, 2, 3, 2): ...'."""
    try:
        yield
    except Failed as failure:
        raise Failed(f"{what}: {failure}") from None


def called_on_copies(function, name: str, arguments: dict, why: str):
    """function(*arguments) on copies; Failed when it changed one of the arrays in place
    (the sandbox hands such changes back, as a call in one process would). `why` says
    why the caller needs them as they were."""
    copies = {key: np.array(value, copy=True) if isinstance(value, np.ndarray) else value
              for key, value in arguments.items()}
    result = function(*copies.values())
    for key, value in arguments.items():
        if isinstance(value, np.ndarray) and not np.array_equal(copies[key], value):
            raise Failed(f"{name} changed {key} in place; the caller still holds it ({why}): "
                         f"compute into new arrays")
    return result


def centred_differences(f, value: np.ndarray, dout, h: float = 1e-5) -> np.ndarray:
    """d sum(f(value) * dout) / d value, one entry at a time, in float64, as CS231n's
    eval_numerical_gradient_array computes it: the outputs' difference times dout, so an
    entry that changes no output gets exactly 0. For an f of several outputs (a tuple),
    `dout` is a tuple too, and the sum runs over them all."""
    douts = dout if isinstance(dout, tuple) else (dout,)
    outputs = (lambda v: f(v)) if isinstance(dout, tuple) else (lambda v: (f(v),))
    value = np.array(value, dtype=np.float64, copy=True)
    grad = np.zeros_like(value)
    for index in np.ndindex(value.shape):
        saved = value[index]
        value[index] = saved + h
        up = outputs(value)
        value[index] = saved - h
        down = outputs(value)
        value[index] = saved
        grad[index] = sum(np.sum((u - d) * g) for u, d, g in zip(up, down, douts)) / (2 * h)
    return grad


def python_loops(function) -> list[int]:
    """Lines of `function` with a Python loop (for, while, a comprehension), counting the
    functions of the same file it calls. A learner's function is read from its file, never
    asked (its process could lie); Failed when the name is not a `def` there."""
    source_file = getattr(function, "source_file", None)
    if source_file is not None:
        return loops_in_file(Path(source_file), function.__name__)
    try:
        source = textwrap.dedent(inspect.getsource(function))
    except (OSError, TypeError):
        return []
    first = function.__code__.co_firstlineno
    return sorted({node.lineno + first - 1 for node in ast.walk(ast.parse(source)) if isinstance(node, LOOPS)})


def loops_in_file(path: Path, name: str) -> list[int]:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return []  # the file imported a moment ago: a race with an editor, not a finding
    defs: dict[str, ast.AST] = {}
    for statement in _module_level(tree.body):  # the last binding wins, as when Python runs it
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defs[statement.name] = statement
        elif isinstance(statement, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            defs.update({t.id: statement for target in targets for t in ast.walk(target)
                         if isinstance(t, ast.Name)})
        elif isinstance(statement, (ast.Import, ast.ImportFrom)):
            defs.update({(a.asname or a.name).split(".")[0]: statement for a in statement.names})
    if not isinstance(defs.get(name), (ast.FunctionDef, ast.AsyncFunctionDef)):
        raise Failed(f"{name} is not a def in {path.name}: write it as a function there, so "
                     f"the check can read it")
    seen, lines, todo = set(), set(), [name]
    while todo:  # the function, and the functions of this file it calls, by name
        current = todo.pop()
        if current in seen or not isinstance(defs.get(current), (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        seen.add(current)
        for node in ast.walk(defs[current]):
            if isinstance(node, LOOPS):
                lines.add(node.lineno)
            elif isinstance(node, ast.Name):
                todo.append(node.id)
    return sorted(lines)


def _module_level(body: list[ast.stmt]):
    """The statements that run at import, into if, try and with blocks but not into defs."""
    for statement in body:
        yield statement
        for field in ("body", "orelse", "finalbody", "handlers"):
            if not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                inner = getattr(statement, field, None)
                if isinstance(inner, list):
                    yield from _module_level([s for s in inner if isinstance(s, ast.AST)])
