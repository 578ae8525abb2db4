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
from workbench.errors import Cancelled
from workbench.events import Log
from workbench.formatting import app_wording, error_line, number
from workbench.registry import Lesson
from workbench.tui.messages import RunEnded, RunEvent, post
from workbench.tui.screens.choice import ChoiceScreen
from workbench.tui.screens.confirm import ConfirmScreen
from workbench.tui.widgets.anatomy_view import AnatomyView
from workbench.tui.widgets.exercises_view import ExercisesView
from workbench.tui.widgets.lesson_list import LessonList
from workbench.tui.widgets.param_form import ParamForm
from workbench.tui.widgets.path_view import PathView
from workbench.tui.widgets.run_panel import RunPanel

if TYPE_CHECKING:
    from workbench.runner import Request


# Below this many columns the lesson list becomes a rail and the setup form narrows.
NARROW = 140


def replace_question(paths) -> str:
    """What a run would replace: each model with its key number and its pictures."""
    from workbench import store

    lines = []
    for path in paths:
        try:
            info = store.describe(path)
            key = store.key_metric(info.metadata)
            about = f" ({key[0]} {number(key[1])})" if key else ""
        except Exception:  # noqa: BLE001  (an unreadable file is still replaced; say so plainly)
            about = " (unreadable)"
        pictures = store.pictures_of(path)
        also = f" and {len(pictures)} picture{'s' * (len(pictures) != 1)}" if pictures else ""
        lines.append(f"  [b]{escape(path.name)}[/b]{about}{also}")
    return ("This run replaces\n" + "\n".join(lines) +
            "\n\nKeep them by naming the output in the form's [b]out[/b] field.")


