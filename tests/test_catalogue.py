"""The engine's message catalogue: every message the engine's source marks (`tr(lang,
"...")`, a run's `everywhere(...)` warning, the seed's help) has a Chinese translation, the
catalogue holds no message the source no longer uses, and placeholders survive
translation. Messages are found the way translators' tools find them: Babel's extractor
over the source. Each lesson's own catalogue is checked by the conformance kit
(tests/test_conformance.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from workbench import conformance
from workbench.i18n import catalogue

ENGINE_SOURCE = Path(catalogue.__file__).parents[1]
ENGINE = catalogue.ENGINE.translations("zh")


def engine_messages() -> set[str]:
    return conformance.extracted(ENGINE_SOURCE)


def test_the_engine_uses_the_catalogue():
    assert len(engine_messages()) > 200


def test_every_engine_message_has_a_chinese_translation():
    missing = engine_messages() - set(ENGINE)
    assert not missing, f"untranslated: {sorted(missing)}"


def test_the_engine_catalogue_holds_nothing_stale():
    stale = set(ENGINE) - engine_messages()
    assert not stale, f"in the catalogue, no longer in the source: {sorted(stale)}"


@pytest.mark.parametrize("message", sorted(ENGINE))
def test_a_translation_keeps_the_placeholders(message):
    assert conformance.fields(ENGINE[message]) == conformance.fields(message)


def test_a_message_is_filled_and_spaced_in_chinese_and_left_english_otherwise():
    message = next(m for m in ENGINE if "{" not in m)
    assert catalogue.tr("en", message) == message
    assert catalogue.tr("zh", message) != message
    assert catalogue.tr("zh", "no such message {n}", n=3) == "no such message 3"


def test_a_log_line_carries_every_language_and_each_front_end_shows_its_own():
    from workbench.running.events import Log

    line = Log.worded(catalogue.ENGINE.everywhere("warning: this run is not in the run history: "
                                                  "{reason}", reason="disk full"))
    assert line.in_language("en") == "warning: this run is not in the run history: disk full"
    assert line.in_language("zh") == catalogue.tr(
        "zh", "warning: this run is not in the run history: {reason}", reason="disk full")
    assert "disk full" in line.in_language("zh") and line.in_language("zh") != line.text


CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]")


def test_no_more_than_300_chinese_characters_are_left_in_python_source():
    # What may stay: the kinsoku tables of line breaking and the languages' own names.
    root = ENGINE_SOURCE.parent
    counts = {str(p.relative_to(root)): len(CJK.findall(p.read_text(encoding="utf-8")))
              for folder in ("workbench", "lessons") for p in (root / folder).rglob("*.py")}
    assert sum(counts.values()) <= 300, sorted((n, p) for p, n in counts.items() if n)[-10:]
