"""The conformance kit: the rules every lesson keeps, checked in the lesson's own tests.

A lesson pack calls it from its test suite:

    from workbench.conformance import assert_conforms

    def test_my_lesson_keeps_the_rules():
        assert_conforms("my_lesson")

and the built-in lessons are held to the same rules (tests/test_conformance.py). What it
checks, without training anything:

- the declaration: its settings' defaults pass their own check, the runner's module
  and `run` function exist, highlights and curve keys are named;
- the notes: notes.md has sections, notes.<lang>.md (where there is one) the same ones;
- the path: presets the lesson accepts, predictions settled by an experiment whose
  claim shows the answer, comparisons of experiments, read steps naming a heading;
- the exercises: named once each, a stub that defines the function it names;
- the words: every text the lesson shows (title, steps, claims, knob help, exercise
  titles, `tr(...)` and `ctx.log(...)` messages) translated in each language the lesson
  ships a catalogue for, with the same `{placeholders}`, and nothing stale in it.

`python -m workbench.conformance LESSON` prints the problems; `--sync` rewrites the
lesson's catalogues so they hold exactly its messages (new ones untranslated, for a
translator to fill in; translations of messages still in use kept).
"""

from __future__ import annotations

import argparse
import importlib
import re
import string
import sys
from pathlib import Path

from workbench import registry
from workbench.course import exercises as exercise_defs
from workbench.course import guide
from workbench.course.wording import messages as step_messages
from workbench.i18n.catalogue import Catalogue
from workbench.i18n.language import DEFAULT, LANGUAGES

# The calls whose text argument is a message, for Babel's extractor: (argument number,)
KEYWORDS = {"tr": (2,), "log": (1,), "everywhere": (1,), "knob": (2,)}


def extracted(folder: Path, keywords=KEYWORDS) -> set[str]:
    """Every message marked in the Python files under `folder` (`tr(lang, "...")`,
    `ctx.log("...")`, `knob(default, "...")`), as Babel's extractor reads them."""
    from babel.messages.extract import extract_from_dir

    found = set()
    for _, _, message, _, _ in extract_from_dir(str(folder), method_map=[("**.py", "python")],
                                                   keywords=keywords, comment_tags=()):
        found.update(m for m in (message if isinstance(message, tuple) else (message,)) if m)
    return found


def lesson_folder(lesson: registry.Lesson) -> Path:
    return Path(importlib.import_module(lesson.package).__file__).parent


def messages(lesson: registry.Lesson) -> set[str]:
    """Every English text the lesson shows a learner: the message ids of its catalogue."""
    found = {lesson.title, lesson.summary} | extracted(lesson_folder(lesson))
    found |= {p.help for p in lesson.params if p.help}
    for step in guide.steps_of(lesson):
        found.update(step_messages(step))
        for claim in getattr(step, "claims", ()):
            found.update(step_messages(claim))
    if lesson.exercises:
        found |= {e.title for e in exercise_defs.lesson_exercises(lesson.id)}
    return found


def fields(text: str) -> list[str]:
    """The `{placeholders}` of a message, with their format specs, sorted."""
    return sorted(f"{name}:{spec}" for _, name, spec, _ in string.Formatter().parse(text)
                  if name is not None)


def shipped_languages(lesson: registry.Lesson) -> list[str]:
    """The languages the lesson ships a catalogue for."""
    texts = lesson.texts
    return [lang for lang in LANGUAGES if lang != DEFAULT and texts.path(lang) and texts.path(lang).exists()]


def word_problems(lesson: registry.Lesson, languages=None) -> list[str]:
    texts: Catalogue = lesson.texts
    wanted = messages(lesson)
    problems = []
    for lang in languages if languages is not None else shipped_languages(lesson):
        translated = texts.translations(lang)
        where = texts.path(lang)
        for message in sorted(wanted - set(translated)):
            problems.append(f"{lang}: no translation of {message!r} in {where}")
        for message in sorted(set(translated) - wanted):
            problems.append(f"{lang}: {where} holds {message!r}, which the lesson no longer shows")
        for message in sorted(wanted & set(translated)):
            if fields(message) != fields(translated[message]):
                problems.append(f"{lang}: the translation of {message!r} changes its placeholders")
    return problems


def _headings(markdown: str) -> list[str]:
    return registry.headings(markdown)


