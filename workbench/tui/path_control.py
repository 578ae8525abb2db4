"""The lesson screen's guided path: the learner's marks on it, and each step done on enter.

`PathControl` is a mixin of `LessonScreen`, not a helper object, because a step acts on the
whole screen (a read step opens the notes at its section, an experiment fills the form and
runs it, a comparison opens the Runs screen) and because Textual finds the handlers here
(`on_path_view_perform`, `on_exercises_view_checked`, `watch_focused`) by name on the
screen. It relies on the screen for `lesson`, `form`, `action_tab`, `action_run` and
`running` (the last two from `RunControl`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.css.query import NoMatches

from workbench import registry
from workbench.course import exercises, guide
from workbench.course.wording import in_language
from workbench.drawing.numbers import app_wording
from workbench.i18n.catalogue import tr
from workbench.i18n.language import spaced
from workbench.registry import Lesson
from workbench.results import history
from workbench.tui.widgets.lesson_list import LessonList
from workbench.tui.widgets.path_view import PathView, StepList

if TYPE_CHECKING:
    from workbench.tui.widgets.exercises_view import ExercisesView


def plain_heading(text: str) -> str:
    """A heading as the reader sees it: code spans without their backticks, emphasis
    without its stars, brackets and spaces as `language.spaced` leaves them, one space."""
    text = spaced(text).replace("`", "").replace("**", "").replace("__", "")
    return " ".join(text.split())


def section_block(toc, heading: str, lang: str) -> str | None:
    """The block id of the notes' heading `heading` (as a path's read step names it, in the
    notes' own Markdown: `--set k=1` in a code span, full-width brackets), from a Markdown
    widget's `table_of_contents`; None when the notes have no such heading."""
    wanted = plain_heading(app_wording(heading, markdown=True) if "`" in heading else heading)
    wanted_loose = "".join(ch for ch in wanted.casefold() if ch.isalnum())
    loose = None
    for _, title, block_id in toc:
        shown = plain_heading(title)
        if shown == wanted:
            return block_id
        if loose is None and "".join(ch for ch in shown.casefold() if ch.isalnum()) == wanted_loose:
            loose = block_id
    return loose


