"""Exercises: every check passes the lesson's own implementation, fails the classic
mistakes with a message that names them, and calls an unwritten stub `todo`; the learner's
code runs isolated (time limit, exits, crashes); the workspace file is never clobbered."""

from __future__ import annotations

import json
import textwrap
import time
from pathlib import Path

import pytest

from conftest import one_line_error, run_cli
from workbench import exercise_child, exercises, registry

IDS = [f"{lesson}.{e.name}" for lesson, e in exercises.catalogue()]

# Classic mistakes, each with a piece of the message that must name it.
MISTAKES = {
    "knn.compute_distances_two_loops": [
        ("squared", """
def compute_distances_two_loops(X, X_train):
    d = np.zeros((len(X), len(X_train)))
    for i in range(len(X)):
        for j in range(len(X_train)):
            d[i, j] = np.sum((X[i] - X_train[j]) ** 2)
    return d""", "squared distances: take the square root"),
        ("l1", """
def compute_distances_two_loops(X, X_train):
    d = np.zeros((len(X), len(X_train)))
    for i in range(len(X)):
        for j in range(len(X_train)):
            d[i, j] = np.sum(np.abs(X[i] - X_train[j]))
    return d""", "L1 (Manhattan) distances"),
        ("transposed", """
def compute_distances_two_loops(X, X_train):
    return np.sqrt(((X_train[:, None] - X[None]) ** 2).sum(-1))""", "expected shape (6, 9), got (9, 6)"),
    ],
    "knn.compute_distances_no_loops": [
        ("a loop", """
def compute_distances_no_loops(X, X_train):
    return np.array([np.sqrt(((X_train - x) ** 2).sum(1)) for x in X])""", "is a Python loop"),
        ("squared", """
def compute_distances_no_loops(X, X_train):
    return (X ** 2).sum(1)[:, None] - 2 * X @ X_train.T + (X_train ** 2).sum(1)""",
         "squared distances"),
    ],
    "knn.predict_labels": [
        ("ties to the largest label", """
def predict_labels(dists, y_train, k=1):
    nearest = np.argsort(dists, axis=1)[:, :k]
    counts = np.array([np.bincount(y_train[row], minlength=y_train.max() + 1) for row in nearest])
    return counts.shape[1] - 1 - np.argmax(counts[:, ::-1], axis=1)""", "ties go to the smallest label"),
        ("k ignored", """
def predict_labels(dists, y_train, k=1):
    return y_train[np.argmin(dists, axis=1)]""", "k=5 gave the same labels as k=1"),
    ],
    "linear.svm_loss": [
        ("counts the correct class", """
def svm_loss(W, X, y, reg):
    n = len(y); s = X @ W
    m = np.maximum(0, s - s[np.arange(n), y][:, None] + 1)
    p = (m > 0).astype(float); p[np.arange(n), y] -= p.sum(1)
    return m.sum() / n + reg * np.sum(W * W), X.T @ p / n + 2 * reg * W""", "counted its own margin"),
        ("gradient sign", """
def svm_loss(W, X, y, reg):
    n = len(y); s = X @ W
    m = np.maximum(0, s - s[np.arange(n), y][:, None] + 1); m[np.arange(n), y] = 0
    p = (m > 0).astype(float); p[np.arange(n), y] = p.sum(1)
    return m.sum() / n + reg * np.sum(W * W), X.T @ p / n + 2 * reg * W""",
         "the analytic gradient is wrong"),
        ("regulariser's factor", """
def svm_loss(W, X, y, reg):
    n = len(y); s = X @ W
    m = np.maximum(0, s - s[np.arange(n), y][:, None] + 1); m[np.arange(n), y] = 0
    p = (m > 0).astype(float); p[np.arange(n), y] = -p.sum(1)
    return m.sum() / n + reg * np.sum(W * W), X.T @ p / n + reg * W""", "relative error"),
    ],
    "linear.softmax_loss": [
        ("no max shift", """
def softmax_loss(W, X, y, reg):
    n = len(y); e = np.exp(X @ W); p = e / e.sum(1, keepdims=True)
    loss = -np.log(p[np.arange(n), y]).mean() + reg * np.sum(W * W)
    p[np.arange(n), y] -= 1
    return loss, X.T @ p / n + 2 * reg * W""", "np.exp overflows"),
        ("gradient not averaged", """
def softmax_loss(W, X, y, reg):
    n = len(y); s = X @ W; s = s - s.max(1, keepdims=True)
    p = np.exp(s) / np.exp(s).sum(1, keepdims=True)
    loss = -np.log(p[np.arange(n), y]).mean() + reg * np.sum(W * W)
    p[np.arange(n), y] -= 1
    return loss, X.T @ p + 2 * reg * W""", "the analytic gradient is wrong"),
        ("no regulariser", """
def softmax_loss(W, X, y, reg):
    n = len(y); s = X @ W; s = s - s.max(1, keepdims=True)
    p = np.exp(s) / np.exp(s).sum(1, keepdims=True)
    loss = -np.log(p[np.arange(n), y]).mean()
    p[np.arange(n), y] -= 1
    return loss, X.T @ p / n""", "reg * sum(W * W) is missing"),
    ],
}