def declaration_problems(lesson: registry.Lesson) -> list[str]:
    problems = []
    try:
        lesson.settings().check()
    except Exception as exc:  # noqa: BLE001  (whatever it is, the defaults must pass)
        problems.append(f"the default settings fail their own check: {exc}")
    module, _, function = lesson.run.partition(":")
    try:
        if not callable(getattr(importlib.import_module(module), function, None)):
            problems.append(f"run names {lesson.run!r}, which is not a function")
    except ImportError as exc:
        problems.append(f"run names {lesson.run!r}, which does not import: {exc}")
    for metric, meaning in lesson.highlights:
        if not metric or not (isinstance(meaning, str) or callable(meaning)):
            problems.append(f"highlight {metric!r} needs a metric name and its meaning")
    return problems


def notes_problems(lesson: registry.Lesson) -> list[str]:
    english = _headings(lesson.notes)
    problems = [] if english else ["notes.md has no sections"]
    for lang in LANGUAGES:
        if lang != DEFAULT and lesson.notes_in(lang) is not lesson.notes:
            translated = _headings(lesson.notes_in(lang))
            if len(translated) != len(english):
                problems.append(f"notes.{lang}.md has {len(translated)} headings, notes.md {len(english)}")
    return problems


def path_problems(lesson: registry.Lesson) -> list[str]:
    steps = guide.steps_of(lesson)
    try:
        guide.check_path(lesson, steps)
    except Exception as exc:  # noqa: BLE001
        return [str(exc)]
    headings = _headings(lesson.notes)
    return [f"step {n} reads {step.section!r}, which is not a heading of notes.md"
            for n, step in enumerate(steps, start=1)
            if isinstance(step, guide.Read) and step.section not in headings]


def exercise_problems(lesson: registry.Lesson) -> list[str]:
    if not lesson.exercises:
        return []
    found = exercise_defs.lesson_exercises(lesson.id)
    names = [e.name for e in found]
    problems = [f"exercise {n!r} is declared twice" for n in sorted({n for n in names if names.count(n) > 1})]
    for e in found:
        if not re.search(rf"^def {re.escape(e.name)}\(", e.stub.strip(), re.M):
            problems.append(f"exercise {e.name!r}: its stub does not define {e.name}()")
        verdict = exercise_defs.judge(e, e.local(e.reference))
        if verdict[0] != "pass":
            problems.append(f"exercise {e.name!r}: the lesson's own implementation does not pass "
                            f"its check ({verdict[0]}: {verdict[1].splitlines()[0] if verdict[1] else ''})")
        if exercise_defs.judge(e, e.local(_unwritten))[0] != "todo":
            problems.append(f"exercise {e.name!r}: its check never calls the function (an unwritten "
                            f"one is not 'todo')")
    return problems


def _unwritten(*args, **kwargs):
    raise NotImplementedError


def problems(lesson: registry.Lesson | str, languages=None) -> list[str]:
    """Every rule the lesson breaks, one line each; [] when it keeps them all.
    `languages`: the languages its words must be in (default: those it ships)."""
    lesson = registry.get(lesson) if isinstance(lesson, str) else lesson
    return (declaration_problems(lesson) + notes_problems(lesson) + path_problems(lesson)
            + exercise_problems(lesson) + word_problems(lesson, languages))


def assert_conforms(lesson: registry.Lesson | str, languages=None) -> None:
    """For a pack's tests: fails listing every broken rule."""
    found = problems(lesson, languages)
    assert not found, "\n".join(found)


def sync(lesson: registry.Lesson, lang: str) -> Path:
    """Rewrite the lesson's `lang` catalogue to hold exactly its messages: translations of
    those still in use kept, new ones empty, stale ones dropped. Returns its path."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    path = lesson.texts.path(lang)
    translated = lesson.texts.translations(lang)
    catalog = Catalog(locale=lang, project=lesson.id, fuzzy=False)
    for message in sorted(messages(lesson)):
        catalog.add(message, translated.get(message, ""))
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as po:
        write_po(po, catalog, width=100)
    from workbench.i18n import catalogue

    catalogue._read.cache_clear()
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workbench.conformance",
                                     description="The rules a lesson keeps, checked.")
    parser.add_argument("lesson", help="the lesson's id")
    parser.add_argument("--sync", metavar="LANG", help="rewrite the lesson's LANG catalogue first")
    args = parser.parse_args(argv)
    lesson = registry.get(args.lesson)
    if args.sync:
        print(f"wrote {sync(lesson, args.sync)}")
    found = problems(lesson)
    print("\n".join(found) if found else f"{lesson.id}: keeps every rule")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
