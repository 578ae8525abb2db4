"""Guided paths: every lesson's declaration, the claim builders, the learner's marks, the
`workbench path` and `run --step` commands (on the example pack, whose runs take seconds)."""

from __future__ import annotations

import json

import pytest
from markdown_it import MarkdownIt

from tests.conftest import one_line_error, run_cli
from tests.test_plugins import env_for, hello_pack, on_path  # noqa: F401  (fixtures)
from workbench import registry
from workbench.course import claims, wording
from workbench.course import guide
from workbench.course.guide import Compare, ExerciseStep, Experiment, Predict, Read
from workbench.i18n.catalogue import Catalogue
from workbench.results import history
from workbench.running.runner import prepare


def headings(markdown: str) -> list[str]:
    tokens = MarkdownIt().parse(markdown)
    return [tokens[i + 1].content.strip() for i, t in enumerate(tokens) if t.type == "heading_open"]


LESSONS = [lesson for lesson in registry.lessons()]


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_every_lesson_has_a_path_that_holds_together(lesson):
    steps = guide.steps_of(lesson)
    guide.check_path(lesson, steps)  # presets valid, predictions and comparisons point at experiments
    kinds = [step.kind for step in steps]
    assert len(steps) >= 5 and "predict" in kinds
    experiments = [step for step in steps if isinstance(step, Experiment)]
    assert len(experiments) >= 2 and all(step.claims for step in experiments)
    assert ("exercise" in kinds) == bool(lesson.exercises)
    for n, step in enumerate(steps, start=1):
        if isinstance(step, Read):
            assert step.section in headings(lesson.notes), f"step {n}: no heading {step.section!r}"
            # the Chinese notes' heading in the same place is the one the app opens
            assert lesson.section_in("zh", step.section) in headings(lesson.notes_zh)
        if isinstance(step, Predict):
            assert step.settled_by > n, f"step {n}: asked after the run that settles it"
        if isinstance(step, Experiment):
            assert all(claim.why_not for claim in step.claims)


# -- claims -----------------------------------------------------------------------------

def test_a_comparison_claim_holds_or_not_with_its_numbers():
    claim = claims.compares("train_accuracy", "==", 1.0, "memorised", "k was not 1")
    held = claim.check({"train_accuracy": 1.0})
    assert held.holds and held.measured == "train_accuracy 1 == 1"
    missed = claim.check({"train_accuracy": 0.9731})
    assert not missed.holds and missed.measured == "train_accuracy 0.9731 == 1"
    assert missed.why_not == "k was not 1" and missed.line().endswith(": no (k was not 1)")
    assert held.to_dict() == {"text": "memorised", "holds": True, "measured": "train_accuracy 1 == 1"}


def test_an_ordering_of_two_metrics_is_shown_with_their_labels():
    claim = claims.ordered("residual_loss", "<", "plain_loss", "residual ends lower", "too few epochs",
                          labels=("residual", "plain"))
    assert claim.check({"residual_loss": 0.067, "plain_loss": 0.21}).measured == "residual 0.067 < plain 0.21"
    assert not claim.check({"residual_loss": 0.3, "plain_loss": 0.21}).holds


def test_nearness_is_relative_to_the_target_and_says_how_far_off():
    import math

    claim = claims.near("initial_loss", math.log(10), 0.05, "starts at ln 10", "weights not small",
                       target_words="ln 10")
    close = claim.check({"initial_loss": 2.31})
    assert close.holds and close.measured == "initial_loss 2.31 vs ln 10 = 2.303, 0.3% off"
    far = claim.check({"initial_loss": 2.5})
    assert not far.holds and far.measured.endswith("8.6% off")


@pytest.mark.parametrize("metrics, measured", [
    ({}, "not measured: the run reported no train_accuracy"),
    ({"train_accuracy": None}, "not measured: the run reported no train_accuracy"),
    ({"train_accuracy": float("nan")}, "not measured: train_accuracy is nan"),
    ({"train_accuracy": "high"}, "not measured: could not convert string to float: 'high'"),
])
def test_a_claim_on_a_missing_or_broken_number_does_not_hold(metrics, measured):
    verdict = claims.compares("train_accuracy", ">=", 0.5, "learns", "why").check(metrics)
    assert not verdict.holds and verdict.measured == measured


def test_a_claim_speaks_the_learners_language_from_its_lessons_catalogue(tmp_path):
    write_catalogue(tmp_path / "zh" / "LC_MESSAGES" / "messages.po",
                    {"positive": "为正", "negative seed": "种子为负"})
    claim = wording.bind(claims.compares("x", ">", 0, "positive", "negative seed"), Catalogue(tmp_path))
    said = claim.check({"x": -1}, "zh")
    assert (said.text, said.why_not) == ("为正", "种子为负")
    assert claim.check({"x": -1}).text == "positive"  # English: the message itself
    assert wording.in_language(claims.compares("x", ">", 0, "unbound", "w"), "zh").text == "unbound"


