"""The Exercises tab: a lesson's exercises with their status, the selected one's task and
last message; `e` edits the workspace file in $EDITOR, `c` checks, and saving the file
checks again by itself (its modification time is watched once a second).

Checks run in a thread worker through `workbench.course.exercises.check`, the same child
processes as `workbench check`; the widget is updated from the worker's results only."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Label, ListItem, ListView, Static

from workbench.course import exercises
from workbench.i18n.catalogue import tr
from workbench.i18n.language import DEFAULT as EN
from workbench.registry import Lesson


def progress(rows) -> tuple[int, int]:
    return sum(row.status == "pass" for row in rows), len(rows)


class ExerciseItem(ListItem):
    def __init__(self, row: exercises.Outcome, name: str) -> None:
        super().__init__(id=f"exercise-{name}")
        self.row, self.name_ = row, name

    def compose(self) -> ComposeResult:
        yield Label(self._text(), classes="exercise-line")

    def _text(self) -> str:
        word = exercises.status_word(self.row.status, getattr(self.app, "lang", EN))
        return f"{exercises.MARKS.get(self.row.status, '?')} {self.name_}  [dim]{escape(word)}[/dim]"

    def show(self, row: exercises.Outcome) -> None:
        self.row = row
        self.query_one(Label).update(self._text())


class ExercisesView(Vertical):
    DEFAULT_CSS = """
    ExercisesView {
        height: 100%;
    }
    .exercises-summary {
        height: auto;
        margin-bottom: 1;
    }
    .exercises-list {
        height: auto;
        max-height: 8;
        border: round $primary 50%;
    }
    .exercises-list:focus {
        border: round $primary;
    }
    .exercise-detail-scroll {
        height: 1fr;
    }
    """

    # Not in the footer (full at 100 columns): the tab says them in its first lines.
    BINDINGS = [Binding("e", "edit", tr(EN, "Edit the file in $EDITOR"), show=False),
                Binding("c", "check", tr(EN, "Check the exercises"), show=False)]

    class Checked(Message):
        """The lesson's exercises were checked (or listed): its progress changed."""

        def __init__(self, lesson_id: str, passed: int, total: int) -> None:
            super().__init__()
            self.lesson_id, self.passed, self.total = lesson_id, passed, total

    class ConfirmStart(Message):
        """Asks the learner before the workspace file is written: the screen puts up the
        yes/no question (a widget puts up no screen itself) and calls `answered` with the
        answer (True only for yes; False or None otherwise)."""

        def __init__(self, question: str, yes: str, no: str, answered) -> None:
            super().__init__()
            self.question, self.yes, self.no, self.answered = question, yes, no, answered

    def __init__(self, lesson: Lesson, folder: Path, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="exercises-view")
        self.lesson, self.folder = lesson, folder
        self.exercises = {e.name: e for e in exercises.lesson_exercises(lesson.id)}
        self.path = exercises.workspace_file(lesson.id, folder)
        self._seen_mtime = self._mtime()

    def compose(self) -> ComposeResult:
        yield Static("", classes="exercises-summary")
        yield ListView(*[ExerciseItem(row, row.id.split(".", 1)[1]) for row in self._rows()],
                       classes="exercises-list")
        with VerticalScroll(classes="exercise-detail-scroll"):
            yield Static("", classes="exercise-detail")

    def on_mount(self) -> None:
        self._show(self._rows())
        self.set_interval(1.0, self._watch_file)
        self.focus_list()  # made when its tab is opened: e and c work at once

    def focus_list(self) -> None:
        self.query_one(".exercises-list", ListView).focus()

    # -- what is shown ---------------------------------------------------------------------
    def _rows(self) -> list[exercises.Outcome]:
        return [row for row in exercises.listing(self.folder) if row.lesson == self.lesson.id]

    def _show(self, rows) -> None:
        for row in rows:
            self.query_one(f"#exercise-{row.id.split('.', 1)[1]}", ExerciseItem).show(row)
        self._rows_shown = rows
        self._summary(rows)
        self._describe()
        passed, total = progress(rows)
        if self.path.exists():  # a lesson not started shows no progress in the list
            self.post_message(self.Checked(self.lesson.id, passed, total))

    def _summary(self, rows) -> None:
        passed, total = progress(rows)
        lang = self.lang
        where = (escape(str(self.path)) if self.path.exists() else
                 tr(lang, "{path} does not exist yet: [b]e[/b] or [b]c[/b] writes it (after asking)",
                    path=escape(str(self.path))))
        self.query_one(".exercises-summary", Static).update(
            "[b]" + tr(lang, "{passed}/{total} passed", passed=passed, total=total) + f"[/b]   {where}\n"
            + tr(lang, "[b]e[/b] edit in {editor}   [b]c[/b] check   (saving the file checks again)",
                 editor=escape(_editor()[0])))

    @property
    def lang(self) -> str:
        return getattr(self.app, "lang", EN)

    def show_language(self) -> None:
        """Its own words in the app's language (after ctrl+l)."""
        if self.is_mounted and getattr(self, "_rows_shown", None) is not None:
            for item in self.query(ExerciseItem):
                item.show(item.row)
            self._summary(self._rows_shown)
            self._describe()

    @on(ListView.Highlighted)
    def _highlighted(self, event: ListView.Highlighted) -> None:
        event.stop()  # the lesson list's own highlight chooses lessons; this one does not
        self._describe()

    def _describe(self) -> None:
        items = self.query_one(".exercises-list", ListView)
        item = items.highlighted_child
        if not isinstance(item, ExerciseItem):
            return
        exercise = self.exercises[item.name_]
        lang = self.lang
        task = exercises.title_in(self.lesson.id, exercise, lang)
        message = (exercises.message_in(item.row.message, lang)
                   if item.row.status not in ("not started", "unchecked") else "")
        self.query_one(".exercise-detail", Static).update(
            f"[b]{escape(task)}[/b]  ({escape(exercises.status_word(item.row.status, lang))})\n"
            + (f"\n{escape(message)}\n" if message else "")
            + f"\n[dim]{escape(exercise.stub.strip())}[/dim]")

    # -- actions ---------------------------------------------------------------------------
    def action_check(self) -> None:
        self._ensure_started(self.check)

    def action_edit(self) -> None:
        self._ensure_started(self._edit)

    def _ensure_started(self, then) -> None:
        if self.path.exists():
            then()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                exercises.start(self.lesson.id, self.folder)
                self._seen_mtime = self._mtime()
                self._show(self._rows())
                then()

        lang = self.lang
        self.post_message(self.ConfirmStart(
            tr(lang, "Write [b]{path}[/b] with the stubs of the {count} exercises of {lesson}?",
               path=escape(str(self.path)), count=len(self.exercises),
               lesson=escape(self.lesson.title_in(lang))),
            yes=tr(lang, "Write"), no=tr(lang, "Not now"), answered=answered))

    def _edit(self) -> None:
        with self.app.suspend():
            subprocess.run([*_editor(), str(self.path)], check=False)
        self._watch_file()

    def _watch_file(self) -> None:
        mtime = self._mtime()
        if mtime != self._seen_mtime:
            self._seen_mtime = mtime
            if mtime is not None:
                self.check()

    def _mtime(self) -> float | None:
        try:
            return self.path.stat().st_mtime
        except OSError:
            return None

    @work(thread=True, exclusive=True, group="exercises")
    def check(self) -> None:
        self.app.call_from_thread(self._checking)
        try:
            exercises.check([self.lesson.id], self.folder)
        except Exception as exc:  # noqa: BLE001  (shown in place, one line)
            self.app.call_from_thread(self.query_one(".exercise-detail", Static).update, escape(str(exc)))
            return
        self.app.call_from_thread(self._show, self._rows())

    def _checking(self) -> None:
        self.query_one(".exercises-summary", Static).update(
            tr(self.lang, "checking {path}…", path=escape(str(self.path))))


def _editor() -> list[str]:
    return shlex.split(os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi")
