from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

# Quiet TensorFlow for the in-process tests, as the CLI does for itself.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# English, whatever the machine's locale, and no preference file outside the test run
# (tests of the language choice undo these for themselves).
os.environ["WORKBENCH_LANG"] = "en"
os.environ["WORKBENCH_CONFIG_DIR"] = tempfile.mkdtemp(prefix="workbench-config-")
# The parsed catalogues kept between launches (workbench.i18n.catalogue_cache): the run's own.
os.environ["WORKBENCH_CACHE_DIR"] = tempfile.mkdtemp(prefix="workbench-cache-")
# No TensorBoard logs but where a test asks for them (tests/test_history.py): runs that
# fit dozens of times (transfer learning) would each open dozens of log writers.
os.environ["WORKBENCH_TENSORBOARD"] = "0"
# This distribution's own lessons only: a lesson pack installed beside it (the README's
# examples/lesson_pack, say) must not change what the suite collects or how it ends.
# Tests of plug-ins name the packs they install (tests/test_plugins.py).
OWN_DISTRIBUTION = "keras-workbench"
os.environ["WORKBENCH_PACKS"] = OWN_DISTRIBUTION
# An empty exercises workspace: a learner's ./exercises must not change what tests see.
os.environ["WORKBENCH_WORKSPACE"] = tempfile.mkdtemp(prefix="workbench-exercises-")


@pytest.fixture(autouse=True)
def fresh_preferences(tmp_path_factory, monkeypatch):
    """Each test starts as a new learner: the app remembers the lesson and the language
    between launches, and one test's choices must not greet the next."""
    monkeypatch.setenv("WORKBENCH_CONFIG_DIR", str(tmp_path_factory.mktemp("config")))


@pytest.fixture
def models_dir(tmp_path, monkeypatch) -> Path:
    """A fresh models folder per test, so tests never see each other's models."""
    folder = tmp_path / "models"
    monkeypatch.setenv("WORKBENCH_MODELS", str(folder))
    return folder


def kept_files(folder: Path) -> list[Path]:
    """What runs left in a models folder as results (models, pictures), sorted: not the
    run history nor the TensorBoard logs, which record every run, failed ones too."""
    if not folder.exists():
        return []
    return sorted(p for p in folder.iterdir()
                  if not p.name.startswith("history.sqlite") and p.name != "tensorboard")


def recorded_outcomes(folder: Path) -> list[tuple[str, str, str | None]]:
    """(lesson, outcome, message) of each run in the folder's history, oldest first."""
    from workbench.results import history

    return [(r.lesson, r.outcome, r.message) for r in reversed(history.strict(folder).runs())]


def run_cli(*args: str, env: dict | None = None, cwd: Path | None = None, timeout: float = 300):
    """`workbench ARGS...` in a child process, as a script would run it."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "workbench", *args], capture_output=True,
                          text=True, env=full_env, cwd=cwd, timeout=timeout)


def one_line_error(proc) -> str:
    """The single stderr line of a refused command, after checking it is exactly that."""
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


@pytest.fixture(scope="session")
def saved_knn(tmp_path_factory) -> Path:
    """A kNN model saved once by the real CLI, for tests that only read it."""
    folder = tmp_path_factory.mktemp("models")
    proc = run_cli("run", "knn", "--quiet", "--set", "folds=0", "--models-dir", str(folder))
    assert proc.returncode == 0, proc.stderr
    return folder / "knn.h5"


def refused_before_any_work(lesson_id: str, setting: str, folder: Path) -> str:
    """`workbench run LESSON --set SETTING`: exit 2, nothing written; its one error line."""
    proc = run_cli("run", lesson_id, "--set", setting, "--models-dir", str(folder))
    assert proc.returncode == 2, proc.stderr
    assert not folder.exists() or list(folder.iterdir()) == []
    return one_line_error(proc)


def solved_source(lesson_id: str) -> str:
    """A learner's file whose functions are the lesson's own, each a `def` of the file (as
    the no-loops check reads them) that calls the lesson's implementation."""
    import inspect

    from workbench.course import exercises

    lines = [f"from lessons.{lesson_id} import exercises as _lessons_own\n"]
    for exercise in exercises.lesson_exercises(lesson_id):
        params = inspect.signature(exercise.reference).parameters.values()
        passed = ", ".join(p.name if p.default is inspect.Parameter.empty else f"{p.name}={p.name}"
                           for p in params)
        lines.append(f"def {exercise.name}({', '.join(map(str, params))}):\n"
                     f"    return _lessons_own.{exercise.name}({passed})\n")
    return "\n".join(lines)


@pytest.fixture(scope="session")
def solved(tmp_path_factory) -> Path:
    """A workspace where every lesson's file is `solved_source`: every exercise passes."""
    from workbench import registry

    folder = tmp_path_factory.mktemp("solved")
    for lesson in registry.lessons():
        if lesson.exercises:
            (folder / f"{lesson.id}.py").write_text(solved_source(lesson.id))
    return folder
