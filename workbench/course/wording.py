"""The words of a lesson's steps and claims, in the learner's language.

A path is declared in English (`lessons/<id>/path.py`); each step and claim names the
fields that are words (`words = ("title", "question", ...)`). When the engine loads a
path it binds every step and claim to its lesson's catalogue, and `in_language(step,
"zh")` is then the same step with those fields translated, so drawing code reads
`said.title` whatever the language. The English text is the message id: a translator
edits the lesson's .po file, never the path.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TypeVar

from workbench.i18n.catalogue import Catalogue
from workbench.i18n.language import DEFAULT

Worded = TypeVar("Worded")
_TEXTS = "_texts"  # the bound catalogue, kept off the dataclass fields (not compared, not shown)


def bind(item: Worded, texts: Catalogue) -> Worded:
    """`item` (a frozen step or claim) reads its words from `texts` from now on."""
    object.__setattr__(item, _TEXTS, texts)
    return item


def in_language(item: Worded, lang: str) -> Worded:
    """`item` with its words in `lang`; itself in English or when it is bound to nothing."""
    texts: Catalogue | None = getattr(item, _TEXTS, None)
    if texts is None or lang == DEFAULT:
        return item
    said = replace(item, **{name: _translated(texts, lang, getattr(item, name)) for name in item.words})
    return bind(said, texts)


def _translated(texts: Catalogue, lang: str, value):
    if isinstance(value, tuple):
        return tuple(texts(lang, text) for text in value)
    return texts(lang, value)


def messages(item) -> list[str]:
    """Every English text `item` shows: the message ids its catalogue must hold."""
    found = []
    for name in item.words:
        value = getattr(item, name)
        found += [text for text in (value if isinstance(value, tuple) else (value,)) if text]
    return found
