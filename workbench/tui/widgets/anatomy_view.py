"""The Anatomy tab: per layer, output shape, parameters and MACs of a lesson's network.

The network is built at the paper's size by `workbench.results.anatomy`, in a thread, since
building VGG takes seconds and TensorFlow, and drawn by `workbench.drawing.tables`: the very table
`workbench anatomy ARCH` prints, where the tab holds it whole. Where it does not, the
big counts are written in units (1.85G for 1,849,688,064), then the type column gives
way (`fitting_tables`); only a table too wide even then scrolls sideways. No number is cut. The tab follows
the form: it shows the architecture the lesson's parameters name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich import box
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.message import Message
from textual.containers import Horizontal, ScrollableContainer, Vertical
from textual.widgets import Input, Label, LoadingIndicator, Select, Static
from textual.worker import get_current_worker

from workbench.drawing import tables
from workbench.drawing.numbers import error_line
from workbench.errors import BadInput
from workbench.registry import Lesson
from workbench.tui.messages import AnatomyReady


def architecture_for(lesson: Lesson, values: dict[str, Any]) -> str | None:
    """The lesson's architecture that the form's values select (its `selected_by`)."""
    for a in lesson.architectures:
        if a.selected_by and all(values.get(key) == value for key, value in a.selected_by):
            return a.name
    return None


def compact_table(result, *, exact: tuple[str, ...] = (), types: bool = True) -> Table:
    """`tables.anatomy_table` with the counts not in `exact` written in units (K, M, G,
    as the summary above it writes them), and without the type column if not `types`."""
    from workbench.results.anatomy import human, shape_text

    def count(column: str, n: int) -> str:
        return f"{n:,}" if column in exact else human(n)

    numbers = ("output", "params", "MACs", "activations")
    table = Table(title=f"{result.arch} on {shape_text(result.input_shape)} "
                        "(K thousand, M million, G billion)",
                  title_justify="left", header_style="bold", box=box.SIMPLE_HEAD)
    for column in ("layer", "type") if types else ("layer",):
        table.add_column(column, no_wrap=True)  # a name is never split
    for column in numbers:
        table.add_column(column, justify="right", no_wrap=True)
    for layer in result.layers:
        table.add_row(layer.name, *([layer.type] if types else []), shape_text(layer.output_shape),
                      count("params", layer.params), count("MACs", layer.macs),
                      count("activations", layer.activations))
    table.add_row("total", *([""] if types else []), "", count("params", result.total_params),
                  count("MACs", result.total_macs), "", style="bold")
    return table


def fitting_tables(result) -> list:
    """The anatomy tables, the most exact first: the CLI's; then MACs and activations in
    units; then without the layer types (the names say most of it: block1_pool, c3);
    then the parameters in units too. Exact parameter counts are what the notes work out
    by hand (34,944 = 11 x 11 x 3 x 96 + 96), so they go last."""
    return [tables.anatomy_table(result),
            compact_table(result, exact=("params",)),
            compact_table(result, exact=("params",), types=False),
            compact_table(result, types=False)]


class AnatomyView(Vertical):
    """`arch` is the architecture shown; the select mirrors it. The view may be asked to
    follow the form before its children exist (it is made on a lesson's first visit),
    so the attribute, not the select, is the truth."""

    DEFAULT_CSS = """
    AnatomyView {
        height: 100%;
    }
    #anatomy-head {
        height: auto;
        margin: 1 0 0 0;
    }
    #anatomy-head, #anatomy-input-row {
        height: auto;
    }
    #anatomy-input {
        width: 1fr;
    }
    #anatomy-arch {
        width: 1fr;
    }
    #anatomy-summary {
        height: auto;
        margin: 1 0;
    }
    #anatomy-loading {
        height: 3;
    }
    #anatomy-scroll {
        height: 1fr;
    }
    #anatomy-table {
        width: auto;
        height: auto;
    }
    """


    def __init__(self, lesson: Lesson, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lesson = lesson
        defaults = {p.name: p.default for p in lesson.params}
        self.arch = architecture_for(lesson, defaults) or lesson.architectures[0].name
        self.active = False  # analyse only while the tab is shown: building is not free
        self.input_shape: tuple[int, int, int] | None = None  # None: the paper's
        self.shown: tuple | None = None  # (architecture, input) whose table is on screen
        self.anatomy = None  # the shown network's `workbench.results.anatomy.Anatomy`
        self.tables: list = []  # its tables, most exact first
        self._ready = False

    def compose(self) -> ComposeResult:
        options = [(a.name, a.name) for a in self.lesson.architectures]
        with Horizontal(id="anatomy-head"):
            yield Label("architecture", classes="field-name")
            yield Select(options, value=self.arch, allow_blank=False, id="anatomy-arch",
                         compact=True)
        with Horizontal(id="anatomy-input-row"):
            yield Label("input HxWxC", classes="field-name")
            # Blank: the paper's size. Enter (or leaving the field) rebuilds at this size.
            yield Input("", placeholder=self._paper_input(), id="anatomy-input", compact=True)
        yield Static("", id="anatomy-summary")
        yield LoadingIndicator(id="anatomy-loading")
        with ScrollableContainer(id="anatomy-scroll"):
            yield Static("", id="anatomy-table")

    def on_mount(self) -> None:
        self.query_one("#anatomy-loading").display = False
        self._ready = True
        self.query_one("#anatomy-arch", Select).value = self.arch
        self.refresh_table()

    def _paper_input(self) -> str:
        from workbench.results.anatomy import shape_text

        chosen = next(a for a in self.lesson.architectures if a.name == self.arch)
        return f"{shape_text(chosen.input_shape)} (the paper's)"

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._take_input(event.value)

    def on_input_blurred(self, event: Input.Blurred) -> None:
        event.stop()
        self._take_input(event.value)

    def _take_input(self, text: str) -> None:
        from workbench.results.anatomy import parse_input

        summary = self.query_one("#anatomy-summary", Static)
        try:
            shape = parse_input(text.strip()) if text.strip() else None
        except BadInput as exc:
            summary.update(Text(error_line(exc)))
            self.shown = None  # a fixed value builds again
            return
        if shape != self.input_shape or self.shown is None:
            self.input_shape = shape
            self.refresh_table()

    def follow(self, values: dict[str, Any]) -> None:
        """The form changed: show the architecture it now names, if it names one."""
        name = architecture_for(self.lesson, values)
        if name is None or name == self.arch:
            return
        self.arch = name
        if self._ready:
            self.query_one("#anatomy-arch", Select).value = name
            self.query_one("#anatomy-input", Input).placeholder = self._paper_input()
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
            self.query_one("#anatomy-input", Input).placeholder = self._paper_input()
            self.refresh_table()
            chosen = next(a for a in self.lesson.architectures if a.name == self.arch)
            if chosen.selected_by:  # so `r` then trains what the tab shows
                self.post_message(self.Picked(dict(chosen.selected_by)))

    def refresh_table(self) -> None:
        wanted = (self.arch, self.input_shape)
        if not (self.active and self._ready) or wanted == self.shown:
            return
        self.shown = wanted
        self.query_one("#anatomy-loading").display = True
        self.query_one("#anatomy-summary", Static).update(
            f"building [b]{self.arch}[/b] at {self._size_words()}…")
        self._analyze(*wanted)

    def _size_words(self) -> str:
        from workbench.results.anatomy import shape_text

        return shape_text(self.input_shape) if self.input_shape else "the paper's size"

    @work(thread=True, exclusive=True, group="anatomy")
    def _analyze(self, arch: str, input_shape) -> None:
        from workbench.results import anatomy

        try:
            result = anatomy.anatomy_of(arch, input_shape)
        except Exception as exc:  # noqa: BLE001  (shown in the tab, the app keeps going)
            result, error = None, error_line(exc)
        else:
            error = None
        if not get_current_worker().is_cancelled:  # a newer choice superseded this one
            self.post_message(AnatomyReady((arch, input_shape), result, error))

    def on_anatomy_ready(self, message: AnatomyReady) -> None:
        message.stop()
        if message.built != self.shown:
            return
        self.query_one("#anatomy-loading").display = False
        summary = self.query_one("#anatomy-summary", Static)
        table = self.query_one("#anatomy-table", Static)
        if message.error:
            summary.update(message.error)
            self.anatomy, self.tables = None, []
            table.update("")
            return
        a = message.anatomy
        described = escape({x.name: x.summary for x in self.lesson.architectures}.get(a.arch, ""))
        summary.update(f"[b]{a.arch}[/b] at {self._size_words()}, random weights (the lesson trains "
                       f"a narrower copy): {described}\n" + escape("\n".join(tables.anatomy_summary(a))))
        self.anatomy, self.tables = a, fitting_tables(a)
        self._fit_table()

    def on_resize(self, event: events.Resize) -> None:
        self.call_after_refresh(self._fit_table)

    def _fit_table(self) -> None:
        """The most exact table the tab holds whole; the last one (scrolling) otherwise."""
        if not self.tables:
            return
        scroll = self.query_one("#anatomy-scroll")
        # Inside the box, less a vertical scrollbar's width: a long table will have one.
        room = scroll.size.width - scroll.styles.scrollbar_size_vertical
        fits = [t for t in self.tables if tables.natural_width(self.app.console, t) <= room]
        chosen = fits[0] if fits else self.tables[-1]
        table = self.query_one("#anatomy-table", Static)
        if table.content is not chosen:
            table.update(chosen)
