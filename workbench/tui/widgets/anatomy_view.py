"""The Anatomy tab: per layer, output shape, parameters and MACs of a lesson's network.

The network is built at the paper's size by `workbench.anatomy`, in a thread, since
building VGG takes seconds and TensorFlow, and drawn by `workbench.views`: the very table
`workbench anatomy ARCH` prints, at its natural width, scrolling sideways when the tab is
narrower. The tab follows the form: it shows the architecture the lesson's parameters name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.message import Message
from textual.containers import Horizontal, ScrollableContainer, Vertical
from textual.widgets import Label, LoadingIndicator, Select, Static
from textual.worker import get_current_worker

from workbench import views
from workbench.formatting import error_line
from workbench.registry import Lesson
from workbench.tui.messages import AnatomyReady


def architecture_for(lesson: Lesson, values: dict[str, Any]) -> str | None:
    """The lesson's architecture that the form's values select (its `selected_by`)."""
    for a in lesson.architectures:
        if a.selected_by and all(values.get(key) == value for key, value in a.selected_by):
            return a.name
    return None


class AnatomyView(Vertical):
    """`arch` is the architecture shown; the select mirrors it. The view may be asked to
    follow the form before its children exist (it is made on a lesson's first visit),
    so the attribute, not the select, is the truth."""

    def __init__(self, lesson: Lesson, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lesson = lesson
        defaults = {p.name: p.default for p in lesson.params}
        self.arch = architecture_for(lesson, defaults) or lesson.architectures[0].name
        self.active = False  # analyse only while the tab is shown: building is not free
        self.shown: str | None = None  # the architecture whose table is on screen
        self._ready = False

    def compose(self) -> ComposeResult:
        options = [(a.name, a.name) for a in self.lesson.architectures]
        with Horizontal(id="anatomy-head"):
            yield Label("architecture", classes="field-name")
            yield Select(options, value=self.arch, allow_blank=False, id="anatomy-arch",
                         compact=True)
        yield Static("", id="anatomy-summary")
        yield LoadingIndicator(id="anatomy-loading")
        with ScrollableContainer(id="anatomy-scroll"):
            yield Static("", id="anatomy-table")

    def on_mount(self) -> None:
        self.query_one("#anatomy-loading").display = False
        self._ready = True
        self.query_one("#anatomy-arch", Select).value = self.arch
        self.refresh_table()

    def follow(self, values: dict[str, Any]) -> None:
        """The form changed: show the architecture it now names, if it names one."""
        name = architecture_for(self.lesson, values)
        if name is None or name == self.arch:
            return
        self.arch = name
        if self._ready:
            self.query_one("#anatomy-arch", Select).value = name
        self.refresh_table()

    def activate(self) -> None:
        self.active = True
        self.refresh_table()

    @dataclass
    class Picked(Message):
        """The learner picked `settings` in the tab: the form should say the same."""

        settings: dict[str, Any]

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.value != self.arch:  # the learner picked another one
            self.arch = event.value
            self.refresh_table()
            chosen = next(a for a in self.lesson.architectures if a.name == self.arch)
            if chosen.selected_by:  # so `r` then trains what the tab shows
                self.post_message(self.Picked(dict(chosen.selected_by)))

    def refresh_table(self) -> None:
        if not (self.active and self._ready) or self.arch == self.shown:
            return
        self.shown = self.arch
        self.query_one("#anatomy-loading").display = True
        self.query_one("#anatomy-summary", Static).update(
            f"building [b]{self.arch}[/b] at the paper's size…")
        self._analyze(self.arch)

    @work(thread=True, exclusive=True, group="anatomy")
    def _analyze(self, arch: str) -> None:
        from workbench import anatomy

        try:
            result = anatomy.anatomy_of(arch)
        except Exception as exc:  # noqa: BLE001  (shown in the tab, the app keeps going)
            result, error = None, error_line(exc)
        else:
            error = None
        if not get_current_worker().is_cancelled:  # a newer choice superseded this one
            self.post_message(AnatomyReady(arch, result, error))

    def on_anatomy_ready(self, message: AnatomyReady) -> None:
        message.stop()
        if message.arch != self.shown:
            return
        self.query_one("#anatomy-loading").display = False
        summary = self.query_one("#anatomy-summary", Static)
        table = self.query_one("#anatomy-table", Static)
        if message.error:
            summary.update(message.error)
            table.update("")
            return
        a = message.anatomy
        described = escape({x.name: x.summary for x in self.lesson.architectures}.get(a.arch, ""))
        summary.update(f"[b]{a.arch}[/b] at the paper's size, random weights (the lesson trains "
                       f"a narrower copy): {described}\n" + escape("\n".join(views.anatomy_summary(a))))
        table.update(views.anatomy_table(a))
