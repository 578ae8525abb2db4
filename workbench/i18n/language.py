"""The language of the words around the numbers: English or Chinese (the course's own).

Notes, explanatory log lines and help texts come in both; metric names, parameter names
and JSON stay English everywhere, because scripts read them. The choice, first found
wins: an explicit `--lang` (or the app's key), `WORKBENCH_LANG`, the locale
(`LC_ALL`, `LC_MESSAGES`, `LANG`: `zh_CN.UTF-8` means Chinese), then English.
"""

from __future__ import annotations

import os
import re

from workbench.errors import BadInput

LANGUAGES = {"en": "English", "zh": "中文"}
DEFAULT = "en"
ENV = "WORKBENCH_LANG"
_LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


def checked(lang: str, where: str = "--lang") -> str:
    code = lang.strip().lower()
    if code not in LANGUAGES:
        raise BadInput(f"{where} must be one of {', '.join(LANGUAGES)}; got {lang!r}")
    return code


def resolve(explicit: str | None = None) -> str:
    """The language to use: `explicit`, else the environment's, else English."""
    if explicit:
        return checked(explicit)
    if os.environ.get(ENV):
        return checked(os.environ[ENV], ENV)
    return from_locale()


def from_locale() -> str:
    for variable in _LOCALE_VARIABLES:
        value = os.environ.get(variable, "")
        if value:  # the first one set decides, as in POSIX
            return "zh" if value.lower().startswith("zh") else DEFAULT
    return DEFAULT


def pick(lang: str, en, zh):
    """`zh` in Chinese when there is one (spaced, as below); English otherwise. Either a text
    or a tuple of texts (a prediction's answers), spaced one by one."""
    if lang != "zh" or not zh:
        return en
    return tuple(map(spaced, zh)) if isinstance(zh, tuple) else spaced(zh)


_IDEOGRAPH = "\u3400-\u4dbf\u4e00-\u9fff"
_TOUCHING = re.compile(f"(?<=[{_IDEOGRAPH}])(?=[A-Za-z0-9`(])|(?<=[A-Za-z0-9`)])(?=[{_IDEOGRAPH}])")
_GLOSS = re.compile(r"（([ -~]+?)）")  # full-width brackets around ASCII only: an English term
_GAP = "\x00"  # where a glossed term may want a space; decided by _gap
_GAPS = re.compile(f"{_GAP}+")
_NO_GAP = set(" \n\t，。、；：！？“”（）《》") | {_GAP}


def spaced(text: str) -> str:
    """A space wherever a Chinese character touches a Latin letter, a digit or a code span.

    Chinese has no spaces, and Rich and Textual break lines only at spaces: left to
    themselves they fold a long Chinese run at whatever cell the width falls on, which can
    be inside a number, "0.98" on one line and "33" on the next. Spaced as Chinese
    typesetting commonly does, every number and English word starts a new word and is
    never cut; an English term glossed in full-width brackets, （hinge loss）, gets ASCII
    brackets to the same end. Where the Chinese itself may break (never before `，` or
    `。`) is `workbench.i18n.line_breaking`'s, once installed.
    """
    glossed = _GLOSS.sub(f"{_GAP}(\\1){_GAP}", text)
    return _GAPS.sub(_gap, _TOUCHING.sub(" ", glossed))


def _gap(match: re.Match) -> str:
    """A glossed term's space: kept between words, dropped at a line's edge, beside a space
    or beside Chinese punctuation."""
    text, start, end = match.string, match.start(), match.end()
    before = text[start - 1] if start else "\n"
    after = text[end] if end < len(text) else "\n"
    return "" if before in _NO_GAP or after in _NO_GAP else " "
