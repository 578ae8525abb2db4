"""The Workbench app: the lesson list and each lesson's notes.

Running lessons, the models and generate screens arrive with the app issue; until then
the app points at the headless `workbench run` for lessons that are built.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.widgets import Footer, Header, ListItem, ListView, Label, Markdown

from workbench import registry


class WorkbenchApp(App):
    TITLE = "Keras Workbench"
    CSS = """
    #lessons { width: 34; border-right: solid $accent; }
    #notes { padding: 0 2; }
    """
    BINDINGS = [("q", "quit", "Quit")]

    def __init__(self, models_dir: str | None = None):
        super().__init__()
        self.models_dir = models_dir
        self.lessons = registry.lessons()

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            yield ListView(*[ListItem(Label(self._label(l)), id=f"lesson-{l.id}") for l in self.lessons],
                           id="lessons")
            yield Markdown(id="notes")
        yield Footer()

    @staticmethod
    def _label(lesson) -> str:
        return f"{lesson.title}" + ("" if lesson.built else " (not built yet)")

    def on_mount(self) -> None:
        self.query_one("#lessons", ListView).focus()
        self._show(self.lessons[0])

    def on_list_view_highlighted(self, event: ListView.Highlighted) -> None:
        if event.item is not None:
            self._show(registry.get(event.item.id.removeprefix("lesson-")))

    def _show(self, lesson) -> None:
        if lesson.built:
            text = lesson.notes + f"\n\n---\n\nRun it: `workbench run {lesson.id}`"
        else:
            text = f"# {lesson.title}\n\n{lesson.summary}\n\n*Not built yet.*"
        self.query_one("#notes", Markdown).update(text)


def run_app(models_dir: str | None = None) -> None:
    WorkbenchApp(models_dir=models_dir).run()
