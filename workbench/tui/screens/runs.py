"""The runs screen: the run history, newest first; mark runs to overlay their curves and
put their numbers side by side (what `workbench runs compare` prints).

It reads the history file alone (SQLite, no TensorFlow), so it opens at once, and reads
it again whenever it comes back into view: a run in the app or the CLI may have ended.
Nothing on it is cut: the numbers side by side fold into name-over-values lines where the
box is narrow, and the curves' legend wraps under the plot."""

from __future__ import annotations

from typing import Sequence

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from workbench.drawing import guided_path
from workbench.drawing import tables
from workbench.drawing.numbers import number
from workbench.i18n.catalogue import tr
from workbench.i18n.language import DEFAULT as EN
from workbench.results import history
from workbench.tui.widgets.curves import Curves, Legend

COLUMNS = ("", *tables.RUN_COLUMNS)


class SideBySide:
    """Runs in columns, one a run: the parameters that differ, then the metrics
    (`workbench runs compare`'s table, which is drawn where it fits whole). In a narrower
    place each name stays whole on a line of its own, its values under it, right-aligned
    in the runs' columns: no value is cut and no name is split. Values wider than the
    whole place make it wider (the box then scrolls sideways)."""

    def __init__(self, runs: Sequence[history.RunRecord], metrics: Sequence[str]) -> None:
        self.table = guided_path.comparison_table(runs, metrics)
        self.heads = [f"#{run.id}" + (f" step {run.step}" if run.step else "") for run in runs]
        self.rows = [(name, [number(run.params.get(name, "-")) for run in runs], "cyan")
                     for name in guided_path.differing_params(runs)]
        self.rows += [(name, [number(run.metrics[name]) if name in run.metrics else "-"
                              for run in runs], "") for name in metrics]
        self.columns = [max([cell_len(head)] + [cell_len(values[i]) for _, values, _ in self.rows])
                        for i, head in enumerate(self.heads)]
        self.names = max((cell_len(name) for name, _, _ in self.rows), default=0)
        self.values = sum(self.columns) + 2 * max(len(self.columns) - 1, 0)

    def _table_width(self, console: Console, options: ConsoleOptions) -> int:
        return tables.natural_width(console, self.table, options)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        whole = self.names + 2 + self.values
        return Measurement(self.values, max(self.values, min(whole, options.max_width)))

    def _line(self, cells: Sequence[str]) -> str:
        return "  ".join(f"{cell:>{width}}" for cell, width in zip(cells, self.columns))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        if self._table_width(console, options) <= width:
            yield self.table
            return
        # Where the values' columns start: after the names if both fit, else flush right.
        start = self.names + 2 if self.names + 2 + self.values <= width else max(0, width - self.values)
        yield Text(" " * start + self._line(self.heads), style="bold", no_wrap=True)
        for name, values, style in self.rows:
            if cell_len(name) + 2 <= start:
                yield Text(f"{name:<{start}}{self._line(values)}", style=style, no_wrap=True)
            else:
                yield Text(name, style=style, overflow="fold")
                yield Text(" " * start + self._line(values), style=style, no_wrap=True)