def write_catalogue(path, translations: dict) -> None:
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    catalog = Catalog(locale="zh")
    for message, translation in translations.items():
        catalog.add(message, translation)
    path.parent.mkdir(parents=True)
    with open(path, "wb") as po:
        write_po(po, catalog)


# -- the learner's marks ------------------------------------------------------------------

def test_declarations_that_do_not_hold_together_are_refused():
    lesson = registry.get("knn")
    experiment = Experiment("run", {"k": 1}, (claims.compares("x", ">", 0, "t", "w"),))
    with pytest.raises(ValueError, match="settled_by must name an experiment step"):
        guide.check_path(lesson, (Read("r", "s"), Predict("p", "q?", ("a", "b"), 0, "r", settled_by=1)))
    with pytest.raises(ValueError, match="compares two or more experiment steps"):
        guide.check_path(lesson, (experiment, Compare("c", (1,), ("x",))))
    with pytest.raises(Exception, match="k must be >= 1; got 0"):
        guide.check_path(lesson, (Experiment("bad", {"k": 0}, ()),))
    with pytest.raises(ValueError, match="2-4 answers"):
        Predict("p", "q?", ("only",), 0, "r", settled_by=2)
    with pytest.raises(ValueError, match="knn has no dataset 'imagenet'"):
        guide.check_path(lesson, (Experiment("elsewhere", {"k": 1}, (), dataset="imagenet"),))


def test_an_experiment_runs_on_its_own_dataset_unless_told_otherwise():
    # transfer's step 11 checks its claim on Fashion-MNIST: the digits are too easy for it.
    step = guide.experiment(registry.get("transfer"), 11)
    assert step.dataset == "fashion_mnist"
    assert prepare("transfer", None, None, step=11).dataset == "fashion_mnist"
    assert prepare("transfer", None, "digits", step=11).dataset == "digits"
    assert prepare("transfer", None, None, step=4).dataset == "digits"  # the lesson's default


STEPS = (
    Read("read", "section"),
    Predict("guess", "q?", ("a", "b", "c"), 2, "because", settled_by=3),
    Experiment("run one", {"k": 1}, (claims.compares("train_accuracy", "==", 1.0, "all", "no"),)),
    Experiment("run two", {"k": 20}, (claims.compares("train_accuracy", "<", 1.0, "some", "no"),)),
    Compare("both", (3, 4), ("train_accuracy",)),
    ExerciseStep("write it"),
)


@pytest.fixture
def toy_path(monkeypatch):
    monkeypatch.setattr(guide, "steps_of", lambda lesson: STEPS)
    return registry.get("knn")


def test_marks_come_from_the_history(toy_path, tmp_path):
    record = history.History(tmp_path / history.FILE_NAME)
    fresh = guide.progress(toy_path, record)
    assert [s.done for s in fresh] == [False] * 6 and guide.current(fresh) == 1

    record.mark_done("knn", 1)
    record.answer("knn", 2, 0)
    failed = record.begin("knn", {"k": 1}, step=3)
    record.finish(failed, "failed", message="boom")
    states = guide.progress(toy_path, record)
    assert [s.done for s in states] == [True, True, False, False, False, False]
    assert states[1].answer == 0 and not states[1].revealed  # its experiment has not run yet
    assert guide.current(states) == 3

    for step, accuracy in ((3, 1.0), (4, 1.0)):
        run = record.begin("knn", {}, step=step)
        record.finish(run, "done", metrics={"train_accuracy": accuracy})
    states = guide.progress(toy_path, record, exercises_passed=True)
    assert [s.n for s in states if not s.done] == [5]  # a comparison: done once looked at
    record.mark_done("knn", 5)
    states = guide.progress(toy_path, record, exercises_passed=True)
    assert all(s.done for s in states) and states[1].revealed
    assert [v.holds for v in states[2].verdicts] == [True]
    assert [v.holds for v in states[3].verdicts] == [False]  # a claim that did not hold: still done
    assert guide.current(states) == 6  # all done: the last


