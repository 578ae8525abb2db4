"""The lesson screen: pick a lesson, read it, set it up, run it, take its network apart.

Runs go through `runner.run` in a thread worker, exactly as `workbench run` does; the
worker posts the run's events to the Run tab and never touches a widget itself. One
run at a time: the cancel event is the run's only off switch, and it is set on
`escape`, on the Cancel button, and whenever the screen or the app goes away, so a
thread is never left training behind a closed app (and the runner saves nothing).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import dataclasses

import os
import threading
import traceback

from rich.markup import escape
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.lazy import Lazy
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import (Button, ContentSwitcher, Footer, Header, ListView, Markdown, Static,
                             TabbedContent, TabPane)

from workbench import exercises, guide, history, preferences, registry
from workbench.catalogue import tr
from workbench.errors import Cancelled
from workbench.events import Log
from workbench.formatting import app_wording, error_line, number
from workbench.language import DEFAULT as EN, pick, spaced
from workbench.registry import Lesson
from workbench.tui.messages import RunEnded, RunEvent, post
from workbench.tui.screens.choice import ChoiceScreen
from workbench.tui.screens.confirm import ConfirmScreen
from workbench.tui.widgets.anatomy_view import AnatomyView
from workbench.tui.widgets.exercises_view import ExercisesView
from workbench.tui.widgets.lesson_list import LessonList
from workbench.tui.widgets.param_form import ParamForm
from workbench.tui.widgets.path_view import PathView, StepList
from workbench.tui.widgets.run_panel import RunPanel

if TYPE_CHECKING:
    from workbench.runner import Request


# Below this many columns the lesson list becomes a rail and the setup form narrows.
NARROW = 140


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


def replace_question(paths, lang: str = EN) -> str:
    """What a run would replace: each model with its key number and its pictures."""
    from workbench import store

    lines = []
    for path in paths:
        try:
            info = store.describe(path)
            key = store.key_metric(info.metadata)
            about = f" ({key[0]} {number(key[1])})" if key else ""
        except Exception:  # noqa: BLE001  (an unreadable file is still replaced; say so plainly)
            about = " (" + tr(lang, "unreadable") + ")"
        pictures = store.pictures_of(path)
        also = ""
        if pictures:
            also = " " + (tr(lang, "and {count} picture", count=len(pictures)) if len(pictures) == 1
                          else tr(lang, "and {count} pictures", count=len(pictures)))
        lines.append(f"  [b]{escape(path.name)}[/b]{about}{also}")
    return (tr(lang, "This run replaces") + "\n" + "\n".join(lines) + "\n\n" +
            tr(lang, "Keep them by naming the output in the form's [b]out[/b] field."))


# The tabs' titles, by pane id: English message ids, shown in the app's language.
TAB_TITLES = {"tab-path": tr(EN, "Path"), "tab-notes": tr(EN, "Notes"), "tab-run": tr(EN, "Run"),
              "tab-anatomy": tr(EN, "Anatomy"), "tab-exercises": tr(EN, "Exercises")}


class LessonScreen(Screen):
    # Descriptions are English message ids (`tr(EN, ...)` marks them for the catalogue);
    # the app shows them in its language (`WorkbenchApp.localize`).
    BINDINGS = [
        # ctrl+r works everywhere, inside a field too, and on the generate screen alike.
        Binding("ctrl+r", "run", tr(EN, "Run")),
        Binding("r", "run", tr(EN, "Run"), show=False),
        Binding("escape", "cancel", tr(EN, "Cancel")),
        Binding("p", "tab('tab-path')", tr(EN, "Path"), show=False),  # the first tab; the footer is full
        Binding("n", "tab('tab-notes')", tr(EN, "Notes")),
        # Hidden (check_action) on a lesson without architectures or exercises.
        Binding("a", "tab('tab-anatomy')", tr(EN, "Anatomy")),
        Binding("x", "tab('tab-exercises')", tr(EN, "Exercises"), show=False),  # the footer is full at 100 columns
        # The sides give way to the centre on demand, at any size.
        Binding("ctrl+b,left_square_bracket", "toggle_side('lessons')",
                tr(EN, "Show/hide the lesson list"), show=False),
        Binding("ctrl+s,right_square_bracket", "toggle_side('setup')",
                tr(EN, "Show/hide the setup form"), show=False),
    ]

    # For `?`: the keys of the Path and Exercises tabs, which work where their focus is.
    KEY_GROUPS = (
        (tr(EN, "on the Path tab"),
         [Binding("enter", "perform", tr(EN, "Do the step: read, answer, run, compare; on the "
                                            "lesson list, go into the path")),
          *PathView.BINDINGS, *StepList.BINDINGS]),
        (tr(EN, "on the Exercises tab"), ExercisesView.BINDINGS),
    )

    # The run going on now (its cancel switch and lesson), or None: the one fact that
    # buttons, footer and the palette follow, through `watch_active_run`.
    active_run: reactive[tuple[threading.Event, Lesson] | None] = reactive(None, init=False)

    def __init__(self) -> None:
        super().__init__(id="lesson-screen")
        self.lessons = registry.lessons()
        # Where the learner left off last time (the first lesson for a new learner).
        remembered = preferences.load().get("lesson")
        self.lesson: Lesson = next((l for l in self.lessons if l.id == remembered), self.lessons[0])
        self._history: history.Guarded | None = None
        self._passed: dict[str, bool] = {}  # lesson id -> all its exercises pass
        self._step: int | None = None  # the path step the active run carries out
        self._notes_update = None  # the notes being drawn (Markdown.update), for _goto_section

    def compose(self) -> ComposeResult:
        lang = self.app.lang
        yield Header()
        with Horizontal(id="main"):
            yield LessonList(self.lessons, id="lessons")
            with TabbedContent(id="lesson-tabs", initial="tab-path"):
                with TabPane(tr(lang, TAB_TITLES["tab-path"]), id="tab-path"):
                    yield PathView(id="path")
                with TabPane(tr(lang, TAB_TITLES["tab-notes"]), id="tab-notes"):
                    # Focusable, so Tab reaches the notes and the arrows and PageDown scroll them.
                    with VerticalScroll(id="notes-scroll"):
                        yield Markdown(self._notes_text(), id="notes")
                with TabPane(tr(lang, TAB_TITLES["tab-run"]), id="tab-run"):
                    # Hidden at first, so mounted just after the first frame (sooner on screen).
                    yield Lazy(RunPanel(id="run-panel"))
                with TabPane(tr(lang, TAB_TITLES["tab-anatomy"]), id="tab-anatomy"):
                    yield ContentSwitcher(id="anatomies")
                with TabPane(tr(lang, TAB_TITLES["tab-exercises"]), id="tab-exercises"):
                    yield ContentSwitcher(id="exercise-views")
            with Vertical(id="setup"):
                yield ContentSwitcher(id="forms")
                with Horizontal(id="run-buttons"):
                    yield Button(tr(lang, "Run ▶"), id="run", variant="success")
                    yield Button(tr(lang, "Cancel"), id="cancel", variant="error", disabled=True)
                    yield Button(tr(lang, "Defaults"), id="reset")
        yield Footer()

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size.width)

    def _fit(self, width: int) -> None:
        narrow = width < NARROW
        self.set_class(narrow, "-narrow")
        self.query_one(Footer).compact = narrow  # every key still fits on one line

    def on_mount(self) -> None:
        self._fit(self.app.size.width)
        self.query_one("#setup").border_title = tr(self.app.lang, "Setup")
        lessons = self.query_one(LessonList)
        lessons.select_lesson(self.lesson.id)
        lessons.focus()
        self.show_lesson(self.lesson, first=True)
        # After the first frame: reading the exercises imports them, and NumPy with them.
        self.call_after_refresh(self._show_progress)

    @property
    def history(self) -> history.Guarded:
        """The run history of the app's models folder, opened on first use; a history that
        cannot be used is said once, and the app goes on without it."""
        if self._history is None:
            self._history = history.Guarded(
                history.open_history(self.app.models_dir),
                lambda reason: self.notify(tr(self.app.lang, "Run history not used: {reason}",
                                              reason=reason), severity="warning", timeout=8))
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

    # -- choosing a lesson ----------------------------------------------------------------
    def on_list_view_highlighted(self, event: ListView.Highlighted) -> None:
        if isinstance(event.list_view, LessonList) and event.item is not None:
            self.show_lesson(event.item.lesson)

    def highlighted_lesson(self) -> Lesson:
        """The lesson the list highlights now (it leads: the screen follows its messages)."""
        item = self.query_one(LessonList).highlighted_child
        return getattr(item, "lesson", None) or self.lesson

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

    def on_list_view_selected(self, event: ListView.Selected) -> None:
        """enter on a lesson: into its path, where enter does the next step."""
        if isinstance(event.list_view, LessonList):
            self.action_tab("tab-path")

    def _notes_text(self) -> str:
        return app_wording(self.lesson.notes_in(self.app.lang), markdown=True)

    def show_language(self) -> None:
        """Everything the screen says in words, in the app's language (after ctrl+l)."""
        lang = self.app.lang
        self.query_one(LessonList).show_language()
        tabs = self.query_one(TabbedContent)
        for pane_id, title in TAB_TITLES.items():
            tabs.get_tab(pane_id).label = tr(lang, title)
        self.query_one("#setup").border_title = tr(lang, "Setup")
        for button_id, label in (("run", "Run ▶"), ("cancel", "Cancel"), ("reset", "Defaults")):
            self.query_one(f"#{button_id}", Button).label = tr(lang, label)
        for form in self.query(ParamForm):
            form.show_language()
        for view in self.query(ExercisesView):
            view.show_language()
        for panel in self.query(RunPanel):
            panel.show_language()
        self.show_notes()
        self.show_path(keep=self.query_one(PathView).highlighted.n
                       if self.query_one(PathView).highlighted else None)

    def show_notes(self) -> None:
        """The current lesson's notes, in the app's language, from the top."""
        self._notes_update = self.query_one("#notes", Markdown).update(self._notes_text())
        self.query_one("#notes-scroll").scroll_home(animate=False)

    def select_lesson(self, lesson_id: str) -> None:
        """From the command palette: the same as highlighting it in the sidebar."""
        self.query_one(LessonList).select_lesson(lesson_id)
        self.show_lesson(registry.get(lesson_id))

    def _switch_to(self, switcher_id: str, widget_id: str, make) -> None:
        """Show `widget_id` in a content switcher, made by `make()` on first use. Mounted
        at once, not in a task: a lesson highlighted while another's form is still being
        mounted must not see that form switched in after its own."""
        switcher = self.query_one(f"#{switcher_id}", ContentSwitcher)
        if not switcher.query_children(f"#{widget_id}"):
            widget = make()
            widget.display = False
            switcher.mount(widget)
        switcher.current = widget_id

    def show_lesson(self, lesson: Lesson, first: bool = False) -> None:
        """Notes, form and anatomy of `lesson`; `first`: the notes are already composed."""
        if lesson.id == self.lesson.id and not first:
            return
        self.lesson = lesson
        if not first:
            preferences.remember(lesson=lesson.id)
            self.show_path()
        if not self.running:  # the Run tab shows this lesson's runs, not the last lesson's
            for panel in self.query(RunPanel):
                panel.clear()
        if not first:
            self.show_notes()
        # Forms and anatomy views are made on first visit and kept: edits survive a
        # look at another lesson, and the first paint builds one form, not five.
        self._switch_to("forms", f"form-{lesson.id}", lambda: ParamForm(lesson, id=f"form-{lesson.id}"))
        tabs = self.query_one(TabbedContent)
        self.refresh_bindings()  # the footer shows Anatomy only for a lesson that has one
        if lesson.architectures:
            tabs.show_tab("tab-anatomy")
            self._switch_to("anatomies", f"anatomy-{lesson.id}",
                            lambda: AnatomyView(lesson, id=f"anatomy-{lesson.id}"))
            if tabs.active == "tab-anatomy":
                self.call_after_refresh(self._activate_anatomy)
        else:
            if tabs.active == "tab-anatomy":
                tabs.active = "tab-notes"
            tabs.hide_tab("tab-anatomy")
        self._show_exercises(lesson, tabs)

    def _show_exercises(self, lesson: Lesson, tabs: TabbedContent) -> None:
        if not lesson.exercises:
            if tabs.active == "tab-exercises":
                tabs.active = "tab-notes"
            tabs.hide_tab("tab-exercises")
            return
        tabs.show_tab("tab-exercises")
        if tabs.active == "tab-exercises":
            self._exercises_view(lesson)

    def _exercises_view(self, lesson: Lesson) -> ExercisesView:
        """The lesson's Exercises view, made on the first look at the tab and kept."""
        self._switch_to("exercise-views", f"exercises-{lesson.id}",
                        lambda: ExercisesView(lesson, exercises.workspace(), id=f"exercises-{lesson.id}"))
        return self.query_one(f"#exercises-{lesson.id}", ExercisesView)

    def on_exercises_view_checked(self, event: ExercisesView.Checked) -> None:
        self._passed[event.lesson_id] = event.total > 0 and event.passed == event.total
        if event.lesson_id == self.lesson.id:
            self.show_path(keep=self.query_one(PathView).steps_list.index + 1
                           if self.query_one(PathView).steps_list.index is not None else None)
        else:
            self._lesson_progress(registry.get(event.lesson_id))

    # -- the guided path ------------------------------------------------------------------
    def on_path_view_perform(self, event: PathView.Perform) -> None:
        state, lesson = event.state, self.lesson
        step = state.step
        if isinstance(step, guide.Read):
            self.history.mark_done(lesson.id, state.n)
            self.show_path(keep=state.n + 1)
            self.action_tab("tab-notes")
            self.call_after_refresh(self._goto_section, pick(self.app.lang, step.section, step.section_zh))
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
        elif isinstance(step, guide.Exercise):
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
        self.form.set_values(dict(state.step.params))
        self.form.set_dataset(state.step.dataset_of(self.lesson))
        self.action_run(step=state.n)
        if self.running:  # the Run tab shows it; the focus goes along (a focused step
            self.query_one(RunPanel).focus()  # would bring its own tab back)

    def _ask(self, lesson: Lesson, state: guide.StepState, then=None) -> None:
        """A prediction's question; the answer is kept, then `then` (the run it settles)."""
        step, lang = state.step, self.app.lang
        if state.revealed:  # a prediction is made before its run, never after seeing it
            self.notify(tr(lang, "Step {n} has run: this prediction is settled (its score is "
                                 "in the step's text).", n=step.settled_by))
            return
        answers = pick(lang, step.answers, step.answers_zh)
        question = pick(lang, step.question, step.question_zh)

        def answered(choice: int | None) -> None:
            if choice is None:
                return
            self.history.answer(lesson.id, state.n, choice)
            self.show_path(keep=step.settled_by)
            if then is not None:
                then()
            else:
                self.notify(tr(lang, "Noted. Step {n} settles it: enter runs it.", n=step.settled_by))

        self.app.push_screen(ChoiceScreen(question, tuple(answers)), answered)

    def _goto_section(self, heading: str, tries: int = 100) -> None:
        """Scroll the notes to `heading`, once the lesson's notes are drawn (another
        lesson's may still be on screen) and the tab just shown has been laid out."""
        scroll = self.query_one("#notes-scroll")
        notes = self.query_one("#notes", Markdown)
        drawing = self._notes_update is not None and not self._notes_update.is_done
        # Markdown caches its table of contents when an update ends; an update that began
        # before (another lesson's notes, moments ago) can leave that lesson's there.
        notes._table_of_contents = None
        block_id = None if drawing else section_block(notes.table_of_contents or (), heading,
                                                      self.app.lang)
        blocks = notes.query(f"#{block_id}") if block_id else ()
        laid_out = bool(blocks) and blocks[0].virtual_region.height > 0 and scroll.max_scroll_y > 0
        if not laid_out:
            if tries and (drawing or block_id is not None or scroll.max_scroll_y == 0):
                self.set_timer(0.03, lambda: self._goto_section(heading, tries - 1))
            return
        scroll.scroll_to_widget(blocks[0], top=True, animate=False)

    @property
    def form(self) -> ParamForm:
        return self.query_one(f"#form-{self.lesson.id}", ParamForm)

    def _anatomy(self) -> AnatomyView | None:
        try:
            return self.query_one(f"#anatomy-{self.lesson.id}", AnatomyView)
        except NoMatches:
            return None

    def _activate_anatomy(self) -> None:
        view = self._anatomy()
        if view is not None:
            view.follow(self.form.valid_values())
            view.activate()

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "tab-anatomy":
            self._activate_anatomy()
        elif event.pane.id == "tab-exercises":
            view = self._exercises_view(self.lesson)
            if view.is_mounted:  # a new view takes the focus itself once mounted
                view.focus_list()

    def on_anatomy_view_picked(self, event: AnatomyView.Picked) -> None:
        self.form.set_values(event.settings)

    def on_param_form_changed(self, event: ParamForm.Changed) -> None:
        view = self._anatomy()
        if view is not None and event.form.lesson.id == self.lesson.id:
            view.follow(event.values)

    def action_tab(self, tab: str) -> None:
        if tab == "tab-anatomy" and not self.lesson.architectures:
            self.notify(tr(self.app.lang, "{lesson} has no architecture to take apart",
                           lesson=self.lesson.title_in(self.app.lang)), severity="warning")
            return
        self.query_one(TabbedContent).active = tab
        if tab == "tab-notes":
            self.query_one("#notes-scroll").focus()
        elif tab == "tab-path":
            self.query_one(PathView).focus_steps()

    def action_toggle_side(self, side: str) -> None:
        panel = self.query_one(f"#{side}")
        panel.display = not panel.display
        if not panel.display:
            if self.focused is not None and panel in self.focused.ancestors_with_self:
                self.query_one("#lesson-tabs Tabs").focus()
            lang = self.app.lang
            self.notify(tr(lang, "Lesson list hidden; ctrl+b brings it back") if side == "lessons"
                        else tr(lang, "Setup form hidden; ctrl+s brings it back"))

    # -- running ---------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.active_run is not None

    def watch_active_run(self) -> None:
        self.query_one("#run", Button).disabled = self.running
        self.query_one("#cancel", Button).disabled = not self.running
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """The footer dims what cannot be done now (None: shown, but disabled) and leaves
        out what the lesson on screen does not have (False: Anatomy on kNN)."""
        if action == "cancel":
            return True if self.running else None
        if action == "tab" and parameters == ("tab-anatomy",):
            return bool(self.lesson.architectures)
        if action == "tab" and parameters == ("tab-exercises",):
            return bool(self.lesson.exercises)
        return True

    @on(Button.Pressed, "#run")
    def _run_pressed(self) -> None:
        self.action_run()

    def action_run(self, step: int | None = None) -> None:
        """Start a run of the form's values; `step`: it carries out that path experiment."""
        lang = self.app.lang
        if self.active_run is not None:
            self.notify(tr(lang, "{lesson} is still running; escape cancels it",
                           lesson=self.active_run[1].title_in(lang)), severity="warning")
            return
        if self.highlighted_lesson().id != self.lesson.id:  # keys ahead of the list's messages
            self.show_lesson(self.highlighted_lesson())
            self.notify(tr(lang, "Not started: the form now shows {lesson}; ctrl+r runs it",
                           lesson=self.lesson.id), severity="warning")
            return
        ready = self.form.validated()
        if ready is None:
            self.notify(tr(lang, "Not started: fix the values marked in the form"), severity="error")
            return
        out = self.form.out_path()
        taken = [path for path in self.form.planned_paths(ready.settings, step) if path.exists()]
        if step is not None:
            ready = dataclasses.replace(ready, step=step)
        if not taken:
            self._start(ready, out)
            return

        def answered(replace: bool | None) -> None:
            if replace:
                self._start(ready, out)
            else:
                self.notify(tr(lang, "Not started: name the output in the form's out field"),
                            severity="warning")

        self.app.push_screen(ConfirmScreen(replace_question(taken, lang), yes=tr(lang, "Replace"),
                                           no=tr(lang, "Keep")), answered)

    def _start(self, ready: Request, out) -> None:
        try:
            panel = self.query_one(RunPanel)
        except NoMatches:  # within a frame of start-up, before the lazy panel is mounted
            self.notify(tr(self.app.lang, "Starting up; press r again"), severity="warning")
            return
        if self.active_run is not None:  # another started while the question was open
            return
        cancel = threading.Event()
        self.active_run = (cancel, ready.lesson)
        self.query_one(TabbedContent).active = "tab-run"
        panel.begin(ready)
        self._run(panel, ready, out, cancel)

    @work(thread=True, group="run", exit_on_error=False)
    def _run(self, panel: RunPanel, ready: Request, out, cancel: threading.Event) -> None:
        from workbench import runner

        try:
            result = runner.execute(ready, out=out, models_dir=self.app.models_dir, cancel=cancel,
                                    on_event=lambda event: post(panel, RunEvent(event)))
        except Cancelled:
            ended = RunEnded("cancelled")
        except Exception as exc:  # noqa: BLE001  (one line, as the CLI prints it; the app goes on)
            if os.environ.get("WORKBENCH_DEBUG") == "1":
                post(panel, RunEvent(Log(traceback.format_exc())))
            ended = RunEnded("failed", error=error_line(exc))
        else:
            ended = RunEnded("done", result=result)
        post(panel, ended)

    def on_run_ended(self, message: RunEnded) -> None:
        lang = self.app.lang
        title = self.active_run[1].title_in(lang) if self.active_run else tr(lang, "the run")
        self.active_run = None
        result = message.result
        if result is not None and result.step is not None:
            self.show_path(keep=result.step)
            held = sum(claim["holds"] for claim in result.claims)
            self.notify(tr(lang, "step {n}: {held} of {total} claims hold on your run; p shows the path",
                           n=result.step, held=held, total=len(result.claims)), title=tr(lang, "Path"))
        for form in self.query(ParamForm):  # a name just taken is now one a run would replace
            form.show_outputs()
        if message.outcome == "done":
            self.notify(tr(lang, "{lesson}: done", lesson=title), title=tr(lang, "Run finished"))
        elif message.outcome == "cancelled":
            self.notify(tr(lang, "{lesson}: cancelled; nothing was saved", lesson=title),
                        severity="warning")
        else:
            self.notify(message.error or tr(lang, "failed"),
                        title=tr(lang, "{lesson} failed", lesson=title), severity="error")

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if self.active_run is None:
            return
        self.stop_run()
        self.query_one("#cancel", Button).disabled = True
        self.query_one("#run-status", Static).update(
            tr(self.app.lang, "cancelling: training stops at the next batch…"))

    def stop_run(self) -> None:
        """Called when the app quits: stop the run; the runner then saves nothing."""
        if self.active_run is not None:
            self.active_run[0].set()

    def on_unmount(self) -> None:
        self.stop_run()

    @on(Button.Pressed, "#reset")
    def reset_form(self) -> None:
        self.form.reset()
