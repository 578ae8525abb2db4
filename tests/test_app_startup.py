"""What the app leaves until its first frame is on screen (issue #30).

The first frame must come long before TensorFlow could be imported: these tests guard
the deferrals that make it so, by what a fresh process has imported when Textual reports
the first frame (`events.Ready`), never by timing anything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from markdown_it import MarkdownIt

from workbench import registry
from workbench.i18n.language import LANGUAGES
from workbench.tui import preferences

# Modules the first frame has no use for, each imported later by whatever needs it.
DEFERRED = (
    "tensorflow", "keras", "h5py",  # a run, the anatomy, the backend's version
    "numpy",  # a run, the exercises' checks (the lessons' declarations do without)
    "plotext", "textual_plotext", "workbench.tui.widgets.curves",  # the Run tab's plots
    "wrapt",  # once the keras hook's tool: workbench.__init__ now does without
    "workbench.tui.screens.models", "workbench.tui.screens.generate",
    "workbench.tui.screens.runs",  # screens not shown first
    "markdown_it", "pygments", "textual.widgets._markdown",  # the Notes tab's Markdown
    "workbench.tui.widgets.run_panel", "rich.progress",  # the Run tab's panel
    "workbench.tui.widgets.param_form", "workbench.tui.widgets.anatomy_view",  # made after it
    "workbench.tui.widgets.exercises_view", "workbench.tui.screens.confirm",  # made on first use
    "workbench.tui.screens.choice",
)
# What the Chinese app no longer needs once it has read its catalogues (kept parsed between
# launches: workbench.i18n.catalogue_cache): Babel, and the `_strptime` its .po header dates bring.
PARSING_CATALOGUES = ("babel", "_strptime")
# Pygments' guess at a code block's language loads every lexer it has (hundreds of
# modules); a block that names its language loads one.
MOST_LEXER_MODULES = 10

FIRST_FRAME = """
import json, os, sys
from workbench.tui.app import WorkbenchApp

class Probe(WorkbenchApp):
    def on_ready(self):
        self.seen = {"imported": [m for m in sys.argv[1:] if m in sys.modules],
                     "screen": self.screen.id}
        self.set_interval(0.05, self.notes_drawn)

    def notes_drawn(self):
        # Then, once the notes are on their tab: how many lexers they brought.
        drawing = self.screen._notes_update
        if drawing is None or not drawing.is_done:
            return
        lexers = [m for m in sys.modules if m.startswith("pygments.lexers.")]
        print(json.dumps({**self.seen, "lexer_modules": len(lexers)}), flush=True)
        os._exit(0)  # the app would run on

# No TensorFlow import after the frame: nothing here needs it, and its thread mutes fd 2,
# where an error of the app's would be said.
Probe(models_dir=None, preload_tensorflow=False).run(headless=True, size=(120, 40))
"""


def first_frame_imports(modules=DEFERRED, **env: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", FIRST_FRAME, *modules], capture_output=True,
                          text=True, timeout=120, env={**os.environ, **env})
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("lesson", [lesson.id for lesson in registry.lessons()])
def test_the_first_frame_imports_nothing_it_does_not_show(lesson):
    preferences.remember(lesson=lesson)  # the screen opens on the lesson left last time
    seen = first_frame_imports()
    assert seen["screen"] == "lesson-screen"
    assert seen["imported"] == []
    assert seen["lexer_modules"] <= MOST_LEXER_MODULES


def test_the_chinese_first_frame_reads_its_catalogues_without_parsing_them_again(tmp_path):
    env = {"WORKBENCH_LANG": "zh", "WORKBENCH_CACHE_DIR": str(tmp_path)}
    first = first_frame_imports(DEFERRED + PARSING_CATALOGUES, **env)
    assert set(first["imported"]) == set(PARSING_CATALOGUES)  # a first launch parses them
    again = first_frame_imports(DEFERRED + PARSING_CATALOGUES, **env)
    assert again["imported"] == []


def notes_code_blocks(markdown: str):
    """(kind, language, first line) of each code block: kind `fence` (```) or
    `code_block` (indented, which can name no language)."""
    for token in MarkdownIt("gfm-like").parse(markdown):  # as the app's Markdown widget parses
        if token.type in ("fence", "code_block"):
            yield token.type, token.info.strip(), token.map[0] + 1


@pytest.mark.parametrize("lang", list(LANGUAGES))
@pytest.mark.parametrize("lesson", registry.lessons(), ids=lambda lesson: lesson.id)
def test_every_code_block_in_the_notes_names_its_language(lesson, lang):
    """A block without a language (```, or indented) has Pygments guess it, every lexer
    tried in turn: tenths of a second before the lesson screen is drawn."""
    unnamed = [f"line {line}: {kind}" for kind, language, line in notes_code_blocks(lesson.notes_in(lang))
               if kind != "fence" or not language]
    assert unnamed == [], f"{lesson.id} notes ({lang}): give each block a language (```text, ```python)"


async def test_a_run_asked_for_before_the_first_form_is_on_screen_is_deferred_not_a_crash(tmp_path):
    """The first form comes just after the first frame; ctrl+r or enter on a path
    experiment in that moment says to press again."""
    from tests.test_app import make_app

    app = make_app(tmp_path / "models")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        lesson = app.screen.lesson.id
        await app.screen.query_one(f"#form-{lesson}").remove()  # as in that moment
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert app.screen.active_run is None
        assert [n.message for n in app._notifications][-1] == "Starting up; press r again"
        app.screen.reset_form()  # Defaults: nothing to reset yet, and no error
        app.screen.after_first_frame()  # the moment passes
        await pilot.pause()
        assert app.screen.form_ready()


def test_workbench_opens_the_app_with_the_cycle_collector_off_and_it_is_on_again_after(monkeypatch):
    import gc

    from workbench.cli import main as cli
    from workbench.tui import app as app_module

    seen, run_app = [], app_module.run_app
    monkeypatch.setattr(app_module, "run_app", lambda **kwargs: seen.append(gc.isenabled()))
    try:
        assert cli.main([]) == 0
        assert seen == [False]
    finally:
        gc.enable()  # the stand-in for the app does not turn it back on; the real one does

    def fails_to_start(self):
        assert not gc.isenabled()
        raise RuntimeError("no terminal")

    monkeypatch.setattr(app_module.WorkbenchApp, "run", fails_to_start)
    gc.disable()
    with pytest.raises(RuntimeError, match="no terminal"):
        run_app()
    assert gc.isenabled()  # an app that ends before its first frame turns it back on too


async def test_the_first_frame_turns_the_cycle_collector_back_on(tmp_path):
    import gc

    from tests.test_app import make_app

    gc.disable()
    try:
        app = make_app(tmp_path / "models")
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            assert gc.isenabled()
    finally:
        gc.enable()