class RunsScreen(Screen):
    DEFAULT_CSS = """
    #runs-main {
        height: 1fr;
    }
    #runs-table {
        height: auto;  /* as tall as its runs, up to 40%: the rest for curves and numbers */
        max-height: 40%;
        border: round $primary 50%;
        border-title-color: $primary;
    }
    #runs-table:focus {
        border: round $primary;
    }
    #runs-below {
        height: 1fr;
        min-height: 12;
    }
    #runs-curves {
        height: 1fr;
    }
    Legend {
        height: auto;
        padding: 0 1;
    }
    #runs-compare {
        width: 2fr;
        min-width: 36;
        border: round $secondary 50%;
    }
    #runs-numbers {
        width: auto;  /* the table at its natural width: a narrow box scrolls it sideways */
        height: auto;
        padding: 0 0 0 1;
    }
    """

    BINDINGS = [
        Binding("escape", "app.switch_mode('lessons')", tr(EN, "Lessons"), show=False),
        Binding("space", "mark", tr(EN, "Mark")),
        Binding("c", "clear_marks", tr(EN, "Clear the marks"), show=False),
        Binding("f5", "reload", tr(EN, "Reload")),
    ]

    def __init__(self) -> None:
        super().__init__(id="runs-screen")
        self.runs: dict[int, history.RunRecord] = {}
        self.marked: list[int] = []  # in the order marked: the table's and the legend's
        self.told_unreadable: set[int] = set()  # runs left out, each said once

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="runs-main"):
            yield DataTable(id="runs-table", cursor_type="row", zebra_stripes=True)
            with Horizontal(id="runs-below"):
                with Vertical(id="runs-curve-box", classes="curve-box"):
                    yield Curves(lambda key: True, id="runs-curves")
                    yield Legend(id="runs-legend")  # wrapped under the plot: every name whole
                with VerticalScroll(id="runs-compare"):
                    yield Static("", id="runs-numbers")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for column in COLUMNS:
            table.add_column(column, key=column or "mark")
        lang = self.app.lang
        table.border_title = tr(lang, "Runs · space marks runs to compare")
        self.query_one("#runs-curve-box").border_title = tr(lang, "loss by epoch")
        self.query_one("#runs-compare").border_title = tr(lang, "Side by side")

    def on_screen_resume(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        lang = self.app.lang
        found = history.Guarded(history.open_history(self.app.models_dir),
                                lambda reason: self.notify(tr(lang, "Run history not used: {reason}",
                                                              reason=history.in_language(reason, lang)),
                                                           severity="warning"))
        runs = found.runs(limit=500)
        for run_id, reason in found.unreadable.items():  # one bad row: one warning, once
            if run_id not in self.told_unreadable:
                self.told_unreadable.add(run_id)
                self.notify(tr(lang, "{problem}; the other runs are listed",
                               problem=history.in_language(reason, lang)), severity="warning", timeout=10)
        self.runs = {run.id: run for run in runs}
        self.marked = [run_id for run_id in self.marked if run_id in self.runs]
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        for run in runs:
            *cells, about = tables.run_row(run)
            table.add_row("●" if run.id in self.marked else " ", *cells, about[:40], key=str(run.id))
        if runs:
            table.move_cursor(row=min(row or 0, len(runs) - 1))
        else:
            self.query_one("#runs-numbers", Static).update(
                tr(self.app.lang, "No runs yet. Every run, in the app or with workbench run, is kept here."))
        self._show()

    def _cursor_run(self) -> history.RunRecord | None:
        table = self.query_one(DataTable)
        if not self.runs or table.cursor_row is None:
            return None
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        return self.runs.get(int(key))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_mark()

    def action_mark(self) -> None:
        run = self._cursor_run()
        if run is None:
            return
        if run.id in self.marked:
            self.marked.remove(run.id)
        else:
            self.marked.append(run.id)
        self.query_one(DataTable).update_cell(str(run.id), "mark", "●" if run.id in self.marked else " ")
        self._show()

    def action_clear_marks(self) -> None:
        self.marked.clear()
        self.action_reload()

    def _show(self) -> None:
        """The marked runs (or the one under the cursor): curves overlaid, numbers side by side."""
        shown = [self.runs[i] for i in self.marked] or [r for r in [self._cursor_run()] if r]
        curves = self.query_one("#runs-curves", Curves)
        curves.series = history.curves(shown, "loss")
        curves.replot()
        # Runs that train nothing per epoch (kNN, backprop's graphs) have no curve to draw:
        # their numbers take the whole width rather than sit beside an empty plot.
        self.query_one("#runs-curve-box").display = bool(curves.series) or not shown
        if shown:
            self.query_one("#runs-numbers", Static).update(
                SideBySide(shown, guided_path.scalar_metrics(shown)))
