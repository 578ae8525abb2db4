"""The catalogues kept parsed between launches (workbench.i18n.catalogue_cache): the same
messages as Babel's parse, parsed again when the .po file changes, and never a failure
when the cache is broken or cannot be written."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from babel.messages.pofile import read_po

from workbench.i18n import catalogue, catalogue_cache

ENGINE_PO = catalogue.ENGINE.path("zh")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv(catalogue_cache.ENV, str(folder))
    return folder / "catalogues"


@pytest.fixture
def po(tmp_path):
    """A copy of the engine's Chinese catalogue, to edit."""
    copy = tmp_path / "messages.po"
    shutil.copy(ENGINE_PO, copy)
    return copy


class CountingParse:
    def __init__(self):
        self.calls = 0

    def __call__(self, path):
        self.calls += 1
        return catalogue._parse(path, "zh")


def babel_messages(path) -> dict[str, str]:
    """Babel's own reading, independently of the engine's code."""
    with open(path, "rb") as f:
        return {m.id: m.string for m in read_po(f, locale="zh") if m.id and m.string and not m.fuzzy}


def test_a_catalogue_read_again_is_not_parsed_again_and_gives_the_same_messages(cache, po):
    parse = CountingParse()
    first = catalogue_cache.messages(po, parse)
    again = catalogue_cache.messages(po, parse)
    assert parse.calls == 1
    assert first == again == babel_messages(po)
    assert len(first) > 200 and "yes" in first
    assert [p.suffix for p in cache.iterdir()] == [".json"]  # one entry, no partial file left


def test_a_catalogue_edited_since_is_parsed_again(cache, po):
    parse = CountingParse()
    before = catalogue_cache.messages(po, parse)
    text = po.read_text(encoding="utf-8")
    assert 'msgid "yes"\nmsgstr "是"' in text
    po.write_text(text.replace('msgid "yes"\nmsgstr "是"', 'msgid "yes"\nmsgstr "对"'), encoding="utf-8")
    # Same size (one character for another) and, on a coarse clock, maybe the same second:
    # the nanosecond time still tells them apart; set it apart explicitly to be sure.
    stat = po.stat()
    os.utime(po, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    after = catalogue_cache.messages(po, parse)
    assert parse.calls == 2
    assert before["yes"] == "是" and after["yes"] == "对"
    assert after == babel_messages(po)


@pytest.mark.parametrize("damage", ["not json {", '{"stamp": 3}', '["a list"]', ""])
def test_a_damaged_cache_entry_is_parsed_again_and_replaced(cache, po, damage):
    parse = CountingParse()
    catalogue_cache.messages(po, parse)
    (entry,) = cache.iterdir()
    entry.write_text(damage, encoding="utf-8")
    assert catalogue_cache.messages(po, parse) == babel_messages(po)
    assert parse.calls == 2
    assert json.loads(entry.read_text(encoding="utf-8"))["messages"] == babel_messages(po)


def test_a_cache_that_cannot_be_written_only_costs_the_parse(tmp_path, monkeypatch, po):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(catalogue_cache.ENV, str(blocker))
    parse = CountingParse()
    assert catalogue_cache.messages(po, parse) == babel_messages(po)
    assert catalogue_cache.messages(po, parse) == babel_messages(po)
    assert parse.calls == 2


def test_two_catalogues_keep_entries_of_their_own(cache, po, tmp_path):
    other = tmp_path / "other" / "messages.po"
    other.parent.mkdir()
    other.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
                     'msgid "Run"\nmsgstr "运行"\n', encoding="utf-8")
    parse = CountingParse()
    assert catalogue_cache.messages(other, parse) == {"Run": "运行"}
    assert catalogue_cache.messages(po, parse)["yes"] == "是"
    assert catalogue_cache.messages(other, parse) == {"Run": "运行"}
    assert parse.calls == 2 and len(list(cache.iterdir())) == 2


def test_the_engine_reads_through_the_cache(cache):
    catalogue._read.cache_clear()
    try:
        assert catalogue.ENGINE.translations("zh") == babel_messages(ENGINE_PO)
        (entry,) = cache.iterdir()
        assert json.loads(entry.read_text(encoding="utf-8"))["stamp"]["source"] == str(ENGINE_PO)
    finally:
        catalogue._read.cache_clear()
