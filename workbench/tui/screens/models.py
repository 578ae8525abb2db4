"""The models screen: the saved models, newest first; inspect one; delete one.

Everything here reads the .h5 files with h5py alone (`store.describe`), as `workbench
models` and `workbench inspect` do, so the screen opens instantly even before
TensorFlow has loaded.

Nothing is cut: each model's key number comes right after its name, the list keeps only
the columns its width holds whole (the dataset, then the date, then the lesson give way:
the Inspect box says them all), and below `NARROW` columns the Inspect box goes under the
list, at the screen's full width, where its tables fit.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Sequence

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from workbench.drawing import tables
from workbench.drawing.numbers import error_line
from workbench.errors import BadInput
from workbench.i18n.catalogue import tr
from workbench.i18n.language import DEFAULT as EN
from workbench.results import store
from workbench.running import generation
from workbench.tui.screens.confirm import ConfirmScreen

# Below this many columns the Inspect box goes under the list (the lesson screen's limit).
NARROW = 140

# One cell per column, from `tables.model_row`'s (file, lesson, dataset, saved, key metric).
CELLS = {"model": 0, "key metric": 4, "lesson": 1, "saved": 3, "dataset": 2}
# The columns shown, the first set the width holds whole: the less telling ones go first.
LAYOUTS = (("model", "key metric", "lesson", "saved", "dataset"),
           ("model", "key metric", "lesson", "saved"),
           ("model", "key metric", "lesson"),
           ("model", "key metric"))


class ModelsTable(DataTable):
    """The saved models, one a row, in the columns that fit whole at the table's width."""

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.rows_shown: list[tuple[str, tuple[str, ...]]] = []  # (path, tables.model_row)
        self.layout_shown: Sequence[str] = ()

    def room(self) -> int:
        """The cells' width: inside the border, less a vertical scrollbar's, which the
        list may need once it is longer than its box."""
        return self.size.width - self.styles.scrollbar_size_vertical

    def layout_for(self, width: int) -> Sequence[str]:
        def needs(columns: Sequence[str]) -> int:
            return sum(max([cell_len(name)] + [cell_len(str(row[CELLS[name]])) for _, row in self.rows_shown])
                       + 2 * self.cell_padding for name in columns)
        return next((columns for columns in LAYOUTS if needs(columns) <= width), LAYOUTS[-1])

    def show(self, rows: list[tuple[str, tuple[str, ...]]]) -> None:
        self.rows_shown = rows
        self._draw(self.layout_for(self.room()))

    def _draw(self, columns: Sequence[str]) -> None:
        selected = self.cursor_row
        self.clear(columns=True)
        self.layout_shown = columns
        for name in columns:
            self.add_column(name, key=name)
        for path, row in self.rows_shown:
            self.add_row(*(row[CELLS[name]] for name in columns), key=path)
        if self.rows_shown:
            self.move_cursor(row=min(selected, len(self.rows_shown) - 1), animate=False)

    def on_resize(self, event: events.Resize) -> None:
        columns = self.layout_for(self.room())
        if columns != self.layout_shown:
            self._draw(columns)


class Inspected:
    """`workbench inspect`'s view of a model, its path whole on the first line: the full
    path where the width holds it, else the path inside the models folder."""

    def __init__(self, info: store.ModelInfo, folder: Path) -> None:
        self.info, self.folder = info, folder

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        info = self.info
        if cell_len(str(info.path)) > options.max_width:
            info = dataclasses.replace(info, path=Path(tables.shown_path(info.path, self.folder)))
        yield tables.inspect_view(info)