class LessonScreen(Screen):
    BINDINGS = [
        # ctrl+r works everywhere, inside a field too, and on the generate screen alike.
        Binding("ctrl+r", "run", "Run"),
        Binding("r", "run", "Run", show=False),
        Binding("escape", "cancel", "Cancel"),
        Binding("p", "tab('tab-path')", "Path", show=False),  # the first tab; the footer is full
        Binding("n", "tab('tab-notes')", "Notes"),
        Binding("a", "tab('tab-anatomy')", "Anatomy"),
        Binding("x", "tab('tab-exercises')", "Exercises", show=False),  # the footer is full at 100 columns
        # The sides give way to the centre on demand, at any size.
        Binding("ctrl+b,left_square_bracket", "toggle_side('lessons')", "Show/hide the lesson list",
                show=False),
        Binding("ctrl+s,right_square_bracket", "toggle_side('setup')", "Show/hide the setup form",
                show=False),
    ]

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

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="main"):
            yield LessonList(self.lessons, id="lessons")
            with TabbedContent(id="lesson-tabs", initial="tab-path"):
                with TabPane("Path", id="tab-path"):
                    yield PathView(id="path")
                with TabPane("Notes", id="tab-notes"):
                    # Focusable, so Tab reaches the notes and the arrows and PageDown scroll them.
                    with VerticalScroll(id="notes-scroll"):
                        yield Markdown(self._notes_text(), id="notes")
                with TabPane("Run", id="tab-run"):
                    # Hidden at first, so mounted just after the first frame (sooner on screen).
                    yield Lazy(RunPanel(id="run-panel"))
                with TabPane("Anatomy", id="tab-anatomy"):
                    yield ContentSwitcher(id="anatomies")
                with TabPane("Exercises", id="tab-exercises"):
                    yield ContentSwitcher(id="exercise-views")
            with Vertical(id="setup"):
                yield ContentSwitcher(id="forms")
                with Horizontal(id="run-buttons"):
                    yield Button("Run ▶", id="run", variant="success")
                    yield Button("Cancel", id="cancel", variant="error", disabled=True)
                    yield Button("Defaults", id="reset")
        yield Footer()

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size.width)

    def _fit(self, width: int) -> None:
        narrow = width < NARROW
        self.set_class(narrow, "-narrow")
        self.query_one(Footer).compact = narrow  # every key still fits on one line

    def on_mount(self) -> None:
        self._fit(self.app.size.width)
        self.query_one("#setup").border_title = "Setup"
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
                lambda reason: self.notify(f"Run history not used: {reason}", severity="warning",
                                           timeout=8))
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

    def on_list_view_selected(self, event: ListView.Selected) -> None:
        """enter on a lesson: into its path, where enter does the next step."""
        if isinstance(event.list_view, LessonList):
            self.action_tab("tab-path")

    def _notes_text(self) -> str:
        return app_wording(self.lesson.notes_in(self.app.lang), markdown=True)

    def show_language(self) -> None:
        self.query_one(LessonList).show_language()
        self.show_notes()
        self.show_path()

    def show_notes(self) -> None:
        """The current lesson's notes, in the app's language, from the top."""
        self.query_one("#notes", Markdown).update(self._notes_text())
        self.query_one("#notes-scroll").scroll_home(animate=False)

    def select_lesson(self, lesson_id: str) -> None:
        """From the command palette: the same as highlighting it in the sidebar."""
        self.query_one(LessonList).select_lesson(lesson_id)
        self.show_lesson(registry.get(lesson_id))

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
        forms = self.query_one("#forms", ContentSwitcher)
        # Forms and anatomy views are made on first visit and kept: edits survive a
        # look at another lesson, and the first paint builds one form, not five.
        if not forms.query(f"#form-{lesson.id}"):
            forms.add_content(ParamForm(lesson, id=f"form-{lesson.id}"), set_current=True)
        else:
            forms.current = f"form-{lesson.id}"
        tabs = self.query_one(TabbedContent)
        if lesson.architectures:
            tabs.show_tab("tab-anatomy")
            anatomies = self.query_one("#anatomies", ContentSwitcher)
            if not anatomies.query(f"#anatomy-{lesson.id}"):
                anatomies.add_content(AnatomyView(lesson, id=f"anatomy-{lesson.id}"), set_current=True)
            else:
                anatomies.current = f"anatomy-{lesson.id}"
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
        views = self.query_one("#exercise-views", ContentSwitcher)
        view = next(iter(views.query(f"#exercises-{lesson.id}").results(ExercisesView)), None)
        if view is None:
            view = ExercisesView(lesson, exercises.workspace(), id=f"exercises-{lesson.id}")
            views.add_content(view, set_current=True)
        else:
            views.current = view.id
        return view

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
            self.call_after_refresh(self._goto_section, step.section_zh if self.app.lang == "zh"
                                    and step.section_zh else step.section)
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
            if not self.query_one(PathView).compared.get(state.n):
                missing = [n for n in step.steps if n not in self.history.latest_by_step(lesson.id)]
                self.notify(f"run step {', '.join(map(str, missing))} first", severity="warning")
        elif isinstance(step, guide.Exercise):
            self.action_tab("tab-exercises")

    def _run_step(self, state: guide.StepState) -> None:
        self.form.set_values(dict(state.step.params))
        self.form.set_dataset(state.step.dataset_of(self.lesson))
        self.action_run(step=state.n)
        if self.running:  # the Run tab shows it; the focus goes along (a focused step
            self.query_one(RunPanel).focus()  # would bring its own tab back)

    def _ask(self, lesson: Lesson, state: guide.StepState, then=None) -> None:
        """A prediction's question; the answer is kept, then `then` (the run it settles)."""
        step, lang = state.step, self.app.lang
        answers = step.answers_zh if lang == "zh" and step.answers_zh else step.answers
        question = step.question_zh if lang == "zh" and step.question_zh else step.question

        def answered(choice: int | None) -> None:
            if choice is None:
                return
            self.history.answer(lesson.id, state.n, choice)
            self.show_path(keep=step.settled_by)
            if then is not None:
                then()
            else:
                self.notify(f"Noted. Step {step.settled_by} settles it: enter runs it.")

        self.app.push_screen(ChoiceScreen(question, tuple(answers)), answered)

    def _goto_section(self, heading: str, tries: int = 20) -> None:
        """Scroll the notes to `heading`, once the tab just shown has been laid out."""
        scroll = self.query_one("#notes-scroll")
        if scroll.max_scroll_y == 0 and tries:
            self.set_timer(0.02, lambda: self._goto_section(heading, tries - 1))
            return
        notes = self.query_one("#notes", Markdown)
        for _, title, block_id in notes.table_of_contents or ():
            if title.strip() == heading.strip():
                scroll.scroll_to_widget(notes.query_one(f"#{block_id}"), top=True, animate=False)
                return

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
            self.notify(f"{self.lesson.title} has no architecture to take apart", severity="warning")
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
            key = "ctrl+b" if side == "lessons" else "ctrl+s"
            self.notify(f"{'Lesson list' if side == 'lessons' else 'Setup form'} hidden; "
                        f"{key} brings it back")

    # -- running ---------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.active_run is not None

    def watch_active_run(self) -> None:
        self.query_one("#run", Button).disabled = self.running
        self.query_one("#cancel", Button).disabled = not self.running
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """The footer dims what cannot be done now (None: shown, but disabled)."""
        if action == "cancel":
            return True if self.running else None
        return True

    @on(Button.Pressed, "#run")
    def _run_pressed(self) -> None:
        self.action_run()

    def action_run(self, step: int | None = None) -> None:
        """Start a run of the form's values; `step`: it carries out that path experiment."""
        if self.active_run is not None:
            self.notify(f"{self.active_run[1].title} is still running; escape cancels it",
                        severity="warning")
            return
        ready = self.form.validated()
        if ready is None:
            self.notify("Not started: fix the values marked in the form", severity="error")
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
                self.notify("Not started: name the output in the form's out field",
                            severity="warning")

        self.app.push_screen(ConfirmScreen(replace_question(taken), yes="Replace", no="Keep"),
                             answered)

    def _start(self, ready: Request, out) -> None:
        try:
            panel = self.query_one(RunPanel)
        except NoMatches:  # within a frame of start-up, before the lazy panel is mounted
            self.notify("Starting up; press r again", severity="warning")
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
        title = self.active_run[1].title if self.active_run else "the run"
        self.active_run = None
        result = message.result
        if result is not None and result.step is not None:
            self.show_path(keep=result.step)
            held = sum(claim["holds"] for claim in result.claims)
            self.notify(f"step {result.step}: {held} of {len(result.claims)} claims hold on your run; "
                        "p shows the path", title="Path")
        for form in self.query(ParamForm):  # a name just taken is now one a run would replace
            form.show_outputs()
        if message.outcome == "done":
            self.notify(f"{title}: done", title="Run finished")
        elif message.outcome == "cancelled":
            self.notify(f"{title}: cancelled; nothing was saved", severity="warning")
        else:
            self.notify(message.error or "failed", title=f"{title} failed", severity="error")

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if self.active_run is None:
            return
        self.stop_run()
        self.query_one("#cancel", Button).disabled = True
        self.query_one("#run-status", Static).update("cancelling: training stops at the next batch…")

    def stop_run(self) -> None:
        """Called when the app quits: stop the run; the runner then saves nothing."""
        if self.active_run is not None:
            self.active_run[0].set()

    def on_unmount(self) -> None:
        self.stop_run()

    @on(Button.Pressed, "#reset")
    def reset_form(self) -> None:
        self.form.reset()
