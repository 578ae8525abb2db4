"""Where a line of Chinese may break: between two characters, but never before a closing
mark (，。、；：！？）」』】》 and the like) nor after an opening one, never inside an
identifier, a number or a short formula.

Rich and Textual break lines only at spaces, so a run of Chinese, which has none, is
folded at whatever cell the width falls on: `，` or `。` can begin a line, and a long
identifier can be cut in two. Both wrap through one function, `rich._wrap.divide_line`
(Rich's `Text.wrap` and Textual's `Content`, hence Markdown, tables, panels and every
`Static`); `install()` puts `divide_line` below in its place. A line without Chinese is
handed to Rich's own function unchanged, so English is broken exactly as before.

The rules are the common core of Chinese and Japanese line breaking (the kinsoku of
JIS X 4051, UAX #14's classes CL, CP, EX, IS, NS, OP): a closing mark goes with the
character before it, an opening one with the character after it, and the breaks around
Latin words, numbers and formulas are where spaces are, as in English. A formula (a
Latin run with an operator: `k = 1`, `||a - b||^2 = ...`) is kept whole when it fits on
a line; only a longer one is broken at its spaces.
"""

from __future__ import annotations

import re
import sys
from functools import lru_cache

import rich._wrap
import rich.text
from rich.cells import cell_len, chop_cells

_rich_divide_line = rich._wrap.divide_line  # Rich's own, for lines without Chinese

# Han, kana, bopomofo, CJK symbols and punctuation, full-width forms: a line may break
# between any two of them (Korean puts spaces between words, so Hangul is left out).
_CJK = ("\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3190-\u31ff\u3200-\u32ff"
        "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003134f")
_HAS_CJK = re.compile(f"[{_CJK}]")
_LATIN_RUN = re.compile(f"[^{_CJK}]+")

# Never at the start of a line (ASCII quotes are left out: they open as often as close).
CLOSING = frozenset(
    "，。、；：！？）］｝〕〗〙〛〉》」』】〟’”｠»"
    "．,.;:!?)]}%‰°℃·・…‥—–‐゠〜～ー々〻"
    "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ"
)
# Never at the end of a line.
OPENING = frozenset("（［｛〔〖〘〚〈《「『【〝‘“｟«([{")

# A Latin run that is a formula: an operator sign, or a minus, times or division between
# spaces. A slash alone is no sign of one: a path, a count ("3/3"), a unit ("images/s").
_OPERATOR = re.compile(r"[=<>≤≥≠≈^+*×÷→←|]|\s[-−x/]\s")

# What may start a line at a position: nothing (`_NEVER`), anything (`_BREAK`), and only
# when what lies between the breaks is wider than a line: at a formula's spaces or after
# an opening mark (`_IF_TOO_LONG`), then at any character not before a closing mark
# (`_IF_FOLDED`, where Rich would cut a word at any cell).
_NEVER, _BREAK, _IF_TOO_LONG, _IF_FOLDED = 0, 1, 2, 3


def _is_cjk(character: str) -> bool:
    return _HAS_CJK.match(character) is not None


def break_classes(text: str) -> list[int]:
    """For each position of `text`, which of the four above a line may start there."""
    classes = [_NEVER] * len(text)
    first = len(text) - len(text.lstrip())  # leading spaces go with the first word, as in Rich
    for i in range(first + 1, len(text)):
        before, after = text[i - 1], text[i]
        if after.isspace() or after in CLOSING:
            continue
        if before in OPENING:
            classes[i] = _IF_TOO_LONG
        elif before.isspace() or _is_cjk(before) or _is_cjk(after):
            classes[i] = _BREAK
        else:
            classes[i] = _IF_FOLDED
    for run in _LATIN_RUN.finditer(text):
        formula = run.group().strip()
        if " " in formula and _OPERATOR.search(formula):
            start = run.start() + run.group().index(formula)
            for i in range(start + 1, start + len(formula)):
                if classes[i] == _BREAK:
                    classes[i] = _IF_TOO_LONG
    return classes


def divide_line(text: str, width: int, fold: bool = True) -> list[int]:
    """Rich's `divide_line` with the Chinese rules: the offsets (in characters) to break
    `text` at so that each line fits `width` cells; what is wider than a line is folded
    (`fold`) or left to be cropped, as Rich does, and a fold too keeps closing marks off
    the start of a line."""
    if width < 1 or not _HAS_CJK.search(text):
        return _rich_divide_line(text, width, fold)
    return list(_divide(text, width, fold))


@lru_cache(maxsize=4096)  # Textual re-wraps the same lines on every refresh
def _divide(text: str, width: int, fold: bool) -> tuple[int, ...]:
    classes = break_classes(text)
    breaks: list[int] = []
    offset = 0  # cells used on the current line

    def new_line(start: int) -> None:
        nonlocal offset
        if offset and start:
            breaks.append(start)
        offset = 0

    def place(start: int, end: int, level: int) -> None:
        nonlocal offset
        word = text[start:end]
        length = cell_len(word.rstrip())
        if width - offset >= length:  # fits on this line
            offset += cell_len(word)
            return
        if length <= width:  # fits on the next
            new_line(start)
            offset = cell_len(word)
            return
        for finer in range(level + 1, _IF_FOLDED + 1):  # wider than a line: break it finer
            cuts = [i for i in range(start + 1, end) if classes[i] == finer]
            if not cuts:
                continue
            if finer == _IF_FOLDED:
                if not fold:
                    break
                new_line(start)  # a folded word starts a line, as in Rich
            for piece in zip([start, *cuts], [*cuts, end]):
                place(*piece, finer)
            return
        if fold:  # not a break left: cut at any cell, as Rich does
            for n, line in enumerate(chop_cells(word, width)):
                if n:
                    breaks.append(start)
                else:
                    new_line(start)
                start += len(line)
                offset = cell_len(line)
            return
        new_line(start)  # to be cropped
        offset = length

    place(0, len(text), _NEVER)
    return tuple(breaks)


def install() -> None:
    """Make Rich and Textual break lines by `divide_line`. Idempotent; call it once before
    anything is drawn. Textual's `Content` takes the function when it is first imported,
    so patching `rich._wrap` covers a later import, and an earlier one is patched here."""
    rich._wrap.divide_line = divide_line
    rich.text.divide_line = divide_line
    if "textual.content" in sys.modules:
        sys.modules["textual.content"].divide_line = divide_line
