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

from workbench.i18n.catalogue import tr
from workbench.i18n.language import DEFAULT as EN

# Keys the widgets bring (Textual's own), worth knowing in this app; a screen whose
# widgets differ declares its own `WIDGET_KEYS`.
WIDGET_KEYS = (
    ("tab / shift+tab", tr(EN, "move between the lesson list, the tabs, the notes and the form's fields")),
    ("↑ ↓ pgup pgdn", tr(EN, "scroll the notes, the run and the tables; pick in a list")),
    ("enter", tr(EN, "open a select; in a generate field, generate")),
    ("^p", tr(EN, "the command palette: every lesson and action by name")),
    ("^q", tr(EN, "quit")),
)


def key_rows(app, screen: Screen) -> list[tuple[str, str, str]]:
    """(key, what it does, where) for each binding of `screen` and of the app; actions
    bound to several keys are listed once, with every key, and each key once: at the
    first binding that has it, as Textual looks them up (the screen's before the app's,
    so an app key the screen binds to something else is listed as the screen's). A screen's
    `KEY_GROUPS`, ((where, bindings), ...), add the keys of a part of it (the Path tab's
    n and p), which work where its focus is. Words in the app's language."""
    lang = getattr(app, "lang", EN)
    rows: dict[tuple[str, str], list[str]] = {}
    seen: set[str] = set()
    groups = ((tr(EN, "here"), screen.BINDINGS, True),
              *((where, bindings, False) for where, bindings in getattr(screen, "KEY_GROUPS", ())),
              (tr(EN, "everywhere"), app.BINDINGS, True))
    for where, bindings, shadows in groups:
        for binding in bindings:
            if not isinstance(binding, Binding):
                binding = Binding(*binding)
            for key in binding.key.split(","):
                shown = app.get_key_display(Binding(key.strip(), binding.action))
                if shadows:
                    if shown in seen:
                        continue
                    seen.add(shown)
                what = tr(lang, binding.description) if binding.description else binding.action
                rows.setdefault((what, tr(lang, where)), []).append(shown)
    return [(" / ".join(dict.fromkeys(keys)), what, where) for (what, where), keys in rows.items()]


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
        background: $background 60%;
    }
    #help-box {
        width: 90%;
        max-width: 100;
        height: 90%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    #help-keys {
        height: auto;
    }
    """

    BINDINGS = [Binding("escape,question_mark,q,f1", "dismiss", tr(EN, "Close"))]

    def __init__(self, under: Screen) -> None:
        super().__init__(id="help")
        self.under = under

    def compose(self) -> ComposeResult:
        lang = getattr(self.app, "lang", EN)
        table = Table(title=tr(lang, "Keys (escape closes)"), title_justify="left", expand=True,
                      show_edge=False, header_style="bold")
        table.add_column(tr(lang, "key"), no_wrap=True, style="bold")
        table.add_column(tr(lang, "does"), ratio=1, overflow="fold")
        table.add_column(tr(lang, "where"), no_wrap=True, style="dim")
        for key, what, where in key_rows(self.app, self.under):
            table.add_row(key, what, where)
        for key, what in getattr(self.under, "WIDGET_KEYS", WIDGET_KEYS):
            table.add_row(key, tr(lang, what), tr(lang, "everywhere"))
        with VerticalScroll(id="help-box"):
            yield Static(table, id="help-keys")
