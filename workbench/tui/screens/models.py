"""The models screen: the saved models, newest first; inspect one; delete one.

Everything here reads the .h5 files with h5py alone (`store.describe`), as `workbench
models` and `workbench inspect` do, so the screen opens instantly even before
TensorFlow has loaded.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from workbench import store
from workbench.errors import BadInput
from workbench.tui.display import metric_rows, number
from workbench.tui.screens.confirm import ConfirmScreen

COLUMNS = ("model", "lesson", "dataset", "saved", "key metric")


def saved_at(created: str | None) -> str:
    """ISO time in UTC from the metadata, shown in the learner's local time."""
    if not created:
        return ""
    try:
        return dt.datetime.fromisoformat(created).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return created


def details(info: store.ModelInfo) -> Group:
    """What `workbench inspect` prints: metadata, parameters, metrics, layers."""
    meta = info.metadata
    parts: list = [Text(str(info.path), style="bold")]
    if meta:
        parts.append(Text(f"lesson {meta.get('lesson')}"
                          + (f" ({meta['variant']})" if meta.get("variant") else "")
                          + f" · dataset {meta.get('dataset')} · seed {meta.get('seed')}"
                          + f" · {meta.get('device', '?')} · saved {saved_at(meta.get('created'))}"))
        params = Table(title="parameters", title_justify="left", header_style="bold", box=box.SIMPLE_HEAD)
        params.add_column("name")
        params.add_column("value")
        for name, value in meta.get("params", {}).items():
            params.add_row(name, value if isinstance(value, str) else json.dumps(value))
        metrics = Table(title="metrics", title_justify="left", header_style="bold", box=box.SIMPLE_HEAD)
        metrics.add_column("metric")
        metrics.add_column("value", justify="right")
        for name, shown in metric_rows(meta.get("metrics", {})):
            metrics.add_row(name, shown)
        parts += [params, metrics]
    else:
        parts.append(Text("a Keras model not saved by the workbench (no metadata)", style="dim"))
    layers = Table(title="layers", title_justify="left", header_style="bold", box=box.SIMPLE_HEAD)
    for column in ("layer", "type", "params"):
        layers.add_column(column, justify="right" if column == "params" else "left")
    for layer in info.layers:
        layers.add_row(layer.name, layer.type, f"{layer.params:,}")
    layers.add_row("total", "", f"{info.total_params:,}", style="bold")
    parts.append(layers)
    return Group(*parts)


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
        for column in COLUMNS:
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
            key = store.key_metric(info.metadata)
            table.add_row(info.path.name, info.lesson or "(not workbench)",
                          info.metadata.get("dataset") or "", saved_at(info.metadata.get("created")),
                          f"{key[0]} {number(key[1])}" if key else "", key=path)
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
            self.query_one("#model-info", Static).update(f"workbench: error: {exc}")
            return
        self.query_one("#model-info", Static).update(details(info))

    def action_delete(self) -> None:
        path = self.selected
        if path is None:
            self.notify("No model selected", severity="warning")
            return

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            Path(path).unlink(missing_ok=True)
            self.notify(f"Deleted {Path(path).name}")
            self.action_reload()

        self.app.push_screen(ConfirmScreen(f"Delete [b]{Path(path).name}[/b]?\n\n{path}\n\n"
                                           "The file is removed; this cannot be undone."), answered)

    async def action_generate(self) -> None:
        path = self.selected
        lstm = path if path and self.models[path].lesson == "lstm" else None
        await self.app.open_generate(lstm)
