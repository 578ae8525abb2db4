"""Chinese wrapped as Chinese is set: no line begins with a closing mark (，。、；：！？）」』】》
and the like), and identifiers, numbers and formulas are never cut where they fit, in the
CLI's Rich output and the app's Textual widgets alike; English is wrapped as before."""

from __future__ import annotations

import io
import re
from collections import Counter

import pytest
import rich._wrap
import rich.text
import textual.content
from rich.cells import cell_len
from rich.console import Console
from rich.markdown import Markdown
from rich.text import Text
from textual.app import App
from textual.content import Content
from textual.geometry import Region
from textual.widgets import Markdown as MarkdownWidget

from workbench import registry
from workbench.i18n import catalogue



from workbench.i18n import language
from workbench.i18n import line_breaking

WIDTHS = range(30, 101)
CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"
CLOSERS = "，。、；：！？）］｝〕〉》」』】”’…—"
CLOSERS_AMONG_CHINESE = ",.;:!?)%"  # ASCII ones: in a line of Chinese only
TOKEN = re.compile(r"(?<![\w.])(?:[A-Za-z_][A-Za-z0-9_]{3,}|\d+(?:[.,]\d+)+|\d{2,})(?![\w])")
UNBREAKABLE = re.compile(f"[^\\s{CJK}]+[{CLOSERS}]*")  # a Latin word and the marks it keeps
DECORATION = " \t•·│┃▌▎╭╮╰╯─━"  # bullets, quote bars, table and panel borders


@pytest.fixture
def installed(monkeypatch):
    """The Chinese rules, for this test only: other tests see what the CLI or app set."""
    for module in (rich._wrap, rich.text, textual.content):
        monkeypatch.setattr(module, "divide_line", module.divide_line)
    line_breaking.install()
    assert rich.text.divide_line is textual.content.divide_line is line_breaking.divide_line, "not installed"


def chinese_texts() -> list[str]:
    """The engine's catalogue and every lesson's (titles, path steps, claims, exercises,
    log lines): in Chinese, spaced as shown."""
    # (A fragment that goes after another text, "；运行会替换…", is measured from its words.)
    catalogues = [catalogue.ENGINE] + [lesson.texts for lesson in registry.lessons()]
    return [language.spaced(text.lstrip(CLOSERS)) for texts in catalogues
            for text in texts.translations("zh").values()]


def chinese_notes() -> list[str]:
    return [lesson.notes_in("zh") for lesson in registry.lessons() if lesson.notes_zh]


def drawn(renderable, width: int) -> list[str]:
    console = Console(width=width, file=io.StringIO(), record=True, highlight=False)
    console.print(renderable)
    return console.export_text().splitlines()


def bad_starts(lines: list[str]) -> list[str]:
    """Lines that begin with a closing mark."""
    def bad(line: str) -> bool:
        first = line.lstrip(DECORATION)[:1]
        if not first:
            return False
        return first in CLOSERS or (first in CLOSERS_AMONG_CHINESE and bool(re.search(f"[{CJK}]", line)))
    return [line for line in lines if bad(line)]


def cut_tokens(lines: list[str], whole: list[str], width: int) -> list[str]:
    """Identifiers and numbers of `whole` (the same text drawn too wide to wrap) whose
    word, with the closing marks it keeps, fits `width` with room for indentation, but
    that are missing, or doubled, in `lines`."""
    wanted = Counter(token for line in whole for word in UNBREAKABLE.findall(line)
                     if cell_len(word) <= width - 8 for token in TOKEN.findall(word))
    found = Counter(token for line in lines for token in TOKEN.findall(line))
    return sorted(token for token in wanted if found[token] < wanted[token])


def without_tables(notes: str) -> str:
    """Table cells are as narrow as the table makes them: a number may fold there."""
    return "\n".join(line for line in notes.splitlines() if not line.startswith("|"))


def problems(text_widths=WIDTHS, note_widths=WIDTHS) -> tuple[int, int]:
    """(lines starting with a closing mark, identifiers or numbers cut) over every Chinese
    text and note, drawn by Rich at each width."""
    starts = cuts = 0
    cases = [(Text(t), Text(t), text_widths) for t in chinese_texts() if cell_len(t) > text_widths[0]]
    cases += [(Markdown(n), Markdown(without_tables(n)), note_widths) for n in chinese_notes()]
    for renderable, untabled, widths in cases:
        whole = drawn(untabled, 1000)  # what may not be cut: the prose's, not the tables'
        for width in widths:
            lines = drawn(renderable, width)
            starts += len(bad_starts(lines))
            cuts += len(cut_tokens(lines, whole, width))
    return starts, cuts