def test_path_lists_answers_and_reveals_on_the_example_pack(hello_pack, tmp_path):
    env = {**env_for(hello_pack), "COLUMNS": "120"}
    folder = ["--models-dir", str(tmp_path / "models")]
    listed = run_cli("path", "hello", "--json", *folder, env=env)
    assert listed.returncode == 0, listed.stderr
    steps = json.loads(listed.stdout)
    assert steps["lesson"] == "hello" and steps["current"] == 1
    assert [(s["n"], s["kind"], s["done"]) for s in steps["steps"]] == [
        (1, "read", False), (2, "predict", False), (3, "experiment", False),
        (4, "experiment", False), (5, "compare", False)]
    assert not (tmp_path / "models").exists()  # looking writes nothing

    experiment = run_cli("path", "hello", "--step", "3", *folder, env=env)
    assert "workbench run hello --step 3" in " ".join(experiment.stdout.split())  # the command to type

    answered = run_cli("path", "hello", "--answer", "2=a", "--read", "1", *folder, env=env)
    assert answered.returncode == 0 and "→ · 3 experiment" in answered.stdout
    waiting = run_cli("path", "hello", "--step", "2", *folder, env=env)
    assert "← your answer" in waiting.stdout and "shows once step 3 has run" in waiting.stdout

    ran = run_cli("run", "hello", "--step", "3", "--json", "--quiet", *folder, env=env)
    assert ran.returncode == 0, ran.stderr
    result = json.loads(ran.stdout)
    assert result["step"] == 3 and result["params"]["hidden"] == 1  # the step's preset
    [claim] = result["claims"]
    accuracy = result["metrics"]["test_accuracy"]
    assert claim["holds"] == (accuracy < 0.6)
    assert claim["measured"] == f"test_accuracy {accuracy:.4g} < 0.6"

    [scored] = result["predictions"]  # the run settles step 2, answered a
    assert {k: scored[k] for k in ("step", "answer", "expected", "correct")} == {
        "step": 2, "answer": "a", "expected": "b", "correct": False}
    assert scored["shown"] == claim["holds"] and scored["measured"] == claim["measured"]
    revealed = " ".join(run_cli("path", "hello", "--step", "2", *folder, env=env).stdout.split())
    if claim["holds"]:
        assert f"You predicted a; the run showed b. {claim['measured']}" in revealed
    else:
        assert (f"You predicted a. The lesson expects b, but this run did not show it. "
                f"{claim['measured']}") in revealed
    assert "ten classes" in revealed
    late = run_cli("path", "hello", "--answer", "2=b", *folder, env=env)  # after seeing it
    assert late.returncode == 2 and late.stderr.strip() == (
        "workbench: error: step 2 is settled: step 3 has run, and a prediction is made before "
        "its run ('workbench path hello --step 2' shows its score)")
    again = json.loads(run_cli("path", "hello", "--json", *folder, env=env).stdout)
    assert [s["done"] for s in again["steps"]] == [True, True, True, False, False]


@pytest.mark.parametrize("args, message", [
    (["path", "hello", "--answer", "3=a"], "step 3 is an experiment step; --answer takes a predict step"),
    (["path", "hello", "--answer", "2=e"], "step 2 has answers a, b; got 'e'"),
    (["path", "hello", "--answer", "two=a"], "--answer takes N=CHOICE, e.g. 2=a; got 'two=a'"),
    (["path", "hello", "--step", "9"], "--step must be a step 1..5; got 9"),
    (["path", "hello", "--read", "2"], "step 2 is not a read step; --read marks a read step done"),
    (["run", "hello", "--step", "1"], "hello step 1 is a read step, not an experiment; "
                                      "'workbench path hello' lists the steps"),
    (["run", "hello", "--step", "6"], "--step must be 1..5 for hello; got 6"),
    (["run", "hello", "--step", "3", "--set", "hidden=0"], "hidden must be 1..4096; got 0"),
])
def test_path_and_step_refuse_bad_input_in_one_line(hello_pack, tmp_path, args, message):
    proc = run_cli(*args, "--models-dir", str(tmp_path / "models"), env=env_for(hello_pack))
    assert proc.returncode == 2
    assert one_line_error(proc) == f"workbench: error: {message}"
    assert not (tmp_path / "models").exists()


def test_a_step_run_changed_by_set_keeps_the_rest_of_its_preset(hello_pack, on_path, tmp_path):
    from workbench.running import runner

    on_path(hello_pack)
    request = runner.prepare("hello", {"epochs": "1"}, None, 0, step=4)
    assert request.step == 4 and request.settings.hidden == 32 and request.settings.epochs == 1


def test_the_right_answers_do_not_sit_on_one_letter():
    """A learner who always picks the same letter must not be right most of the time."""
    from collections import Counter

    right = Counter(step.correct for lesson_id in ("knn", "linear", "backprop", "training", "cnn",
                                                   "resnet", "transfer", "lstm")
                    for step in guide.steps_of(registry.get(lesson_id)) if isinstance(step, Predict))
    total = sum(right.values())
    assert total >= 10 and len(right) >= 3
    assert max(right.values()) <= 0.4 * total, right


def test_the_answer_hint_names_no_letter_for_the_learner(tmp_path):
    from workbench.results import history
    from workbench.drawing import guided_path
    from rich.console import Console

    lesson = registry.get("knn")
    states = guide.progress(lesson, history.History(tmp_path / history.FILE_NAME))
    console = Console(width=200, record=True)
    console.print(guided_path.step_detail(states[1], "en", "knn"))
    hint = console.export_text()
    assert "--answer 2=LETTER (a, b, c)" in hint and "2=a" not in hint
