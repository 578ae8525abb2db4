"""The conformance kit (`workbench.conformance`): this distribution's lessons keep every
rule a lesson pack is held to, in both languages; and the kit finds each kind of broken
rule it promises to find."""

from __future__ import annotations

import dataclasses

import pytest

from workbench import conformance, registry
from workbench.course import claims, guide
from workbench.course.guide import Experiment, Predict, Read
from workbench.i18n.catalogue import Catalogue


@pytest.mark.parametrize("lesson", registry.lessons(), ids=lambda lesson: lesson.id)
def test_every_lesson_of_this_distribution_keeps_the_rules_in_chinese_too(lesson):
    assert conformance.shipped_languages(lesson) == ["zh"]
    conformance.assert_conforms(lesson, languages=["zh"])


def test_a_lesson_shows_its_path_claims_knobs_and_log_lines_as_messages():
    found = conformance.messages(registry.get("knn"))
    knn = registry.get("knn")
    first_claim = guide.steps_of(knn)[2].claims[0]
    assert {knn.title, knn.summary, first_claim.text, first_claim.why_not} <= found
    assert knn.param("k").help in found
    # a log line, found by Babel in lesson.py the way a translator's tool finds it
    assert any("{" in message for message in found)


@pytest.fixture
def knn_copy(monkeypatch, tmp_path):
    """knn with its catalogue in a scratch folder, and a path we may break."""
    knn = registry.get("knn")
    folder = tmp_path / "locale"
    (folder / "zh" / "LC_MESSAGES").mkdir(parents=True)
    (folder / "zh" / "LC_MESSAGES" / "messages.po").write_bytes(knn.texts.path("zh").read_bytes())
    copy = dataclasses.replace(knn)
    monkeypatch.setattr(type(copy), "texts", property(lambda self: Catalogue(folder)))
    return copy, folder / "zh" / "LC_MESSAGES" / "messages.po"


def test_the_kit_names_an_untranslated_message_a_stale_one_and_a_lost_placeholder(knn_copy, monkeypatch):
    from babel.messages.pofile import read_po, write_po

    lesson, po = knn_copy
    with open(po, "rb") as f:
        catalog = read_po(f, locale="zh")
    dropped = lesson.title
    catalog.delete(dropped)
    catalog.add("a sentence no lesson says", "没有课程说的话")
    with_field = next(m for m in catalog if m.id and "{" in m.id)
    with_field.string = "占位符丢了"
    with open(po, "wb") as f:
        write_po(f, catalog)
    from workbench.i18n import catalogue

    catalogue._read.cache_clear()
    found = conformance.word_problems(lesson, ["zh"])
    assert f"zh: no translation of {dropped!r} in {po}" in found
    assert f"zh: {po} holds 'a sentence no lesson says', which the lesson no longer shows" in found
    assert f"zh: the translation of {with_field.id!r} changes its placeholders" in found
    assert len(found) == 3, found


def test_the_kit_names_a_path_that_does_not_hold_together(monkeypatch):
    knn = registry.get("knn")
    broken = (Read("read", "No such heading"),
              Predict("p", "q?", ("a", "b"), 0, "r", settled_by=3),
              Experiment("run", {"k": 1}, (claims.compares("x", ">", 0, "t", "w"),)))
    monkeypatch.setattr(guide, "steps_of", lambda lesson: broken)
    assert conformance.path_problems(knn) == [
        "step 1 reads 'No such heading', which is not a heading of notes.md"]
    monkeypatch.setattr(guide, "steps_of", lambda lesson: broken[1:2])
    assert conformance.path_problems(knn) == [
        "knn step 1 ('p'): settled_by must name an experiment step"]


def test_the_kit_names_default_settings_that_fail_their_own_check(monkeypatch):
    from workbench.errors import BadInput

    knn = registry.get("knn")

    def refuse(self):
        raise BadInput("folds must be 0 or 2..10")

    monkeypatch.setattr(knn.settings, "check", refuse)
    assert conformance.declaration_problems(knn) == [
        "the default settings fail their own check: folds must be 0 or 2..10"]


def test_the_kit_runs_from_the_command_line(capsys):
    assert conformance.main(["knn"]) == 0
    assert capsys.readouterr().out.strip() == "knn: keeps every rule"


def test_the_kit_names_an_exercise_whose_check_never_calls_or_fails_its_reference(monkeypatch):
    from workbench.course import exercises
    from workbench.course.exercises import Failed

    knn = registry.get("knn")
    (first, second, *rest) = exercises.lesson_exercises("knn")

    def refuses(function):
        raise Failed("always")

    lazy = dataclasses.replace(first, check=lambda function: None)  # passes anything
    strict = dataclasses.replace(second, check=refuses)
    monkeypatch.setattr(exercises, "lesson_exercises", lambda lesson_id: (lazy, strict, *rest))
    assert conformance.exercise_problems(knn) == [
        f"exercise {first.name!r}: its check never calls the function (an unwritten one is not 'todo')",
        f"exercise {second.name!r}: the lesson's own implementation does not pass its check (fail: always)",
        f"exercise {second.name!r}: its check never calls the function (an unwritten one is not 'todo')"]
