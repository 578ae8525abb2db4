"""The runs screen: the run history, newest first; mark runs to overlay their curves and
put their numbers side by side (what `workbench runs compare` prints).

It reads the history file alone (SQLite, no TensorFlow), so it opens at once, and reads
it again whenever it comes back into view: a run in the app or the CLI may have ended."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from workbench import history, path_views, runs_cli
from workbench.formatting import number
from workbench.tui.widgets.curves import Curves
from workbench.tui.widgets.run_panel import curve_box

COLUMNS = ("", "run", "started", "lesson", "step", "outcome", "key result")


class RunsScreen(Screen):
    BINDINGS = [
        Binding("escape", "app.switch_mode('lessons')", "Lessons", show=False),
        Binding("space", "mark", "Mark"),
        Binding("c", "clear_marks", "Clear the marks", show=False),
        Binding("f5", "reload", "Reload"),
    ]

    def __init__(self) -> None:
        super().__init__(id="runs-screen")
        self.runs: dict[int, history.RunRecord] = {}
        self.marked: list[int] = []  # in the order marked: the table's and the legend's

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="runs-main"):
            yield DataTable(id="runs-table", cursor_type="row", zebra_stripes=True)
            with Horizontal(id="runs-below"):
                yield curve_box("loss by epoch", Curves(lambda key: True, id="runs-curves"))
                with VerticalScroll(id="runs-compare"):
                    yield Static("", id="runs-numbers")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for column in COLUMNS:
            table.add_column(column, key=column or "mark")
        table.border_title = "Runs · space marks runs to compare"
        self.query_one("#runs-compare").border_title = "Side by side"

    def on_screen_resume(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        found = history.Guarded(history.open_history(self.app.models_dir),
                                lambda reason: self.notify(f"Run history not used: {reason}",
                                                           severity="warning"))
        runs = found.runs(limit=500)
        self.runs = {run.id: run for run in runs}
        self.marked = [run_id for run_id in self.marked if run_id in self.runs]
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        for run in runs:
            key = runs_cli.key_metric(run)
            table.add_row("●" if run.id in self.marked else " ", f"#{run.id}",
                          run.started[:16].replace("T", " "), run.lesson,
                          str(run.step or ""), run.outcome,
                          f"{key[0]} {number(key[1])}" if key else (run.message or "")[:40],
                          key=str(run.id))
        if runs:
            table.move_cursor(row=min(row or 0, len(runs) - 1))
        else:
            self.query_one("#runs-numbers", Static).update(
                "No runs yet. Every run, in the app or with workbench run, is kept here.")
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
        curves.series = runs_cli.curves(shown, "loss")
        curves.replot()
        if shown:
            self.query_one("#runs-numbers", Static).update(
                path_views.comparison_table(shown, path_views.scalar_metrics(shown)))