class ModelsScreen(Screen):
    DEFAULT_CSS = """
    #models-main {
        height: 1fr;
    }
    #models-table {
        width: 3fr;
        height: 100%;
        border: round $primary 50%;
        border-title-color: $primary;
    }
    #models-table:focus {
        border: round $primary;
    }
    #model-details {
        width: 2fr;
        min-width: 40;
        height: 100%;
        border: round $secondary 50%;
        border-title-color: $secondary;
        padding: 0 1;
    }
    #model-info {
        height: auto;
    }
    /* Below 140 columns: the list on top, as tall as its models up to 40%, and Inspect under
       it at the full width, where its tables fit whole. */
    ModelsScreen.-narrow #models-main {
        layout: vertical;
    }
    ModelsScreen.-narrow #models-table {
        width: 100%;
        height: auto;
        max-height: 40%;
    }
    ModelsScreen.-narrow #model-details {
        width: 100%;
        height: 1fr;
    }
    """

    BINDINGS = [
        Binding("escape", "app.switch_mode('lessons')", tr(EN, "Lessons"), show=False),
        Binding("d,delete", "delete", tr(EN, "Delete")),
        Binding("i", "inspect", tr(EN, "Inspect")),
        Binding("g", "generate", tr(EN, "Generate")),
        Binding("f5", "reload", tr(EN, "Reload")),
    ]

    def __init__(self) -> None:
        super().__init__(id="models-screen")
        self.models: dict[str, store.ModelInfo] = {}
        self.unreadable: dict[str, str] = {}  # path: why it is not a model we can read

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="models-main"):
            yield ModelsTable(id="models-table")
            with VerticalScroll(id="model-details"):
                yield Static("", id="model-info")
        yield Footer()

    def on_mount(self) -> None:
        self._fit(self.app.size.width)
        self.query_one("#models-table").border_title = tr(self.app.lang, "Saved models")
        self.query_one("#model-details").border_title = tr(self.app.lang, "Inspect")

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size.width)

    def _fit(self, width: int) -> None:
        self.set_class(width < NARROW, "-narrow")

    def on_screen_resume(self) -> None:
        # A run may have saved a model since we last looked.
        self.action_reload()

    @property
    def folder(self) -> Path:
        return store.models_dir(self.app.models_dir)

    def action_reload(self) -> None:
        table = self.query_one(ModelsTable)
        selected = self.selected
        infos, unreadable = store.scan_models(self.folder)
        self.models = {str(info.path): info for info in infos}
        self.unreadable = {str(path): reason for path, reason in unreadable}
        table.show([(path, tables.model_row(info)) for path, info in self.models.items()]
                   + [(path, _greyed(Path(path).name, tr(self.app.lang, reason)))
                      for path, reason in self.unreadable.items()])
        if not self.models and not self.unreadable:
            self.query_one("#model-info", Static).update(
                tr(self.app.lang, "No saved models in {folder} yet.\n\nRun a lesson (l, then r): "
                   "each run keeps its model here.", folder=self.folder))
            return
        if selected in self.models:
            table.move_cursor(row=table.get_row_index(selected))
        self.action_inspect()
        table.focus()

    @property
    def selected(self) -> str | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.action_inspect()

    def action_inspect(self) -> None:
        path = self.selected
        if path is None:
            return
        try:  # read afresh: the file may have been rewritten or removed meanwhile
            info = store.describe(path)
        except BadInput as exc:
            self.query_one("#model-info", Static).update(error_line(exc))
            return
        self.query_one("#model-info", Static).update(Inspected(info, self.folder))

    def action_delete(self) -> None:
        path = self.selected
        if path is None:
            self.notify(tr(self.app.lang, "No model selected"), severity="warning")
            return
        if path in self.unreadable:  # not ours to remove: it may be anything
            self.notify(tr(self.app.lang, "{name} is not a model ({reason}); nothing was deleted",
                           name=Path(path).name, reason=tr(self.app.lang, self.unreadable[path])),
                        severity="warning")
            return

        pictures = [p.name for p in store.pictures_of(path)]
        also = ("\n" + tr(self.app.lang, "and its pictures: {names}", names=", ".join(pictures))
                if pictures else "")

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            removed = store.delete_model(path)
            self.notify(tr(self.app.lang, "Deleted {names}", names=", ".join(p.name for p in removed)))
            self.action_reload()

        lang = self.app.lang
        self.app.push_screen(ConfirmScreen(tr(lang, "Delete [b]{name}[/b]?", name=Path(path).name)
                                           + f"\n\n{path}{also}\n\n"
                                           + tr(lang, "The files are removed; this cannot be undone.")),
                             answered)

    async def action_generate(self) -> None:
        path = self.selected
        writer = path if path in self.models and generation.can_write(self.models[path]) else None
        await self.app.open_generate(writer)


def _greyed(name: str, reason: str) -> tuple[Text, ...]:
    """A row for a file that is not a model we can read: greyed, the reason in place of
    the key metric."""
    return (Text(name, style="dim"), Text("", style="dim"), Text("", style="dim"),
            Text("", style="dim"), Text(reason, style="dim italic"))
