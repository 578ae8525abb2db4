"""The learner's journey through every lesson's guided path, as the command line walks it,
in English and in Chinese: every step opens, every prediction is answered, every
experiment runs at its preset, and then each claim is judged and each prediction scored,
in both languages.

Each experiment runs once (its numbers do not depend on the language) and the steps are
then read in both languages; the first experiment of each lesson prints its text result in
Chinese, the way the README's 中文说明 suggests running it, and the others return JSON. The
lessons whose experiments take longest on two cores are marked slow (`pytest -m slow`).
The app's side of the journey is walked in tests/test_app_journey.py.
"""

from __future__ import annotations

import json

import pytest

from workbench import registry
from workbench.cli.main import main
from workbench.course import guide
from workbench.course.guide import Compare, ExerciseStep, Experiment, Predict
from workbench.course.guide import LETTERS

FAST = ("knn", "linear", "backprop", "training", "cnn", "lstm")
SLOW = ("resnet", "transfer")  # tens of seconds an experiment on two cores
SCORED = {"en": ("You predicted", "the run showed", "this run did not show it"),
          "zh": ("你预测的是", "运行显示的是", "这次运行没有显示出来")}
YES_NO = {"en": (": yes", ": no"), "zh": (": 是", ": 否")}


def cli(capsys, *args: str) -> str:
    """`workbench ARGS` in this process; its stdout, after checking it ended well."""
    code = main(list(args))
    out, err = capsys.readouterr()
    assert code == 0, f"workbench {' '.join(args)} exited {code}: {err}"
    assert "internal error" not in err and "Traceback" not in err, err
    return out


def flat(text: str) -> str:
    """Rich wraps at the console's width; the claims are read as one line."""
    return " ".join(text.split())


def wrong_or_right(n: int, step: Predict) -> int:
    """The learner's answer to prediction `n`: right for some, wrong for others."""
    return step.correct if n % 2 else (step.correct + 1) % len(step.answers)


def offline(step: Experiment, lesson) -> bool:
    """A step on a dataset other than the lesson's embedded default: it needs the network
    or Keras' cache (transfer's Fashion-MNIST step: tests/test_transfer.py runs it there)."""
    return step.dataset_of(lesson) != lesson.default_dataset


def own_lessons() -> list[str]:
    """The lessons this distribution declares (its pyproject's entry points), whatever
    else is installed."""
    import tomllib
    from pathlib import Path

    pyproject = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())
    return sorted(pyproject["project"]["entry-points"]["workbench.lessons"])


def walk(lesson_id: str, capsys, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("WORKBENCH_MODELS", str(tmp_path / "models"))
    monkeypatch.setenv("COLUMNS", "100")
    lesson = registry.get(lesson_id)
    steps = guide.steps_of(lesson)
    assert steps, f"{lesson_id} has no path"

    # Every step opens, in both languages, before anything has run.
    for lang in ("en", "zh"):
        for n, _ in enumerate(steps, start=1):
            shown = cli(capsys, "path", lesson_id, "--step", str(n), "--lang", lang)
            assert shown.startswith(f"{n}. "), shown

    # Every read step read, every prediction answered before the run that settles it.
    for n, step in enumerate(steps, start=1):
        if isinstance(step, guide.Read):
            cli(capsys, "path", lesson_id, "--read", str(n))
    answers = {n: wrong_or_right(n, step) for n, step in enumerate(steps, start=1)
               if isinstance(step, Predict)}
    for n, choice in answers.items():
        cli(capsys, "path", lesson_id, "--answer", f"{n}={LETTERS[choice]}")

    # Every experiment at its preset: the first prints its result in Chinese, the rest JSON.
    ran = []
    for n, step in enumerate(steps, start=1):
        if not isinstance(step, Experiment) or offline(step, lesson):
            continue
        settled = guide.settled_by(steps, n)
        if not ran:
            out = flat(cli(capsys, "run", lesson_id, "--step", str(n), "--lang", "zh", "--quiet"))
            assert out.count(YES_NO["zh"][0]) + out.count(YES_NO["zh"][1]) == len(step.claims)
            for p, prediction in settled:
                assert f"{p}. {guide.title_of(prediction, 'zh')}".replace(" ", "") in \
                    out.replace(" ", "")
                assert any(words in out for words in SCORED["zh"]), out
        else:
            result = json.loads(cli(capsys, "run", lesson_id, "--step", str(n), "--json", "--quiet"))
            assert result["step"] == n
            assert [type(c["holds"]) for c in result["claims"]] == [bool] * len(step.claims)
            assert all(c["measured"] for c in result["claims"])
            assert [p["step"] for p in result["predictions"]] == [p for p, _ in settled]
            for scored, (p, prediction) in zip(result["predictions"], settled):
                assert scored["answer"] == LETTERS[answers[p]]
                assert scored["expected"] == LETTERS[prediction.correct]
                assert scored["correct"] is (answers[p] == prediction.correct)
                claim = result["claims"][prediction.shown_by]
                assert (scored["shown"], scored["measured"]) == (claim["holds"], claim["measured"])
        ran.append(n)
    assert ran, f"{lesson_id}: no experiment ran"

    # Then, in both languages: each claim judged, each prediction scored, each comparison
    # shown and marked done once seen.
    for lang in ("en", "zh"):
        for n, step in enumerate(steps, start=1):
            shown = flat(cli(capsys, "path", lesson_id, "--step", str(n), "--lang", lang))
            if isinstance(step, Experiment) and n in ran:
                marks = sum(shown.count(mark) for mark in YES_NO[lang])
                assert marks == len(step.claims), shown
            elif isinstance(step, Predict) and step.settled_by in ran:
                assert any(words in shown for words in SCORED[lang]), shown
                said = {"en": f"You predicted {LETTERS[answers[n]]}",
                        "zh": f"你预测的是 {LETTERS[answers[n]]}"}[lang]
                assert said in shown, shown
            elif isinstance(step, Compare) and all(s in ran for s in step.steps):
                assert all(f"step {s}" in shown for s in step.steps), shown
                for metric in step.metrics:
                    assert metric in shown, (metric, shown)
    listed = json.loads(cli(capsys, "path", lesson_id, "--json"))
    undone = [s["n"] for s in listed["steps"] if not s["done"]]
    expected_undone = [n for n, step in enumerate(steps, start=1)
                       if isinstance(step, ExerciseStep)
                       or (isinstance(step, Experiment) and n not in ran)
                       or (isinstance(step, Compare) and not all(s in ran for s in step.steps))]
    assert undone == expected_undone


@pytest.mark.parametrize("lesson_id", FAST)
def test_the_journey_through_each_lesson_in_both_languages(lesson_id, capsys, monkeypatch, tmp_path):
    walk(lesson_id, capsys, monkeypatch, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("lesson_id", SLOW)
def test_the_journey_through_the_long_lessons(lesson_id, capsys, monkeypatch, tmp_path):
    walk(lesson_id, capsys, monkeypatch, tmp_path)


def test_the_journey_covers_every_lesson_of_this_distribution():
    assert sorted(FAST + SLOW) == own_lessons()
