"""The lesson screen: pick a lesson, read it, set it up, run it, take its network apart.

This module holds the screen itself: its layout, tabs, keys and the switch from one lesson
to another. What it does on the guided path is in `workbench.tui.path_control`, and how it
runs a lesson in `workbench.tui.run_control`: mixins of `LessonScreen`, each one job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events, on
from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Button, ContentSwitcher, Footer, Header, ListView, TabbedContent, TabPane

from workbench import registry
from workbench.course import exercises
from workbench.drawing.numbers import app_wording
from workbench.i18n.catalogue import tr
from workbench.i18n.language import DEFAULT as EN
from workbench.registry import Lesson
from workbench.results import history
from workbench.tui import preferences
from workbench.tui.path_control import PathControl, plain_heading, section_block
from workbench.tui.run_control import RunControl
from workbench.tui.widgets.lesson_list import LessonList
from workbench.tui.widgets.path_view import PathView, StepList

if TYPE_CHECKING:  # each imported where first used: the first frame shows none of them
    from workbench.tui.widgets.anatomy_view import AnatomyView
    from workbench.tui.widgets.exercises_view import ExercisesView
    from workbench.tui.widgets.param_form import ParamForm

# plain_heading and section_block live with the path controller; they stay importable
# from here, where the tests (and any older caller) look for them.
__all__ = ["LessonScreen", "NARROW", "TAB_TITLES", "plain_heading", "section_block"]


# Below this many columns the lesson list becomes a rail and the setup form narrows.
NARROW = 140


# The tabs' titles, by pane id: English message ids, shown in the app's language.
TAB_TITLES = {"tab-path": tr(EN, "Path"), "tab-notes": tr(EN, "Notes"), "tab-run": tr(EN, "Run"),
              "tab-anatomy": tr(EN, "Anatomy"), "tab-exercises": tr(EN, "Exercises")}


class LessonScreen(PathControl, RunControl, Screen):
    """The lesson list, the lesson's tabs (Path, Notes, Run, Anatomy, Exercises) and its
    setup form. The mixins come before `Screen`, so their handlers and `watch_focused`
    are the ones Textual finds."""

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

    @property
    def KEY_GROUPS(self):  # noqa: N802  (the name `screens.help` looks for on any screen)
        """For `?`: the keys of the Path and Exercises tabs, which work where their focus is."""
        from workbench.tui.widgets.exercises_view import ExercisesView

        return (
            (tr(EN, "on the Path tab"),
             [Binding("enter", "perform", tr(EN, "Do the step: read, answer, run, compare; on "
                                                "the lesson list, go into the path")),
              *PathView.BINDINGS, *StepList.BINDINGS]),
            (tr(EN, "on the Exercises tab"), ExercisesView.BINDINGS),
        )

    def __init__(self) -> None:
        super().__init__(id="lesson-screen")
        self.lessons = registry.lessons()
        # Where the learner left off last time (the first lesson for a new learner).
        remembered = preferences.load().get("lesson")
        self.lesson: Lesson = next((l for l in self.lessons if l.id == remembered), self.lessons[0])
        self._history: history.Guarded | None = None  # PathControl.history opens it
        self._passed: dict[str, bool] = {}  # lesson id -> all its exercises pass
        # The notes being drawn (their Markdown widget mounted, then its update), for
        # _goto_section; None until the first frame is on screen.
        self._notes_update: AwaitComplete | None = None
        self._notes_mounted = False

    def compose(self) -> ComposeResult:
        lang = self.app.lang
        # Narrow or not before the children are mounted: set later, the class would have
        # Textual match every child's styles again before the first frame.
        narrow = self.app.size.width < NARROW
        self.set_class(narrow, "-narrow")
        yield Header()
        with Horizontal(id="main"):
            yield LessonList(self.lessons, highlighted=self.lessons.index(self.lesson), id="lessons")
            with TabbedContent(id="lesson-tabs", initial="tab-path"):
                with TabPane(tr(lang, TAB_TITLES["tab-path"]), id="tab-path"):
                    yield PathView(id="path")
                with TabPane(tr(lang, TAB_TITLES["tab-notes"]), id="tab-notes"):
                    # Focusable, so Tab reaches the notes and the arrows and PageDown scroll them.
                    # Its Markdown widget comes after the first frame (`_first_notes`).
                    yield VerticalScroll(id="notes-scroll")
                # Empty until the first frame is on screen: `after_first_frame`.
                yield TabPane(tr(lang, TAB_TITLES["tab-run"]), id="tab-run")
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
        yield Footer(compact=narrow)

    def after_first_frame(self) -> None:
        """What the first frame does without, once it is on screen (the app's Ready).

        The notes and the Run tab's panel are hidden at first: their widgets' imports
        (Markdown's markdown-it and Pygments, the plot widgets' plotext) and styles would
        only delay that frame. The path's marks read the exercises, which imports them and
        NumPy with them. Textual's `Lazy` and `call_after_refresh` run in the first frame's
        wake, where they still hold it up."""
        self._show_form(self.lesson)  # the lesson's, if another has not been shown since
        if self.lesson.architectures:
            self._show_anatomy(self.lesson)
        if self._notes_update is None:  # no other lesson's notes shown since
            self.show_notes()
        if not self.query("#run-panel"):
            from workbench.tui.widgets.run_panel import RunPanel

            self.query_one("#tab-run", TabPane).mount(RunPanel(id="run-panel"))
        self.call_later(self._show_progress)

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

    # -- choosing a lesson ----------------------------------------------------------------
    def on_list_view_highlighted(self, event: ListView.Highlighted) -> None:
        if isinstance(event.list_view, LessonList) and event.item is not None:
            self.show_lesson(event.item.lesson)

    def highlighted_lesson(self) -> Lesson:
        """The lesson the list highlights now (it leads: the screen follows its messages)."""
        item = self.query_one(LessonList).highlighted_child
        return getattr(item, "lesson", None) or self.lesson

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
        for form in self.query(".param-form"):
            form.show_language()
        for view in self.query(".exercises-view"):
            view.show_language()
        for panel in self.query("#run-panel"):
            panel.show_language()
        self.show_notes()
        self.show_path(keep=self.query_one(PathView).highlighted.n
                       if self.query_one(PathView).highlighted else None)

    def show_notes(self) -> None:
        """The current lesson's notes, in the app's language, from the top."""
        if self._notes_mounted:
            self._notes_update = self.query_one("#notes").update(self._notes_text())
        elif self._notes_update is None:
            self._notes_update = AwaitComplete(self._first_notes())
        # else the first notes are being mounted: they read the lesson and language then
        self.query_one("#notes-scroll").scroll_home(animate=False)

    async def _first_notes(self) -> None:
        """Mount the notes' Markdown widget and draw the lesson's notes in it. The widget's
        own first update (empty) runs while it mounts; drawn before that ends, the notes
        would be wiped by it."""
        from textual.widgets import Markdown

        notes = Markdown(id="notes")
        await self.query_one("#notes-scroll").mount(notes)
        self._notes_mounted = True
        await notes.update(self._notes_text())

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

    def _show_form(self, lesson: Lesson) -> None:
        from workbench.tui.widgets.param_form import ParamForm

        self._switch_to("forms", f"form-{lesson.id}", lambda: ParamForm(lesson, id=f"form-{lesson.id}"))

    def show_lesson(self, lesson: Lesson, first: bool = False) -> None:
        """Notes, form and anatomy of `lesson`; `first`: the notes come after the first
        frame (`after_first_frame`)."""
        if lesson.id == self.lesson.id and not first:
            return
        self.lesson = lesson
        if not first:
            preferences.remember(lesson=lesson.id)
            self.show_path()
        if not self.running:  # the Run tab shows this lesson's runs, not the last lesson's
            for panel in self.query("#run-panel"):
                panel.clear()
        if not first:
            self.show_notes()
        # Forms and anatomy views are made on first visit and kept: edits survive a
        # look at another lesson. The first frame builds no form (half its widgets):
        # the lesson's comes right after it.
        if not first:
            self._show_form(lesson)
        tabs = self.query_one(TabbedContent)
        self.refresh_bindings()  # the footer shows Anatomy only for a lesson that has one
        if lesson.architectures:
            tabs.show_tab("tab-anatomy")
            if not first:  # the first lesson's comes after the first frame, as its form does
                self._show_anatomy(lesson)
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

    def _show_anatomy(self, lesson: Lesson) -> None:
        """The lesson's Anatomy view, made on its first visit and kept."""
        from workbench.tui.widgets.anatomy_view import AnatomyView

        self._switch_to("anatomies", f"anatomy-{lesson.id}",
                        lambda: AnatomyView(lesson, id=f"anatomy-{lesson.id}"))
        if self.query_one(TabbedContent).active == "tab-anatomy":
            self.call_after_refresh(self._activate_anatomy)

    def _exercises_view(self, lesson: Lesson) -> ExercisesView:
        """The lesson's Exercises view, made on the first look at the tab and kept."""
        from workbench.tui.widgets.exercises_view import ExercisesView

        self._switch_to("exercise-views", f"exercises-{lesson.id}",
                        lambda: ExercisesView(lesson, exercises.workspace(), id=f"exercises-{lesson.id}"))
        return self.query_one(f"#exercises-{lesson.id}")

    def on_exercises_view_confirm_start(self, event: ExercisesView.ConfirmStart) -> None:
        """The Exercises tab asks before it writes the workspace file; a widget puts up
        no screen itself, so the question is put up here."""
        from workbench.tui.screens.confirm import ConfirmScreen

        event.stop()
        self.app.push_screen(ConfirmScreen(event.question, yes=event.yes, no=event.no),
                             event.answered)

    @property
    def form(self) -> ParamForm:
        return self.query_one(f"#form-{self.lesson.id}")

    def form_ready(self) -> bool:
        """Whether the lesson's form is on screen: the first one comes just after the
        first frame, and a key pressed within that moment must not find it missing."""
        found = self.query(f"#form-{self.lesson.id}")
        return bool(found) and found.first().is_mounted

    def _anatomy(self) -> AnatomyView | None:
        try:
            return self.query_one(f"#anatomy-{self.lesson.id}")
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

    # -- the setup's buttons, wired to RunControl's actions and the form -----------------
    # Here, not in the mixin: Textual collects `@on` handlers only from classes built on
    # its message pump (the screen), not from a plain mixin.
    @on(Button.Pressed, "#run")
    def _run_pressed(self) -> None:
        self.action_run()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    @on(Button.Pressed, "#reset")
    def reset_form(self) -> None:
        if self.form_ready():
            self.form.reset()
