"""The lesson screen's runs: starting one, following it, cancelling it, saying how it ended.

Runs go through `runner.execute` in a thread worker, exactly as `workbench run` does; the
worker posts the run's events to the Run tab and never touches a widget itself. One
run at a time: the cancel event is the run's only off switch, and it is set on
`escape`, on the Cancel button, and whenever the screen or the app goes away, so a
thread is never left training behind a closed app (and the runner saves nothing).

`RunControl` is a mixin of `LessonScreen` rather than a helper object: `active_run` is a
reactive of the screen (its buttons, footer and palette follow it), the worker belongs to
the screen, and Textual finds `action_run`, `on_run_ended` and `watch_active_run` by name
on it. It relies on the screen for `lesson`, `form`, `highlighted_lesson`, `show_lesson`
and `show_path`. The setup's buttons are wired to these actions in the screen itself:
Textual collects `@on` handlers only from classes built on its message pump.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import traceback
from typing import TYPE_CHECKING

from rich.markup import escape
from textual import work
from textual.css.query import NoMatches
from textual.reactive import reactive
from textual.widgets import Button, Static, TabbedContent

from workbench.drawing.numbers import error_line, number
from workbench.errors import BadInput, Cancelled
from workbench.i18n.catalogue import tr
from workbench.i18n.language import DEFAULT as EN
from workbench.registry import Lesson
from workbench.running.events import Log
from workbench.tui.messages import RunEnded, RunEvent, post

if TYPE_CHECKING:
    from workbench.running.runner import Request
    from workbench.tui.widgets.run_panel import RunPanel


def replace_question(paths, lang: str = EN) -> str:
    """What a run would replace: each model with its key number and its pictures."""
    from workbench.results import store

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


class RunControl:
    """One run at a time of the form's values, in a worker, with its off switch."""

    # The run going on now (its cancel switch and lesson), or None: the one fact that
    # buttons, footer and the palette follow, through `watch_active_run`.
    active_run: reactive[tuple[threading.Event, Lesson] | None] = reactive(None, init=False)

    @property
    def running(self) -> bool:
        return self.active_run is not None

    def watch_active_run(self) -> None:
        self.query_one("#run", Button).disabled = self.running
        self.query_one("#cancel", Button).disabled = not self.running
        self.refresh_bindings()

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
        if not self.form_ready():
            self.notify(tr(lang, "Starting up; press r again"), severity="warning")
            return
        ready = self.form.validated()
        if ready is None:
            self.notify(tr(lang, "Not started: fix the values marked in the form"), severity="error")
            return
        if not self._can_spread(ready):
            return
        out = self.form.out_path()
        taken = [path for path in self.form.planned_paths(ready.settings, step) if path.exists()]
        if step is not None:
            ready = dataclasses.replace(ready, step=step)
        if not taken:
            self._start(ready, out)
            return

        from workbench.tui.screens.confirm import ConfirmScreen

        def answered(replace: bool | None) -> None:
            if replace:
                self._start(ready, out)
            else:
                self.notify(tr(lang, "Not started: name the output in the form's out field"),
                            severity="warning")

        self.app.push_screen(ConfirmScreen(replace_question(taken, lang), yes=tr(lang, "Replace"),
                                           no=tr(lang, "Keep")), answered)

    def _can_spread(self, ready: Request) -> bool:
        """With `workbench --workers N`, whether this run can train across them; if not,
        the reason, and nothing starts."""
        if not self.app.cluster_workers:
            return True
        from workbench.running.placement import check_across_workers

        try:
            check_across_workers(ready.lesson, ready.settings,
                                 remedy="open the app without --workers to run it")
        except BadInput as exc:
            self.notify(tr(self.app.lang, "Not started: {reason}", reason=str(exc)),
                        severity="error")
            return False
        return True

    def _start(self, ready: Request, out) -> None:
        try:
            panel = self.query_one("#run-panel")
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
        from workbench.running import runner

        try:
            if self.app.cluster_workers:
                from workbench.tui.child_run import run_in_child

                result = run_in_child(ready, workers=self.app.cluster_workers,
                                      models_dir=self.app.models_dir, out=out, lang=self.app.lang,
                                      cancel=cancel,
                                      on_event=lambda event: post(panel, RunEvent(event)))
            else:
                result = runner.execute(ready, out=out, models_dir=self.app.models_dir,
                                        cancel=cancel,
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
        for form in self.query(".param-form"):  # a name just taken is now one a run would replace
            form.show_outputs()
        if message.outcome == "done":
            self.notify(tr(lang, "{lesson}: done", lesson=title), title=tr(lang, "Run finished"))
        elif message.outcome == "cancelled":
            self.notify(tr(lang, "{lesson}: cancelled; nothing was saved", lesson=title),
                        severity="warning")
        else:
            self.notify(message.error or tr(lang, "failed"),
                        title=tr(lang, "{lesson} failed", lesson=title), severity="error")

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
