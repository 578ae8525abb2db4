"""Notes in Chinese and English: both files for every lesson, the same sections, figures
and numbers; the language chosen by flag, environment, locale or the app's key."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from rich.console import Console
from rich.markdown import Markdown

from conftest import one_line_error, run_cli
from workbench import registry
from workbench.cli.progress import ConsoleView
from workbench.course import notes_figures
from workbench.i18n import language
from workbench.running import events
from workbench.tui import preferences

LESSONS = sorted(p.parent for p in Path(registry.__file__).parents[1].joinpath("lessons").glob("*/notes.md"))
NUMBER = re.compile(r"\d+(?:\.\d+)?")


def shape(text: str) -> dict:
    """What must match between the two languages: headings by level, bold and italic
    spans, list items, tables, code (byte for byte, in any order: sentences are ordered
    differently in Chinese) and every number."""
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    inline = [child for t in tokens for child in (t.children or [])]
    return {
        "headings": [t.tag for t in tokens if t.type == "heading_open"],
        "strong": sum(c.type == "strong_open" for c in inline),
        "em": sum(c.type == "em_open" for c in inline),
        "items": sum(t.type == "list_item_open" for t in tokens),
        "table rows": sum(t.type == "tr_open" for t in tokens),
        "code": sorted([c.content for c in inline if c.type == "code_inline"]
                       + [t.content for t in tokens if t.type in ("code_block", "fence")]),
        "numbers": sorted(NUMBER.findall(text)),
    }


@pytest.mark.parametrize("folder", LESSONS, ids=lambda p: p.name)
def test_every_lesson_has_its_notes_in_both_languages_with_the_same_structure(folder):
    english = (folder / "notes.md").read_text(encoding="utf-8")
    chinese_file = folder / "notes.zh.md"
    assert chinese_file.exists(), f"{folder.name} has no notes.zh.md"
    chinese = chinese_file.read_text(encoding="utf-8")
    assert re.search("[\u4e00-\u9fff]", chinese)
    assert shape(chinese) == shape(english)
    # Generated figures: one rendering, the same block in both files.
    if notes_figures.BEGIN in english:
        block = re.compile(re.escape(notes_figures.BEGIN) + ".*?" + re.escape(notes_figures.END), re.S)
        assert block.search(chinese).group(0) == block.search(english).group(0)


def test_the_registry_gives_each_lesson_its_notes_in_the_language_asked():
    for lesson in registry.lessons():
        if lesson.id == "hello":  # the example plug-in pack is English only: it falls back
            assert lesson.notes_in("zh") == lesson.notes
            continue
        assert lesson.notes_in("en") == lesson.notes
        assert lesson.notes_in("zh") == language.spaced(lesson.notes_zh) != lesson.notes


def test_the_figures_staleness_check_reads_both_files(tmp_path):
    (tmp_path / "notes.md").write_text(f"# A\n{notes_figures.BEGIN}\n1\n{notes_figures.END}\n")
    (tmp_path / "notes.zh.md").write_text(f"# 甲\n{notes_figures.BEGIN}\n1\n{notes_figures.END}\n")
    assert notes_figures.is_fresh(tmp_path / "notes.md", lambda: "1")
    (tmp_path / "notes.zh.md").write_text(f"# 甲\n{notes_figures.BEGIN}\n2\n{notes_figures.END}\n")
    assert not notes_figures.is_fresh(tmp_path / "notes.md", lambda: "1")


def test_the_language_comes_from_the_flag_then_the_environment_then_the_locale(monkeypatch):
    for variable in (language.ENV, "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(variable, raising=False)
    assert language.resolve() == "en"
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert language.resolve() == "zh"
    monkeypatch.setenv("LC_ALL", "en_GB.UTF-8")  # LC_ALL outranks LANG, as in POSIX
    assert language.resolve() == "en"
    monkeypatch.setenv(language.ENV, "zh")
    assert language.resolve() == "zh"
    assert language.resolve("EN") == "en"
    with pytest.raises(language.BadInput, match="^--lang must be one of en, zh; got 'fr'$"):
        language.resolve("fr")
    monkeypatch.setenv(language.ENV, "de")
    with pytest.raises(language.BadInput, match="^WORKBENCH_LANG must be one of en, zh; got 'de'$"):
        language.resolve()


def test_numbers_and_english_terms_in_chinese_text_are_never_cut_by_wrapping():
    text = "测试准确率为0.98333333，用`--set k=1`试试，合页损失（hinge loss）在这里"
    assert language.spaced(text) == "测试准确率为 0.98333333，用 `--set k=1` 试试，合页损失 (hinge loss) 在这里"
    # Every lesson's Chinese notes, drawn at 60 and 100 columns: each number of the prose whole.
    for lesson in registry.lessons():
        if not lesson.notes_zh:
            continue
        source = lesson.notes_in("zh")
        for width in (60, 100):
            console = Console(width=width, file=io.StringIO(), record=True)
            console.print(Markdown(source))
            drawn = console.export_text()
            # The prose's numbers (the figures block is a table, squeezed as tables are).
            prose = notes_figures.with_figures(source, "") if notes_figures.BEGIN in source else source
            wanted = [n for n in NUMBER.findall(prose) if len(n) > 1]
            lines = " ".join(drawn.splitlines())
            for number in set(wanted):
                assert re.search(rf"(?<![\d.]){re.escape(number)}(?![\d])", lines), (lesson.id, width, number)


def test_log_lines_are_shown_in_the_learners_language(tmp_path):
    from tests.test_guide import write_catalogue
    from workbench.i18n.catalogue import Catalogue

    write_catalogue(tmp_path / "zh" / "LC_MESSAGES" / "messages.po",
                    {"test accuracy {accuracy:.4f}": "测试准确率{accuracy:.4f}"})
    line = events.Log.worded(Catalogue(tmp_path).everywhere("test accuracy {accuracy:.4f}",
                                                            accuracy=0.98331))
    assert line.in_language("en") == "test accuracy 0.9833"
    assert line.in_language("zh") == "测试准确率 0.9833"  # spaced: the number is a word of its own
    assert events.Log("only English").in_language("zh") == "only English"
    stream = io.StringIO()
    ConsoleView(stream=stream, lang="zh")(line)
    assert stream.getvalue().strip() == "测试准确率 0.9833"


def test_show_and_run_take_lang_and_refuse_an_unknown_one(tmp_path):
    shown = run_cli("show", "knn", "--lang", "zh", env={"COLUMNS": "100"})
    assert shown.returncode == 0 and "k 近邻" in shown.stdout and "最近邻" in shown.stdout
    by_locale = run_cli("show", "linear", env={"WORKBENCH_LANG": "", "LC_ALL": "", "LANG": "zh_CN.UTF-8"})
    assert "线性分类器" in by_locale.stdout
    english = run_cli("show", "linear", env={"WORKBENCH_LANG": "", "LC_ALL": "", "LANG": "C.UTF-8"})
    assert "Linear classifiers" in english.stdout
    bad = run_cli("run", "knn", "--lang", "fr", "--models-dir", str(tmp_path))
    assert bad.returncode == 2
    assert one_line_error(bad) == "workbench: error: --lang must be one of en, zh; got 'fr'"
    assert list(tmp_path.iterdir()) == []


def test_preferences_survive_a_corrupt_file(tmp_path, monkeypatch):
    monkeypatch.setenv(preferences.ENV, str(tmp_path))
    assert preferences.load() == {}
    preferences.path().write_text("{not json")
    assert preferences.load() == {}
    preferences.remember(lang="zh")
    assert preferences.load() == {"lang": "zh"}
    assert [p.name for p in tmp_path.iterdir()] == ["preferences.json"]  # no temporary file left
