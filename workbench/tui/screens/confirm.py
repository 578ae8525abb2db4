"""A yes/no question over the current screen; dismisses with True only on the yes button."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from workbench.i18n.catalogue import tr
from workbench.i18n.language import DEFAULT as EN


class ConfirmScreen(ModalScreen[bool]):
    DEFAULT_CSS = """
    ConfirmScreen {
        align: center middle;
        background: $background 60%;
    }
    #confirm-box {
        width: 64;
        height: auto;
        border: thick $error;
        background: $surface;
        padding: 1 2;
    }
    #confirm-question {
        height: auto;
    }
    #confirm-buttons {
        height: auto;
        margin: 1 0 0 0;
        align-horizontal: right;
    }
    #confirm-buttons Button {
        margin: 0 0 0 1;
    }
    """

    # Shown in the app's language (the app localizes every screen's bindings).
    BINDINGS = [Binding("escape", "dismiss(False)", tr(EN, "Keep")),
                Binding("y", "dismiss(True)", tr(EN, "Yes"))]

    def __init__(self, question: str, yes: str | None = None, no: str | None = None) -> None:
        """`yes`/`no`: the buttons' words, already in the app's language; by default
        Delete and Keep in it."""
        super().__init__(id="confirm")
        self.question = question
        try:
            lang = self.app.lang
        except Exception:  # noqa: BLE001  (made outside an app, as in a unit test)
            lang = EN
        self.yes = yes or tr(lang, "Delete")
        self.no = no or tr(lang, "Keep")

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(self.question, id="confirm-question")
            with Horizontal(id="confirm-buttons"):
                yield Button(self.no, id="confirm-no", variant="primary")
                yield Button(self.yes, id="confirm-yes", variant="error")

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()  # the safe answer is the default

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")
