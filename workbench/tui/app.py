"""The Workbench app: lessons, runs, saved models and text generation in one terminal.

Three modes, one screen each: lessons (pick, read, set up, run, anatomy), models
(inspect, delete) and generate (sample a saved LSTM). Nothing here imports TensorFlow at
import time: the first screen is drawn from the lesson declarations alone, and
TensorFlow is then imported in a background thread, so a run started a few seconds
later does not wait for it. While the app runs, native stderr is diverted
(`workbench.running.quiet`): TensorFlow's C++ logs never land on the screen.
"""

from __future__ import annotations

import dataclasses
import gc
import os
from pathlib import Path

from textual import work
from textual.app import App, ScreenStackError
from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import Screen

from workbench.i18n import language
from workbench.i18n.catalogue import tr
from workbench.i18n.language import DEFAULT as EN
from workbench.tui import preferences
from workbench.tui.commands import WorkbenchCommands
from workbench.tui.messages import BackendReady, post
from workbench.tui.screens.help import HelpScreen
from workbench.tui.screens.lesson import LessonScreen

DARK, LIGHT = "textual-dark", "textual-light"
# Textual's own word for ctrl+p in the footer: a message id too, translated with the rest.
PALETTE = tr(EN, "palette")


def localize_bindings(node: DOMNode, lang: str) -> None:
    """Show `node`'s key descriptions (footer, palette) in `lang`. A Binding's description
    is static, and is the English message id: the node's bindings are replaced by copies
    whose description is its translation; the English is kept to translate again."""
    if getattr(node, "_bindings_lang", EN) == lang:
        return
    english = node.__dict__.setdefault("_bindings_english", {})
    for key, bindings in node._bindings.key_to_bindings.items():
        node._bindings.key_to_bindings[key] = [
            dataclasses.replace(binding, description=tr(lang, english.setdefault(
                (key, binding.action), binding.description)) if binding.description else "")
            for binding in bindings]
    node._bindings_lang = lang
    try:
        node.refresh_bindings()  # the footer draws them again
    except ScreenStackError:  # the app before its first screen: nothing drawn yet
        pass


# The screens not on the first frame are imported when first shown: their modules (and the
# plot widgets the Runs screen brings, plotext among them) would only delay it.
def models_screen() -> Screen:
    from workbench.tui.screens.models import ModelsScreen

    return ModelsScreen()


def generate_screen() -> Screen:
    from workbench.tui.screens.generate import GenerateScreen

    return GenerateScreen()


def runs_screen() -> Screen:
    from workbench.tui.screens.runs import RunsScreen

    return RunsScreen()


def initial_language() -> str:
    """WORKBENCH_LANG when set; else the learner's last choice in the app; else the locale."""
    if os.environ.get(language.ENV):
        return language.resolve()
    remembered = preferences.load().get("lang")
    return remembered if remembered in language.LANGUAGES else language.from_locale()


