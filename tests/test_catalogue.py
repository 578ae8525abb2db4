"""The message catalogues: every message the source passes to `tr` has a Chinese
translation, the catalogue holds no message the source no longer uses, and placeholders
survive translation. Messages are found the way translators' tools find them: Babel's
extractor over the source."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from workbench import catalogue

ROOT = Path(catalogue.__file__).parent.parent


def source_messages() -> set[str]:
    found = set()
    for folder in ("workbench", "lessons"):
        for _file, _line, message, _comments, _context in extract_from_dir(
                ROOT / folder, method_map=[("**.py", "python")], keywords={"tr": (2,), "knob": (2,)}):
            found.add(message)
    return found


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_the_source_uses_the_catalogue():
    assert len(source_messages()) > 20


def test_every_message_has_a_chinese_translation():
    missing = source_messages() - set(catalogue.translations("zh"))
    assert not missing, f"untranslated: {sorted(missing)}"


def test_the_catalogue_holds_nothing_stale():
    stale = set(catalogue.translations("zh")) - source_messages()
    assert not stale, f"in the catalogue, no longer in the source: {sorted(stale)}"


@pytest.mark.parametrize("message", sorted(catalogue.translations("zh")))
def test_a_translation_keeps_the_placeholders(message):
    assert fields(catalogue.translations("zh")[message]) == fields(message)


def test_a_message_is_filled_and_spaced_in_chinese_and_left_english_otherwise():
    message = next(m for m in catalogue.translations("zh") if "{" not in m)
    assert catalogue.tr("en", message) == message
    assert catalogue.tr("zh", message) != message
    assert catalogue.tr("zh", "no such message {n}", n=3) == "no such message 3"
