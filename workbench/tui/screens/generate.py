"""The generate screen: write text with a saved LSTM, streamed in as it is sampled.

The same sampler and options as `workbench generate` (`workbench.generation`): the prime
warms the state up, then each compiled call samples a chunk of characters that is shown
at once. Loading a model and
tracing its sampling loop takes seconds, so samplers are kept per file (and dropped
when the file changes).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Label, Select, Static, TextArea

from workbench import generation, store
from workbench.formatting import error_line
from workbench.generation import OPTIONS
from workbench.tui.messages import GenerationEnded, TextGenerated, post
from workbench.tui.widgets.param_form import ParamField


class GenerateScreen(Screen):
    BINDINGS = [
        Binding("escape", "stop_or_leave", "Stop / Lessons"),
        # ctrl+r works everywhere, inside a field too, as on the lesson screen; so does
        # Enter in a field.
        Binding("ctrl+r", "generate", "Generate"),
        Binding("g", "generate", "Generate", show=False),
        Binding("ctrl+g", "generate", "Generate", show=False),
        Binding("f5", "reload", "Reload models", show=False),
    ]

    # The stop switch of the generation going on now, or None; buttons follow it.
    stop_event: reactive[threading.Event | None] = reactive(None, init=False)

    def __init__(self) -> None:
        super().__init__(id="generate-screen")
        self._samplers: dict[tuple[str, int], object] = {}  # (path, mtime) -> Sampler
        self._lock = threading.Lock()  # one worker at a time builds or uses a sampler
        self.wanted: str | None = None  # a model to preselect (from the models screen)

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="generate-main"):
            with VerticalScroll(id="generate-setup"):
                with Vertical(classes="field", id="field-model"):
                    with Horizontal(classes="field-head"):
                        yield Label("model", classes="field-name")
                        yield Label("a saved LSTM", classes="field-allowed")
                    yield Select([], id="generate-model", prompt="no LSTM saved yet", compact=True)
                with Vertical(classes="field", id="field-prime"):
                    with Horizontal(classes="field-head"):
                        yield Label("prime", classes="field-name")
                        yield Label("text", classes="field-allowed")
                    yield Input("The ", id="param-prime", compact=True)
                    yield Static("text that warms up the state; shown first", classes="field-help")
                    yield Label("", classes="field-error")
                for param in OPTIONS:
                    yield ParamField(param)
                with Horizontal(id="generate-buttons"):
                    yield Button("Generate ▶", id="generate", variant="success")
                    yield Button("Stop", id="stop", variant="error", disabled=True)
            with Vertical(id="generate-output"):
                yield TextArea("", id="generated", read_only=True, soft_wrap=True)
                yield Static("", id="generate-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#generate-setup").border_title = "Sample"
        self.query_one("#generate-output").border_title = "Text"

    def on_screen_resume(self) -> None:
        self.action_reload()

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
            "" if paths else f"No LSTM in {store.models_dir(self.app.models_dir)} yet: "
                             "run the LSTM lesson first (l, pick it, r).")

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
            self.notify("Already generating; escape stops it", severity="warning")
            return
        select = self.query_one("#generate-model", Select)
        if select.is_blank():
            self.notify("No LSTM model to generate with", severity="error")
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
        self.query_one("#generate-status", Static).update("loading the model…")
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
            self.query_one("#generate-status", Static).update("generating…  (escape stops)")
        area.insert(message.chunk, area.document.end)
        area.scroll_end(animate=False)

    def on_generation_ended(self, message: GenerationEnded) -> None:
        self.stop_event = None
        status = self.query_one("#generate-status", Static)
        if message.outcome == "done":
            rate = message.characters / message.seconds if message.seconds else 0
            generated = self.query_one("#generated", TextArea).text[-message.characters:]
            blank = (" — all of it blank: the model's likeliest character is a space; raise the "
                     "temperature or train longer") if message.characters and not generated.strip() else ""
            status.update(f"✓ {message.characters} characters in {message.seconds:.1f} s "
                          f"({rate:,.0f} per second, model load included){blank}")
        elif message.outcome == "stopped":
            status.update(f"stopped after {message.characters} characters")
        else:
            status.update(message.error or "failed")
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
