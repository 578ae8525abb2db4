"""The generate screen: write text with a saved LSTM, streamed in as it is sampled.

The same sampler and options as `workbench generate` (`workbench.running.generation`): the prime
warms the state up, then each compiled call samples a chunk of characters that is shown
at once. Loading a model and
tracing its sampling loop takes seconds, so samplers are kept per file (and dropped
when the file changes).

Keys in a field belong to the field: a printable key is typed there, or refused with a
word when a number field cannot hold it, and never also acts. The one key left to act is
`?` in a number field, which no number holds: it lists the keys, as everywhere else; F1
lists them from any field, the prime's too. A field's error follows its value: it shows
as soon as the value is wrong and goes once it is right.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Footer, Header, Input, Label, Select, Static, TextArea

from workbench.drawing.numbers import error_line
from workbench.i18n.catalogue import tr
from workbench.i18n.language import DEFAULT as EN
from workbench.params import Param
from workbench.results import store
from workbench.running import generation
from workbench.running.generation import OPTIONS
from workbench.tui.messages import GenerationEnded, TextGenerated, post
from workbench.tui.widgets.param_form import CheckValidator, FormField, ParamField

HELP_KEY = "?"  # the app's key for the list of keys


class NumberInput(Input):
    """A number option's text: it takes the characters a number is written with and
    refuses the rest, saying so (`Refused`), so no stray key lands in it unseen. `?` is
    neither typed nor refused: it goes on to the app, which lists the keys."""

    @dataclass
    class Refused(Message):
        """`text` was not typed into `input`: a number cannot hold it."""

        input: "NumberInput"
        text: str

        @property
        def control(self) -> "NumberInput":
            return self.input

    def __init__(self, param: Param, **kwargs) -> None:
        # int("1_000") and float("1e-3") are numbers to the option's own check, too.
        self.characters = "0123456789+-_" + (".eE" if param.kind is float else "")
        super().__init__(param.format(param.default), compact=True, classes="field-control",
                         validators=[CheckValidator(param.coerce)],
                         validate_on=["changed", "submitted", "blur"],
                         restrict=f"[{re.escape(self.characters)}]*", **kwargs)

    def check_consume_key(self, key: str, character: str | None) -> bool:
        return super().check_consume_key(key, character) and character != HELP_KEY

    async def _on_key(self, event: events.Key) -> None:
        character = event.character
        if not event.is_printable or character is None or character in self.characters:
            return  # Input's own handler, next in line, types it or moves the cursor
        event.prevent_default()  # not typed...
        if character != HELP_KEY:  # ...and not acted on: only `?` goes on to its binding
            event.stop()
            self.post_message(self.Refused(self, character))

    def restricted(self) -> None:  # a paste with something a number cannot hold
        self.post_message(self.Refused(self, "the pasted text"))


class OptionField(ParamField):
    """A generation option; the numbers among them take `NumberInput`s."""

    def make_control(self) -> Widget:
        if self.param.kind in (int, float) and not self.param.many:
            return NumberInput(self.param, id=f"param-{self.param.name}")
        return super().make_control()


class GenerateScreen(Screen):
    # The buttons stay in sight below the options, however far those scroll (at 100x30
    # the seed is below the fold), as the lesson screen's Run stays below its form.
    DEFAULT_CSS = """
    #generate-main {
        height: 1fr;
    }
    #generate-setup {
        width: 46;
        height: 100%;
        border: round $secondary 50%;
        border-title-color: $secondary;
        padding: 0 1;
    }
    #generate-setup:focus-within {
        border: round $secondary;
    }
    #generate-buttons {
        height: auto;
    }
    #generate-buttons Button {
        margin: 0 1 0 0;
    }
    #generate-output {
        width: 1fr;
        height: 100%;
        border: round $primary 50%;
        border-title-color: $primary;
    }
    #generated {
        height: 1fr;
        border: none;
    }
    #generate-status {
        height: auto;
        padding: 0 1;
        color: $text-muted;
    }
    #generate-fields {
        height: 1fr;
    }
    """

    BINDINGS = [
        Binding("escape", "stop_or_leave", tr(EN, "Stop / Lessons")),
        # ctrl+r works everywhere, inside a field too, as on the lesson screen; so does
        # Enter in a field.
        Binding("ctrl+r", "generate", tr(EN, "Generate")),
        Binding("g", "generate", tr(EN, "Generate"), show=False),
        Binding("ctrl+g", "generate", tr(EN, "Generate"), show=False),
        Binding("f5", "reload", tr(EN, "Reload models"), show=False),
        # The footer offers F1 where `?` is typed (the prime); it works everywhere here.
        Binding("f1", "keys('in a field')", tr(EN, "Keys")),
        Binding("f1", "keys", tr(EN, "Keys"), show=False),
    ]

    # The keys the widgets of this screen bring, for `?` (see `screens.help`): English
    # message ids, shown in the app's language.
    WIDGET_KEYS = (
        ("tab / shift+tab", tr(EN, "move between the model, the fields, the buttons and the text")),
        ("enter", tr(EN, "in a field: generate; on the model: open the list of saved LSTMs")),
        ("↑ ↓ pgup pgdn", tr(EN, "scroll the options and the text; pick in the list")),
        ("^p", tr(EN, "the command palette: every lesson and action by name")),
        ("^q", tr(EN, "quit")),
    )

    # The stop switch of the generation going on now, or None; buttons follow it.
    stop_event: reactive[threading.Event | None] = reactive(None, init=False)

    def __init__(self) -> None:
        super().__init__(id="generate-screen")
        self._samplers: dict[tuple[str, int], object] = {}  # (path, mtime) -> Sampler
        self._lock = threading.Lock()  # one worker at a time builds or uses a sampler
        self.wanted: str | None = None  # a model to preselect (from the models screen)

    def compose(self) -> ComposeResult:
        lang = self.app.lang
        yield Header()
        with Horizontal(id="generate-main"):
            with Vertical(id="generate-setup"):
                with VerticalScroll(id="generate-fields"):
                    with Vertical(classes="field", id="field-model"):
                        with Horizontal(classes="field-head"):
                            yield Label("model", classes="field-name")
                            yield Label(tr(lang, "a saved LSTM"), classes="field-allowed")
                        yield Select([], id="generate-model", prompt=tr(lang, "no LSTM saved yet"),
                                     compact=True)
                    with Vertical(classes="field", id="field-prime"):
                        with Horizontal(classes="field-head"):
                            yield Label("prime", classes="field-name")
                            yield Label(tr(lang, "text"), classes="field-allowed")
                        yield Input("The ", id="param-prime", compact=True)
                        yield Static(tr(lang, "text that warms up the state; shown first"),
                                     classes="field-help")
                        yield Label("", classes="field-error")
                    for param in OPTIONS:
                        yield OptionField(param)
                with Horizontal(id="generate-buttons"):
                    yield Button(tr(lang, "Generate ▶"), id="generate", variant="success")
                    yield Button(tr(lang, "Stop"), id="stop", variant="error", disabled=True)
            with Vertical(id="generate-output"):
                yield TextArea("", id="generated", read_only=True, soft_wrap=True)
                yield Static("", id="generate-status")
        yield Footer()

    def on_mount(self) -> None:
        self.show_language()

    def on_screen_resume(self) -> None:
        self.show_language()  # the language may have changed while another screen showed
        self.action_reload()

    def show_language(self) -> None:
        """The screen's words in the app's language; option names and values stay."""
        lang = self.app.lang
        self.query_one("#generate-setup").border_title = tr(lang, "Sample")
        self.query_one("#generate-output").border_title = tr(lang, "Text")
        self.query_one("#field-model .field-allowed", Label).update(tr(lang, "a saved LSTM"))
        self.query_one("#generate-model", Select).prompt = tr(lang, "no LSTM saved yet")
        self.query_one("#field-prime .field-allowed", Label).update(tr(lang, "text"))
        self.query_one("#field-prime .field-help", Static).update(
            tr(lang, "text that warms up the state; shown first"))
        self.query_one("#generate", Button).label = tr(lang, "Generate ▶")
        self.query_one("#stop", Button).label = tr(lang, "Stop")
        for field in self.query(OptionField):
            field.show_language()

    # -- keys and fields -----------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "keys" and parameters:  # the footer's F1: only where `?` is typed
            return self.focused is not None and self.focused.check_consume_key("question_mark", HELP_KEY)
        return True

    def action_keys(self, where: str | None = None) -> None:
        self.app.action_help()

    def _field(self, widget: Widget) -> FormField | None:
        return next((node for node in widget.ancestors if isinstance(node, FormField)), None)

    def _follow(self, control: Input, result) -> None:
        """Show the field's error while its value is wrong, and none once it is right."""
        field = self._field(control)
        if field is not None and result is not None:
            failures = result.failure_descriptions
            field.show_error(failures[0] if failures else None)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "param-prime":
            # The model judges the prime when generating; editing it answers that verdict.
            self.query_one("#field-prime .field-error", Label).update("")
        else:
            self._follow(event.input, event.validation_result)

    def on_input_blurred(self, event: Input.Blurred) -> None:
        if event.input.id != "param-prime":
            self._follow(event.input, event.validation_result)

    def on_number_input_refused(self, event: NumberInput.Refused) -> None:
        field = self._field(event.input)
        if field is not None:  # in the words of the option's own check (`Param.coerce`)
            kind = "an integer" if field.param.kind is int else "a number"
            text = repr(event.text) if len(event.text) == 1 else event.text
            field.show_error(f"{field.param.name}: expected {kind}; {text} was not typed")

    def action_reload(self) -> None:
        models = [info for info in store.list_models(self.app.models_dir) if generation.can_write(info)]
        select = self.query_one("#generate-model", Select)
        current = self.wanted or (None if select.is_blank() else select.value)
        self.wanted = None
        options = [(f"{info.path.name}  ({info.metadata.get('created', '')[:16]})", str(info.path))
                   for info in models]
        select.set_options(options)
        paths = [path for _, path in options]
        if paths:
            select.value = current if current in paths else paths[0]
        self.query_one("#generate-status", Static).update(
            "" if paths else tr(self.app.lang, "No LSTM in {folder} yet: run the LSTM lesson first "
                                "(l, pick it, r).", folder=store.models_dir(self.app.models_dir)))

    def choose(self, path: str | None) -> None:
        """Preselect `path` the next time the screen shows (from the models screen)."""
        self.wanted = path

    # -- generating --------------------------------------------------------------------
    def _options(self):
        """The options the fields hold, each checked once, or None after showing why not."""
        checked = {p.name: self.query_one(f"#field-{p.name}", ParamField).checked() for p in OPTIONS}
        if not all(ok for ok, _ in checked.values()):
            return None
        return {name: value for name, (_, value) in checked.items()}

    @on(Button.Pressed, "#generate")
    def action_generate(self) -> None:
        if self.stop_event is not None:
            self.notify(tr(self.app.lang, "Already generating; escape stops it"), severity="warning")
            return
        select = self.query_one("#generate-model", Select)
        if select.is_blank():
            self.notify(tr(self.app.lang, "No LSTM model to generate with"), severity="error")
            return
        path = select.value
        options = self._options()
        if options is None:
            return
        prime = self.query_one("#param-prime", Input).value
        self.query_one("#field-prime .field-error", Label).update("")
        self.stop_event = threading.Event()
        area = self.query_one("#generated", TextArea)
        area.clear()
        self.query_one("#generate-status", Static).update(tr(self.app.lang, "loading the model…"))
        self._generate(path, prime, options, self.stop_event)

    def watch_stop_event(self) -> None:
        self.query_one("#generate", Button).disabled = self.stop_event is not None
        self.query_one("#stop", Button).disabled = self.stop_event is None
        self.refresh_bindings()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_generate()

    @work(thread=True, group="generate", exit_on_error=False)
    def _generate(self, path: str, prime: str, options: dict, stop: threading.Event) -> None:
        started, count = time.perf_counter(), 0
        try:
            with self._lock:
                sampler = self._sampler(path)
                sampler.check_prime(prime)  # refuse before showing anything, as the CLI does
                if options["length"] == 0:  # nothing asked for, nothing shown (as the CLI prints none)
                    post(self, GenerationEnded("done", seconds=time.perf_counter() - started, characters=0))
                    return
                post(self, TextGenerated(prime))
                for chunk in generation.generate(sampler, prime, options):
                    if stop.is_set():
                        post(self, GenerationEnded("stopped", characters=count))
                        return
                    count += len(chunk)
                    post(self, TextGenerated(chunk))
        except Exception as exc:  # noqa: BLE001  (one line, as the CLI prints it)
            post(self, GenerationEnded("failed", error=error_line(exc), characters=count))
            return
        post(self, GenerationEnded("done", seconds=time.perf_counter() - started, characters=count))

    def _sampler(self, path: str):
        key = (path, Path(path).stat().st_mtime_ns) if Path(path).exists() else (path, 0)
        if key not in self._samplers:
            self._samplers = {key: generation.open_sampler(path)}  # keep one: each holds a model
        return self._samplers[key]

    def on_text_generated(self, message: TextGenerated) -> None:
        area = self.query_one("#generated", TextArea)
        if not area.text:
            self.query_one("#generate-status", Static).update(
                tr(self.app.lang, "generating…  (escape stops)"))
        area.insert(message.chunk, area.document.end)
        area.scroll_end(animate=False)

    def on_generation_ended(self, message: GenerationEnded) -> None:
        self.stop_event = None
        lang = self.app.lang
        status = self.query_one("#generate-status", Static)
        if message.outcome == "done":
            rate = message.characters / message.seconds if message.seconds else 0
            generated = self.query_one("#generated", TextArea).text[-message.characters:]
            blank = (" — " + tr(lang, "all of it blank: the model's likeliest character is a space; "
                                "raise the temperature or train longer")
                     if message.characters and not generated.strip() else "")
            status.update(tr(lang, "✓ {count} characters in {seconds} s ({rate} per second, model load "
                             "included)", count=message.characters, seconds=f"{message.seconds:.1f}",
                             rate=f"{rate:,.0f}") + blank)
        elif message.outcome == "stopped":
            status.update(tr(lang, "stopped after {count} characters", count=message.characters))
        else:
            status.update(message.error or tr(lang, "failed"))
            if message.error and "prime" in message.error:
                self.query_one("#field-prime .field-error", Label).update(f"✗ {message.error}")

    @on(Button.Pressed, "#stop")
    def action_stop(self) -> None:
        if self.stop_event is not None:
            self.stop_event.set()

    def action_stop_or_leave(self) -> None:
        if self.stop_event is not None:
            self.action_stop()
        else:
            self.app.switch_mode("lessons")

    def on_unmount(self) -> None:
        self.action_stop()