def exercise(exercise_id: str) -> exercises.Exercise:
    lesson, _, name = exercise_id.partition(".")
    (found,) = [e for e in exercises.lesson_exercises(lesson) if e.name == name]
    return found


def learner_file(folder: Path, lesson: str, source: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{lesson}.py"
    path.write_text("import numpy as np\n" + textwrap.dedent(source))
    return path


def test_the_catalogue_is_declared_by_the_lessons():
    assert IDS == ["knn.compute_distances_two_loops", "knn.compute_distances_no_loops",
                   "knn.predict_labels", "linear.svm_loss", "linear.softmax_loss"]
    assert registry.get("knn").exercises == "lessons.knn.exercises:EXERCISES"
    assert registry.get("cnn").exercises == ""  # none yet: no empty file to start
    assert set(MISTAKES) == set(IDS)


@pytest.mark.parametrize("exercise_id", IDS)
def test_the_lessons_own_implementation_passes(exercise_id):
    ex = exercise(exercise_id)
    ex.check(ex.reference)  # raises Failed otherwise


@pytest.mark.parametrize("exercise_id", IDS)
def test_the_stub_is_todo(exercise_id, tmp_path):
    lesson = exercise_id.split(".")[0]
    path = exercises.start(lesson, tmp_path)
    assert exercise_child.verdict(exercise(exercise_id), path.resolve()) == (
        "todo", "not written yet: the body still raises NotImplementedError")


@pytest.mark.parametrize("exercise_id, mistake, source, message",
                         [(i, *m) for i, ms in MISTAKES.items() for m in ms],
                         ids=[f"{i}: {m[0]}" for i, ms in MISTAKES.items() for m in ms])
def test_classic_mistakes_fail_and_are_named(exercise_id, mistake, source, message, tmp_path):
    path = learner_file(tmp_path, exercise_id.split(".")[0], source)
    status, said = exercise_child.verdict(exercise(exercise_id), path.resolve())
    assert status == "fail", (mistake, said)
    assert message in said, said


def test_start_writes_stubs_and_never_clobbers_the_learners_file(tmp_path):
    folder = tmp_path / "ws"
    proc = run_cli("exercises", "start", "knn", "--workspace", str(folder))
    assert proc.returncode == 0, proc.stderr
    path = folder / "knn.py"
    source = path.read_text()
    compile(source, str(path), "exec")
    for name in ("compute_distances_two_loops", "compute_distances_no_loops", "predict_labels"):
        assert f"def {name}(" in source
    assert source.count("raise NotImplementedError") == 3
    path.write_text(source + "\n# my work\n")
    mine = path.read_bytes()
    again = run_cli("exercises", "start", "knn", "--workspace", str(folder))
    assert again.returncode == 2
    assert "holds your work; nothing was changed" in one_line_error(again)
    assert path.read_bytes() == mine
    forced = run_cli("exercises", "start", "knn", "--workspace", str(folder), "--force")
    assert forced.returncode == 0
    assert (folder / "knn.py.1").read_bytes() == mine and path.read_text() == source
    assert one_line_error(run_cli("exercises", "start", "cnn", "--workspace", str(folder))) == (
        "workbench: error: lesson 'cnn' has no exercises; these do: knn, linear")


def test_check_exit_codes_json_and_the_listing(tmp_path):
    folder = tmp_path / "ws"
    missing = run_cli("check", "knn", "--workspace", str(folder))
    assert missing.returncode == 2
    assert "write the stubs first with `workbench exercises start knn`" in one_line_error(missing)
    unknown = run_cli("check", "knn.nope", "--workspace", str(folder))
    assert one_line_error(unknown) == (
        "workbench: error: unknown exercise 'knn.nope'; knn has knn.compute_distances_two_loops, "
        "knn.compute_distances_no_loops, knn.predict_labels")
    # The lesson's own functions, handed in as the learner's: everything passes, exit 0.
    learner_file(folder, "knn", "from lessons.knn.exercises import *\n")
    learner_file(folder, "linear", "from lessons.linear.exercises import svm_loss\n"
                                   "def softmax_loss(W, X, y, reg):\n    raise NotImplementedError\n")
    started = time.perf_counter()
    passing = run_cli("check", "knn", "--workspace", str(folder), "--json")
    seconds = time.perf_counter() - started
    assert passing.returncode == 0, passing.stdout + passing.stderr
    report = json.loads(passing.stdout)
    assert report["passed"] == report["total"] == 3
    assert {e["status"] for e in report["exercises"]} == {"pass"}
    assert set(report["exercises"][0]) == {"id", "lesson", "title", "status", "message"}
    assert seconds < 30  # generous: the budget is 10 s on 2 cores, see the README
    partly = run_cli("check", "linear", "--workspace", str(folder))
    assert partly.returncode == 1 and "1/2 passed" in partly.stdout
    listed = json.loads(run_cli("exercises", "--json", "--workspace", str(folder)).stdout)
    status = {e["id"]: e["status"] for e in listed["exercises"]}
    assert status == {"knn.compute_distances_two_loops": "pass", "knn.compute_distances_no_loops": "pass",
                      "knn.predict_labels": "pass", "linear.svm_loss": "pass",
                      "linear.softmax_loss": "todo"}
    assert listed["passed"] == 4 and listed["total"] == 5
    time.sleep(0.01)
    (folder / "knn.py").write_text((folder / "knn.py").read_text() + "\n")
    relisted = json.loads(run_cli("exercises", "--json", "--workspace", str(folder)).stdout)
    assert {e["id"]: e["status"] for e in relisted["exercises"]}["knn.predict_labels"] == "unchecked"


ISOLATION = {
    "an endless loop": ("""
def predict_labels(dists, y_train, k=1):
    while True:
        pass""", "timeout", "still running after 3 s"),
    "sys.exit": ("""
import sys
def predict_labels(dists, y_train, k=1):
    sys.exit(3)""", "error", "the code called sys.exit(3)"),
    "a hard exit": ("""
import os
def predict_labels(dists, y_train, k=1):
    os._exit(9)""", "error", "exit code 9"),
    "a huge allocation": ("""
def predict_labels(dists, y_train, k=1):
    return np.ones((1 << 20, 1 << 14))""", "error", "ran out of memory"),
    "an exception": ("""
def predict_labels(dists, y_train, k=1):
    return helper(k)

def helper(k):
    return 1 / 0""", "error", "knn.py, line 7, in helper: return 1 / 0\nZeroDivisionError: division by zero"),
    "a syntax error": ("""
def predict_labels(dists, y_train, k=1)
    return 0""", "error", "SyntaxError"),
}


@pytest.mark.parametrize("case", list(ISOLATION))
def test_the_learners_code_cannot_hang_or_crash_the_workbench(case, tmp_path):
    source, status, message = ISOLATION[case]
    learner_file(tmp_path, "knn", source)
    (outcome,) = exercises.check(["knn.predict_labels"], tmp_path, timeout=3)
    assert outcome.status == status, outcome
    assert message in outcome.message, outcome.message
    assert "exercise_child" not in outcome.message and "workbench/" not in outcome.message
