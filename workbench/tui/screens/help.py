"""`?`: every key of the screen underneath and of the app, read off their bindings.

The footer has room for the common keys only (at 100 columns, fewer still); this lists
all of them, so a key that is not in the footer is never a secret.
"""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

# Keys the widgets bring (Textual's own), worth knowing in this app.
WIDGET_KEYS = (
    ("tab / shift+tab", "move between the lesson list, the tabs, the notes and the form's fields"),
    ("↑ ↓ pgup pgdn", "scroll the notes, the run and the tables; pick in a list"),
    ("enter", "open a select; in a generate field, generate"),
    ("^p", "the command palette: every lesson and action by name"),
    ("^q", "quit"),
)


def key_rows(app, screen: Screen) -> list[tuple[str, str, str]]:
    """(key, what it does, where) for each binding of `screen` and of the app; actions
    bound to several keys are listed once, with every key."""
    rows: dict[tuple[str, str], list[str]] = {}
    for where, bindings in (("here", screen.BINDINGS), ("everywhere", app.BINDINGS)):
        for binding in bindings:
            if not isinstance(binding, Binding):
                binding = Binding(*binding)
            for key in binding.key.split(","):
                shown = app.get_key_display(Binding(key.strip(), binding.action))
                rows.setdefault((binding.description or binding.action, where), []).append(shown)
    return [(" / ".join(dict.fromkeys(keys)), what, where) for (what, where), keys in rows.items()]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close")]

    def __init__(self, under: Screen) -> None:
        super().__init__(id="help")
        self.under = under

    def compose(self) -> ComposeResult:
        table = Table(title="Keys (escape closes)", title_justify="left", expand=True,
                      show_edge=False, header_style="bold")
        table.add_column("key", no_wrap=True, style="bold")
        table.add_column("does", ratio=1, overflow="fold")
        table.add_column("where", no_wrap=True, style="dim")
        for key, what, where in key_rows(self.app, self.under):
            table.add_row(key, what, where)
        for key, what in WIDGET_KEYS:
            table.add_row(key, what, "everywhere")
        with VerticalScroll(id="help-box"):
            yield Static(table, id="help-keys")
