"""The Workbench app: lessons, runs, saved models and text generation in one terminal.

Three modes, one screen each: lessons (pick, read, set up, run, anatomy), models
(inspect, delete) and generate (sample a saved LSTM). Nothing here imports TensorFlow at
import time: the first screen is drawn from the lesson declarations alone, and
TensorFlow is then imported in a background thread, so a run started a few seconds
later does not wait for it. While the app runs, native stderr is diverted
(`workbench.quiet`): TensorFlow's C++ logs never land on the screen.
"""

from __future__ import annotations

import os
from pathlib import Path

from textual import work
from textual.app import App
from textual.binding import Binding

from workbench import language, preferences
from workbench.tui.commands import WorkbenchCommands
from workbench.tui.messages import BackendReady, post
from workbench.tui.screens.generate import GenerateScreen
from workbench.tui.screens.help import HelpScreen
from workbench.tui.screens.lesson import LessonScreen
from workbench.tui.screens.models import ModelsScreen
from workbench.tui.screens.runs import RunsScreen

DARK, LIGHT = "textual-dark", "textual-light"


def initial_language() -> str:
    """WORKBENCH_LANG when set; else the learner's last choice in the app; else the locale."""
    if os.environ.get(language.ENV):
        return language.resolve()
    remembered = preferences.load().get("lang")
    return remembered if remembered in language.LANGUAGES else language.from_locale()


class WorkbenchApp(App):
    TITLE = "Keras Workbench"
    CSS_PATH = Path(__file__).with_name("workbench.tcss")  # absolute: subclasses live elsewhere
    SCREENS = {"lessons": LessonScreen, "models": ModelsScreen, "generate": GenerateScreen,
               "runs": RunsScreen}
    MODES = {"lessons": "lessons", "models": "models", "generate": "generate", "runs": "runs"}
    DEFAULT_MODE = "lessons"
    COMMANDS = App.COMMANDS | {WorkbenchCommands}
    BINDINGS = [
        Binding("l", "switch_mode('lessons')", "Lessons"),
        Binding("m", "switch_mode('models')", "Models"),
        Binding("h", "switch_mode('runs')", "Runs"),
        Binding("g", "open_generate", "Generate"),
        Binding("t", "toggle_theme", "Light/dark theme", show=False),
        Binding("ctrl+l", "toggle_language", "中文 / English: the notes' language", show=False),
        Binding("question_mark", "help", "Keys"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, models_dir: str | None = None, *, preload_tensorflow: bool = True) -> None:
        super().__init__()
        self.models_dir = models_dir
        self.preload_tensorflow = preload_tensorflow
        self.lang = initial_language()
        self.tensorflow_version: str | None = None

    def on_mount(self) -> None:
        if self.preload_tensorflow:
            self.sub_title = "loading TensorFlow…"
            # After the first frame is on screen, not before: the import takes seconds.
            self.call_after_refresh(self._load_tensorflow)

    @work(thread=True, group="tensorflow", exit_on_error=False)
    def _load_tensorflow(self) -> None:
        from workbench.quiet import import_tensorflow

        try:
            tf = import_tensorflow()
        except Exception as exc:  # noqa: BLE001  (a run would then say why, in one line)
            post(self, BackendReady(None, f"TensorFlow failed to load: {exc}"))
        else:
            post(self, BackendReady(tf.__version__))

    def on_backend_ready(self, message: BackendReady) -> None:
        self.tensorflow_version = message.version
        self.sub_title = message.error or f"TensorFlow {message.version}"

    # -- actions the screens and the palette share ---------------------------------------
    @property
    def lesson_screen(self) -> LessonScreen:
        return self.get_screen("lessons")

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
        self.lesson_screen.show_language()
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


def run_app(models_dir: str | None = None) -> None:
    from workbench.quiet import DEBUG, native_stderr_diverted

    # In the middle of a drawn screen, C++ log lines would garble it: always divert them,
    # to a log file when debugging.
    with native_stderr_diverted(str(Path(DEBUG_LOG).resolve()) if DEBUG else os.devnull):
        WorkbenchApp(models_dir=models_dir).run()
