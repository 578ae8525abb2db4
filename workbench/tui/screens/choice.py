"""A question with 2-4 answers over the current screen (a guided path's prediction):
dismisses with the chosen answer's index, or None on escape."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from workbench.course.guide import LETTERS
from workbench.i18n.catalogue import tr
from workbench.i18n.language import DEFAULT as EN



class ChoiceScreen(ModalScreen[int | None]):
    DEFAULT_CSS = """
    ChoiceScreen {
        align: center middle;
    }
    #choice-box {
        width: 80%;
        max-width: 90;
        height: auto;
        border: thick $accent;
        background: $surface;
        padding: 1 2;
    }
    #choice-question {
        margin-bottom: 1;
    }
    #choice-keys {
        color: $text-muted;
    }
    .choice-answer {
        width: 100%;
        margin-bottom: 1;
    }
    """

    # Shown in the app's language (the app localizes every screen's bindings).
    BINDINGS = [Binding("escape", "dismiss(None)", tr(EN, "Not now")),
                *(Binding(letter, f"dismiss({i})", show=False) for i, letter in enumerate(LETTERS))]

    def __init__(self, question: str, answers: tuple[str, ...]) -> None:
        super().__init__(id="choice")
        self.question, self.answers = question, answers

    def compose(self) -> ComposeResult:
        with Vertical(id="choice-box"):
            yield Static(self.question, id="choice-question", markup=False)
            for i, answer in enumerate(self.answers):
                yield Button(f"{LETTERS[i]}) {answer}", id=f"choice-{i}", classes="choice-answer")
            yield Static(tr(getattr(self.app, "lang", EN), "a-{last} or enter answers; escape: not now",
                            last=LETTERS[len(self.answers) - 1]), id="choice-keys")

    def on_mount(self) -> None:
        self.query_one("#choice-0", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(int(event.button.id.removeprefix("choice-")))