class WorkbenchApp(App):
    TITLE = "Keras Workbench"
    CSS_PATH = Path(__file__).with_name("workbench.tcss")  # absolute: subclasses live elsewhere
    SCREENS = {"lessons": LessonScreen, "models": models_screen, "generate": generate_screen,
               "runs": runs_screen}
    MODES = {"lessons": "lessons", "models": "models", "generate": "generate", "runs": "runs"}
    DEFAULT_MODE = "lessons"
    COMMANDS = App.COMMANDS | {WorkbenchCommands}
    # Descriptions are English message ids (`tr(EN, ...)` marks them for the catalogue),
    # shown in the app's language: `localize_bindings`, for the app and every screen.
    BINDINGS = [
        Binding("l", "open_lessons", tr(EN, "Lessons")),
        Binding("m", "switch_mode('models')", tr(EN, "Models")),
        Binding("h", "switch_mode('runs')", tr(EN, "Runs")),
        Binding("g", "open_generate", tr(EN, "Generate")),
        Binding("t", "toggle_theme", tr(EN, "Light/dark theme"), show=False),
        Binding("ctrl+l", "toggle_language", tr(EN, "English / Chinese: the app's language"),
                show=False),
        Binding("question_mark", "help", tr(EN, "Keys")),
        Binding("q", "quit", tr(EN, "Quit")),
    ]

    def __init__(self, models_dir: str | None = None, *, preload_tensorflow: bool = True,
                 workers: int | None = None) -> None:
        super().__init__()
        from workbench.i18n import line_breaking

        line_breaking.install()  # Chinese lines break between characters, never before a comma
        self.models_dir = models_dir
        self.preload_tensorflow = preload_tensorflow
        self.cluster_workers = workers  # each run across this many processes (tui.child_run)
        self.lang = initial_language()
        self.tensorflow_version: str | None = None
        self.backend_error: str | None = None

    def get_screen(self, screen):
        """Every screen, the moment the app first uses it, speaks the app's language."""
        found = super().get_screen(screen)
        if isinstance(found, Screen):
            localize_bindings(found, self.lang)
        return found

    def localize(self) -> None:
        """The keys' descriptions of the app and of each screen made so far, in `lang`."""
        localize_bindings(self, self.lang)
        screens = [s for s in self._installed_screens.values() if isinstance(s, Screen)]
        for screen in {*screens, *self.screen_stack}:
            localize_bindings(screen, self.lang)

    def on_mount(self) -> None:
        self.localize()
        self._show_backend()

    def on_ready(self) -> None:
        """The first frame is on screen: now what it did without."""
        gc.enable()  # `workbench` turns the cycle collector off until this frame (cli.main)
        self.lesson_screen.after_first_frame()
        if self.preload_tensorflow:
            # Not before: the import takes seconds, and its thread would contend for the
            # interpreter with the first frame's work.
            self._load_tensorflow()

    @work(thread=True, group="tensorflow", exit_on_error=False)
    def _load_tensorflow(self) -> None:
        from workbench.running.quiet import import_tensorflow

        try:
            tf = import_tensorflow()
        except Exception as exc:  # noqa: BLE001  (a run would then say why, in one line)
            post(self, BackendReady(None, str(exc)))
        else:
            post(self, BackendReady(tf.__version__))

    def on_backend_ready(self, message: BackendReady) -> None:
        self.tensorflow_version, self.backend_error = message.version, message.error
        self._show_backend()

    def _show_backend(self) -> None:
        """The header's second line: TensorFlow's version once loaded (or why it did not),
        and, with `--workers N`, that each run goes across N worker processes."""
        parts = []
        if self.backend_error:
            parts.append(tr(self.lang, "TensorFlow failed to load: {error}", error=self.backend_error))
        elif self.tensorflow_version:
            parts.append(f"TensorFlow {self.tensorflow_version}")
        elif self.preload_tensorflow:
            parts.append(tr(self.lang, "loading TensorFlow…"))
        if self.cluster_workers:
            parts.append(tr(self.lang, "each run across {workers} worker processes",
                            workers=self.cluster_workers))
        self.sub_title = " · ".join(parts)

    # -- actions the screens and the palette share ---------------------------------------
    @property
    def lesson_screen(self) -> LessonScreen:
        return self.get_screen("lessons")

    async def action_open_lessons(self) -> None:
        """`l`: the lessons screen, with the focus on the lesson list (from any screen)."""
        await self.switch_mode("lessons")
        self.lesson_screen.query_one("#lessons").focus()

    async def show_runs(self, run_ids: list[int]) -> None:
        """The Runs screen with these runs marked (a path's comparison)."""
        runs = self.get_screen("runs")
        runs.marked = list(run_ids)
        await self.switch_mode("runs")

    async def open_lesson(self, lesson_id: str) -> None:
        await self.switch_mode("lessons")
        self.lesson_screen.select_lesson(lesson_id)

    async def lesson_action(self, action: str) -> None:
        await self.switch_mode("lessons")
        await self.lesson_screen.run_action(action)

    async def open_generate(self, path: str | None = None) -> None:
        screen = self.get_screen("generate")
        screen.choose(path)
        await self.switch_mode("generate")
        screen.action_reload()

    async def action_open_generate(self) -> None:
        await self.open_generate(None)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_toggle_language(self) -> None:
        """Notes and explanatory log lines in the other language, remembered for next time."""
        self.lang = "zh" if self.lang == "en" else "en"
        preferences.remember(lang=self.lang)
        self.localize()
        self._show_backend()
        for screen in {self.lesson_screen, *self.screen_stack}:  # whichever are open
            if hasattr(screen, "show_language"):
                screen.show_language()
        self.notify(language.LANGUAGES[self.lang], timeout=2)

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT if self.current_theme.dark else DARK

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        # Textual saves into the Downloads folder, which servers and containers often lack.
        self.deliver_screenshot(filename, path or os.getcwd())

    async def action_quit(self) -> None:
        self.stop_work()
        self.exit()

    def stop_work(self) -> None:
        """Ask every thread that can be asked to stop: the run (at its next batch) and the
        text generation (at its next chunk). The runner then saves nothing."""
        self.lesson_screen.stop_run()
        self.get_screen("generate").action_stop()


DEBUG_LOG = "workbench-app.log"


def run_app(models_dir: str | None = None, workers: int | None = None) -> None:
    from workbench.running.quiet import DEBUG, native_stderr_diverted

    # In the middle of a drawn screen, C++ log lines would garble it: always divert them,
    # to a log file when debugging.
    try:
        with native_stderr_diverted(str(Path(DEBUG_LOG).resolve()) if DEBUG else os.devnull):
            WorkbenchApp(models_dir=models_dir, workers=workers).run()
    finally:
        gc.enable()  # off until the first frame (cli.main); an app that ended before it too