class PathControl:
    """The path's marks (from the run history and the exercises' checks) and its steps."""

    # Set by the screen's __init__: the history (opened on first use), whether each
    # lesson's exercises all pass, and the notes being drawn (Markdown.update).
    _history: history.Guarded | None
    _passed: dict[str, bool]
    _notes_update: object | None

    # -- the learner's marks -------------------------------------------------------------
    @property
    def history(self) -> history.Guarded:
        """The run history of the app's models folder, opened on first use; a history that
        cannot be used is said once, and the app goes on without it."""
        if self._history is None:
            self._history = history.Guarded(
                history.open_history(self.app.models_dir),
                lambda reason: self.notify(tr(self.app.lang, "Run history not used: {reason}",
                                              reason=history.in_language(reason, self.app.lang)),
                                           severity="warning", timeout=8))
        return self._history

    def _show_progress(self) -> None:
        """Each lesson's path progress in the lesson list (`resnet 3/7`), and the path."""
        rows = exercises.listing(exercises.workspace())
        for lesson in self.lessons:
            own = [row for row in rows if row.lesson == lesson.id]
            self._passed[lesson.id] = bool(own) and all(row.status == "pass" for row in own)
            self._lesson_progress(lesson)
        self.show_path()

    def _states(self, lesson: Lesson) -> list[guide.StepState]:
        return guide.progress(lesson, self.history, self.app.lang,
                              exercises_passed=self._passed.get(lesson.id, False))

    def _lesson_progress(self, lesson: Lesson, states=None) -> None:
        states = self._states(lesson) if states is None else states
        if states:
            self.query_one(LessonList).show_progress(lesson.id, sum(s.done for s in states), len(states))

    def show_path(self, keep: int | None = None) -> None:
        """The current lesson's path with the learner's marks, from the history."""
        states = self._states(self.lesson)
        latest = self.history.latest_by_step(self.lesson.id)
        compared = {s.n: runs for s in states if (runs := guide.compared_runs(s, latest))}
        self.query_one(PathView).show(self.lesson.id, states, self.app.lang, compared, keep)
        self._lesson_progress(self.lesson, states)

    def on_exercises_view_checked(self, event: ExercisesView.Checked) -> None:
        self._passed[event.lesson_id] = event.total > 0 and event.passed == event.total
        if event.lesson_id == self.lesson.id:
            self.show_path(keep=self.query_one(PathView).steps_list.index + 1
                           if self.query_one(PathView).steps_list.index is not None else None)
        else:
            self._lesson_progress(registry.get(event.lesson_id))

    def watch_focused(self, focused) -> None:
        """The Path tab's hint names the keys that work where the focus is."""
        try:
            view = self.query_one(PathView)
        except NoMatches:
            return
        if focused is None:
            return
        if isinstance(focused, StepList):
            place = "steps"
        elif view in focused.ancestors:
            place = "detail"
        elif isinstance(focused, LessonList):
            place = "lessons"
        else:
            place = "elsewhere"
        if place != view.focus_place:
            view.show_hint(place)

    # -- doing a step ----------------------------------------------------------------------
    def on_path_view_perform(self, event: PathView.Perform) -> None:
        state, lesson = event.state, self.lesson
        step = state.step
        if isinstance(step, guide.Read):
            self.history.mark_done(lesson.id, state.n)
            self.show_path(keep=state.n + 1)
            self.action_tab("tab-notes")
            self.call_after_refresh(self._goto_section, lesson.section_in(self.app.lang, step.section))
        elif isinstance(step, guide.Predict):
            self._ask(lesson, state)
        elif isinstance(step, guide.Experiment):
            unanswered = next((s for s in self.query_one(PathView).states
                               if isinstance(s.step, guide.Predict) and s.answer is None
                               and s.step.settled_by == state.n), None)
            if unanswered is not None:  # the prediction it settles is asked before it runs
                self._ask(lesson, unanswered, then=lambda: self._run_step(state))
            else:
                self._run_step(state)
        elif isinstance(step, guide.Compare):
            self._compare(lesson, state)
        elif isinstance(step, guide.ExerciseStep):
            self.action_tab("tab-exercises")

    def _compare(self, lesson: Lesson, state: guide.StepState) -> None:
        """A comparison: its runs marked on the Runs screen (curves overlaid, numbers side by
        side), and the step done; or what to run first."""
        lang = self.app.lang
        latest = self.history.latest_by_step(lesson.id)
        runs = guide.compared_runs(state, latest)
        if not runs:
            missing = ", ".join(str(n) for n in state.step.steps if n not in latest)
            self.notify(tr(lang, "Nothing to compare yet: run step {steps} first (enter on it).",
                           steps=missing), severity="warning")
            return
        self.history.mark_done(lesson.id, state.n)
        self.show_path(keep=state.n)
        self.app.call_later(self.app.show_runs, [run.id for run in runs])
        self.notify(tr(lang, "Step {n}: runs {runs} marked on the Runs screen; escape comes back.",
                       n=state.n, runs=", ".join(f"#{run.id}" for run in runs)), title=tr(lang, "Path"))

    def _run_step(self, state: guide.StepState) -> None:
        if not self.form_ready():
            self.notify(tr(self.app.lang, "Starting up; press r again"), severity="warning")
            return
        self.form.set_values(dict(state.step.params))
        self.form.set_dataset(state.step.dataset_of(self.lesson))
        self.action_run(step=state.n)
        if self.running:  # the Run tab shows it; the focus goes along (a focused step
            self.query_one("#run-panel").focus()  # would bring its own tab back)

    def _ask(self, lesson: Lesson, state: guide.StepState, then=None) -> None:
        """A prediction's question; the answer is kept, then `then` (the run it settles)."""
        step, lang = state.step, self.app.lang
        if state.revealed:  # a prediction is made before its run, never after seeing it
            self.notify(tr(lang, "Step {n} has run: this prediction is settled (its score is "
                                 "in the step's text).", n=step.settled_by))
            return
        answers = in_language(step, lang).answers
        question = in_language(step, lang).question

        def answered(choice: int | None) -> None:
            if choice is None:
                return
            self.history.answer(lesson.id, state.n, choice)
            self.show_path(keep=step.settled_by)
            if then is not None:
                then()
            else:
                self.notify(tr(lang, "Noted. Step {n} settles it: enter runs it.", n=step.settled_by))

        from workbench.tui.screens.choice import ChoiceScreen

        self.app.push_screen(ChoiceScreen(question, tuple(answers)), answered)

    def _goto_section(self, heading: str, tries: int = 100) -> None:
        """Scroll the notes to `heading`, once the lesson's notes are drawn (another
        lesson's may still be on screen) and the tab just shown has been laid out."""
        def again() -> None:
            if tries:
                self.set_timer(0.03, lambda: self._goto_section(heading, tries - 1))

        scroll = self.query_one("#notes-scroll")
        if self._notes_update is None or not self._notes_update.is_done:
            return again()  # no notes yet (the first frame), or being drawn
        notes = self.query_one("#notes")
        # Markdown caches its table of contents when an update ends; an update that began
        # before (another lesson's notes, moments ago) can leave that lesson's there.
        notes._table_of_contents = None
        block_id = section_block(notes.table_of_contents or (), heading, self.app.lang)
        blocks = notes.query(f"#{block_id}") if block_id else ()
        laid_out = bool(blocks) and blocks[0].virtual_region.height > 0 and scroll.max_scroll_y > 0
        if not laid_out:
            if block_id is not None or scroll.max_scroll_y == 0:
                again()
            return
        scroll.scroll_to_widget(blocks[0], top=True, animate=False)