def test_no_chinese_line_starts_with_a_closing_mark_nor_cuts_a_word_in_rich(installed):
    # Before the rules, at every width from 30 to 100: 1535 lines began with a closing
    # mark (465 in the short texts, 1070 in the notes) and 840 identifiers or numbers
    # were cut.
    assert problems(note_widths=range(30, 101, 3)) == (0, 0)


def test_textual_content_wraps_the_same_way(installed):
    for text in chinese_texts():
        whole = [text]
        for width in range(30, 101, 7):
            lines = [line.plain for line in Content(text).wrap(width)]
            assert not bad_starts(lines), (width, lines)
            assert not cut_tokens(lines, whole, width), (width, lines)


class Notes(App):
    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def compose(self):
        yield MarkdownWidget(self.text)


@pytest.mark.parametrize("size", [(100, 30), (160, 48)])
async def test_the_apps_markdown_notes_break_chinese_lines_by_the_rules(installed, size):
    app = Notes("\n\n".join(chinese_notes()))  # all of them: at 100 columns, 4 lines went wrong
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        lines = []
        for block in app.query("MarkdownParagraph, MarkdownHeader"):
            width, height = block.size
            lines += [strip.text for strip in block.render_lines(Region(0, 0, width, height))]
        assert sum(bool(re.search(f"[{CJK}]", line)) for line in lines) > 300
        assert not bad_starts(lines)


def test_closing_marks_stay_with_the_character_before_and_opening_ones_with_the_next():
    text = "甲乙丙丁，戊己（庚辛）。"
    for width in range(2, 2 * len(text) + 1):  # in cells: each character is two
        offsets = line_breaking.divide_line(text, width)
        lines = [text[a:b] for a, b in zip([0, *offsets], [*offsets, len(text)])]
        assert all(cell_len(line) <= width or len(line) == 1 for line in lines)
        if width >= 6:  # room for a character and the marks it keeps: 辛）。
            assert not any(line[0] in "，）。" for line in lines), (width, lines)
            assert not any(line[-1] == "（" for line in lines), (width, lines)


FORMULA = "||a - b||^2 = ||a||^2 - 2 a.b + ||b||^2"


def test_identifiers_numbers_and_formulas_stay_whole_when_they_fit():
    text = language.spaced(f"先用compute_distances_no_loops算出距离，再看0.98333333，当k = 1时，{FORMULA}。")
    for width in range(30, 60):
        offsets = line_breaking.divide_line(text, width)
        lines = [text[a:b] for a, b in zip([0, *offsets], [*offsets, len(text)])]
        joined = "\n".join(lines)
        for whole in ("compute_distances_no_loops", "0.98333333", "k = 1", FORMULA):
            if cell_len(whole + "。") <= width:
                assert whole in joined, (width, lines)
    # A formula wider than the line is broken at its spaces, not inside a term.
    offsets = line_breaking.divide_line(text, 24)
    words = " ".join(text[a:b] for a, b in zip([0, *offsets], [*offsets, len(text)])).split()
    assert set(FORMULA.split()[1:-1]) <= set(words)


def test_a_count_and_a_path_after_it_are_no_formula_the_line_breaks_between_them():
    """A slash between words is no operator: "已通过 3/3   /tmp/.../knn.py" that does not fit
    breaks before the path, keeping the count with its words."""
    path = "/tmp/pytest-of-someone/pytest-294/test_the_exercises_tab_0/ws/knn.py"
    text = f"已通过 3/3   {path}"
    for width in range(cell_len(path), cell_len(text)):
        offsets = line_breaking.divide_line(text, width)
        assert [text[a:b] for a, b in zip([0, *offsets], [*offsets, len(text)])] == ["已通过 3/3   ", path]
    # A slash between spaces still marks a formula, kept whole when it fits.
    formula = "速度是 images / seconds，"
    classes = line_breaking.break_classes(formula)
    assert classes[formula.index("/ sec")] == classes[formula.index("seconds")] == line_breaking._IF_TOO_LONG


def test_english_is_wrapped_exactly_as_rich_wraps_it():
    english = [lesson.notes for lesson in registry.lessons()] + [
        "compute_distances_no_loops is a very long identifier (k = 1), test accuracy 0.98333333."]
    original = line_breaking._rich_divide_line
    for text in english:
        for line in text.splitlines():
            for width in (1, 7, 30, 61, 100):
                assert line_breaking.divide_line(line, width) == original(line, width)
                assert line_breaking.divide_line(line, width, False) == original(line, width, False)


def test_install_reaches_textual_content_imported_before_it(installed):
    assert rich._wrap.divide_line is line_breaking.divide_line  # for an import after it
    assert [line.plain for line in Content("甲，乙，丙，丁，").wrap(6)] == ["甲，", "乙，", "丙，", "丁，"]
