"""The models screen: the saved models, newest first; inspect one; delete one.

Everything here reads the .h5 files with h5py alone (`store.describe`), as `workbench
models` and `workbench inspect` do, so the screen opens instantly even before
TensorFlow has loaded.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from workbench import generation, store, views
from workbench.errors import BadInput
from workbench.formatting import error_line
from workbench.tui.screens.confirm import ConfirmScreen


class ModelsScreen(Screen):
    BINDINGS = [
        Binding("escape", "app.switch_mode('lessons')", "Lessons", show=False),
        Binding("d,delete", "delete", "Delete"),
        Binding("i", "inspect", "Inspect"),
        Binding("g", "generate", "Generate"),
        Binding("f5", "reload", "Reload"),
    ]

    def __init__(self) -> None:
        super().__init__(id="models-screen")
        self.models: dict[str, store.ModelInfo] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="models-main"):
            yield DataTable(id="models-table", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="model-details"):
                yield Static("", id="model-info")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for column in views.MODEL_COLUMNS:
            table.add_column(column, key=column)
        self.query_one("#models-table").border_title = "Saved models"
        self.query_one("#model-details").border_title = "Inspect"

    def on_screen_resume(self) -> None:
        # A run may have saved a model since we last looked.
        self.action_reload()

    @property
    def folder(self) -> Path:
        return store.models_dir(self.app.models_dir)

    def action_reload(self) -> None:
        table = self.query_one(DataTable)
        selected = self.selected
        table.clear()
        self.models = {str(info.path): info for info in store.list_models(self.folder)}
        for path, info in self.models.items():
            table.add_row(*views.model_row(info), key=path)
        if not self.models:
            self.query_one("#model-info", Static).update(
                f"No saved models in {self.folder} yet.\n\nRun a lesson (l, then r): "
                "each run keeps its model here.")
            return
        if selected in self.models:
            table.move_cursor(row=table.get_row_index(selected))
        self.action_inspect()
        table.focus()

    @property
    def selected(self) -> str | None:
        table = self.query_one(DataTable)
        if not self.models or table.row_count == 0:
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
        self.query_one("#model-info", Static).update(views.inspect_view(info))

    def action_delete(self) -> None:
        path = self.selected
        if path is None:
            self.notify("No model selected", severity="warning")
            return

        pictures = [p.name for p in store.pictures_of(path)]
        also = f"\nand its pictures: {', '.join(pictures)}" if pictures else ""

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            removed = store.delete_model(path)
            self.notify(f"Deleted {', '.join(p.name for p in removed)}")
            self.action_reload()

        self.app.push_screen(ConfirmScreen(f"Delete [b]{Path(path).name}[/b]?\n\n{path}{also}\n\n"
                                           "The files are removed; this cannot be undone."), answered)

    async def action_generate(self) -> None:
        path = self.selected
        writer = path if path and generation.can_write(self.models[path]) else None
        await self.app.open_generate(writer)
