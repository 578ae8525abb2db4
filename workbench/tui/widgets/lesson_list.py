"""The sidebar: every installed lesson, in course order."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Label, ListItem, ListView

from workbench.i18n.catalogue import tr
from workbench.registry import Lesson


class LessonItem(ListItem):
    def __init__(self, number: int, lesson: Lesson) -> None:
        super().__init__(id=f"lesson-{lesson.id}")
        self.number = number
        self.lesson = lesson

    def compose(self) -> ComposeResult:
        yield Label(self._title(), classes="lesson-title")
        yield Label(self.lesson.id, classes="lesson-state")

    def show_progress(self, passed: int, total: int) -> None:
        """The exercises passed, after the id: `knn 2/3`."""
        self.query_one(".lesson-state", Label).update(f"{self.lesson.id} {passed}/{total}")

    def _title(self) -> str:
        return f"{self.number}. {self.lesson.title_in(self.app.lang)}"

    def show_language(self) -> None:
        self.query_one(".lesson-title", Label).update(self._title())


class LessonList(ListView):
    """Highlighting an item selects the lesson (ListView.Highlighted carries the item)."""

    def __init__(self, lessons: tuple[Lesson, ...], *, highlighted: int = 0,
                 id: str | None = None) -> None:
        # `highlighted` from the start: a list that highlighted the first lesson and then
        # the remembered one would have the screen build the first lesson's form and path
        # too, before the first frame.
        super().__init__(*[LessonItem(i, lesson) for i, lesson in enumerate(lessons, 1)],
                         initial_index=highlighted, id=id)

    def on_mount(self) -> None:
        self.border_title = tr(self.app.lang, "Lessons")

    def show_language(self) -> None:
        """Titles in the app's language (after ctrl+l)."""
        self.border_title = tr(self.app.lang, "Lessons")
        for item in self.query(LessonItem):
            item.show_language()

    def show_progress(self, lesson_id: str, passed: int, total: int) -> None:
        for item in self.query(LessonItem):
            if item.lesson.id == lesson_id:
                item.show_progress(passed, total)

    def select_lesson(self, lesson_id: str) -> None:
        for index, item in enumerate(self.children):
            if isinstance(item, LessonItem) and item.lesson.id == lesson_id:
                self.index = index
                return
