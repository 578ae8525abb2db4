"""A lesson's parameter form, generated from the same `Param` declarations the CLI uses.

Each field judges what is typed with `Param.coerce`, so the app refuses exactly what
`workbench run --set` refuses, with the same words; before a run the fields' values,
coerced once, go through `runner.request`, which adds the lesson's cross-parameter rules
and the dataset. Choices become selects, booleans switches, everything else a text input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.validation import ValidationResult, Validator
from textual.widgets import Input, Label, Select, Static, Switch

from workbench.errors import BadInput
from workbench.params import SEED, Param
from workbench.registry import Lesson


class ParamValidator(Validator):
    """Textual validation that defers to the parameter's own rules and message."""

    def __init__(self, param: Param) -> None:
        super().__init__()
        self.param = param

    def validate(self, value: str) -> ValidationResult:
        try:
            self.param.coerce(value)
        except BadInput as exc:
            return self.failure(str(exc))
        return self.success()


class ParamField(Vertical):
    """One parameter: name and allowed values, the control, the help line, the error."""

    DEFAULT_CLASSES = "field"

    def __init__(self, param: Param, *, id: str | None = None) -> None:
        super().__init__(id=id or f"field-{param.name}")
        self.param = param

    def compose(self) -> ComposeResult:
        p = self.param
        with Horizontal(classes="field-head"):
            yield Label(p.name, classes="field-name")
            yield Label(p.allowed() if not p.choices else p.type_name, classes="field-allowed")
        control_id = f"param-{p.name}"
        if p.choices and not p.many:
            yield Select([(c, c) for c in p.choices], value=p.default, allow_blank=False,
                         id=control_id, compact=True)
        elif p.kind is bool and not p.many:
            yield Switch(value=p.default, id=control_id)
        else:
            yield Input(p.format(p.default), id=control_id, compact=True,
                        validators=[ParamValidator(p)], validate_on=["changed", "submitted", "blur"])
        yield Static(p.help, classes="field-help")
        yield Label("", classes="field-error")

    @property
    def control(self) -> Input | Select | Switch:
        return self.query_one(f"#param-{self.param.name}")

    @property
    def raw(self) -> Any:
        """What the learner set: text for inputs (coerced later), the value otherwise."""
        return self.control.value

    def set(self, value: Any) -> None:
        """Show `value` (typed, as the parameter declares it) in the control."""
        control = self.control
        control.value = self.param.format(value) if isinstance(control, Input) else value
        self.show_error(None)

    def reset(self) -> None:
        self.set(self.param.default)

    def show_error(self, message: str | None) -> None:
        self.set_class(message is not None, "-invalid")
        self.query_one(".field-error", Label).update(f"✗ {message}" if message else "")

    def checked(self) -> tuple[bool, Any]:
        """(True, the value coerced) or (False, None) after showing this field's own error
        (type, bounds, choices)."""
        try:
            value = self.param.coerce(self.raw)
        except BadInput as exc:
            self.show_error(str(exc))
            return False, None
        self.show_error(None)
        return True, value


def dataset_help(lesson: Lesson) -> str:
    if lesson.datasets == ("text",):
        return "text: the corpus parameter names the file (pydoc is built in)"
    return "digits is embedded; the others need the network or Keras' cache"


class ParamForm(VerticalScroll):
    """Every parameter of one lesson, then its dataset and the seed."""

    DEFAULT_CLASSES = "param-form"

    @dataclass
    class Changed(Message):
        """A field changed; `values` holds the fields that are currently valid, coerced."""

        form: "ParamForm"
        values: dict[str, Any]

        @property
        def control(self) -> "ParamForm":
            return self.form

    def __init__(self, lesson: Lesson, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lesson = lesson

    def compose(self) -> ComposeResult:
        yield Label("Parameters", classes="form-section")
        for param in self.lesson.params:
            yield ParamField(param)
        yield Label("Data and seed", classes="form-section")
        with Vertical(classes="field", id="field-dataset"):
            with Horizontal(classes="field-head"):
                yield Label("dataset", classes="field-name")
                yield Label("choice", classes="field-allowed")
            yield Select([(d, d) for d in self.lesson.datasets], value=self.lesson.default_dataset,
                         allow_blank=False, id="dataset", compact=True)
            yield Static(dataset_help(self.lesson), classes="field-help")
        yield ParamField(SEED, id="field-seed")
        yield Label("", id="form-error")

    # -- reading ----------------------------------------------------------------------
    @property
    def fields(self) -> list[ParamField]:
        return [f for f in self.query(ParamField) if f.id != "field-seed"]

    def field(self, name: str) -> ParamField:
        return self.query_one(f"#field-{name}", ParamField)

    def valid_values(self) -> dict[str, Any]:
        """The fields that hold valid values, coerced (for views that follow the form)."""
        values = {}
        for f in self.fields:
            try:
                values[f.param.name] = f.param.coerce(f.raw)
            except BadInput:
                pass
        return values

    def validated(self):
        """A `runner.Request` ready to execute, or None after showing every reason the
        form cannot run inline."""
        from workbench import runner

        checked = {f.param.name: f.checked() for f in [*self.fields, self.field("seed")]}
        if not all(ok for ok, _ in checked.values()):  # every field was checked: all errors show
            self.show_form_error("fix the marked values first")
            return None
        values = {name: value for name, (_, value) in checked.items()}
        seed = values.pop("seed")
        try:
            ready = runner.request(self.lesson, values, self.query_one("#dataset", Select).value, seed)
        except BadInput as exc:
            self._blame(str(exc))
            return None
        self.show_form_error(None)
        return ready

    # -- showing ----------------------------------------------------------------------
    def show_form_error(self, message: str | None) -> None:
        self.query_one("#form-error", Label).update(f"✗ {message}" if message else "")

    def _blame(self, message: str) -> None:
        """A cross-parameter error names its parameter first ("folds must be ..."):
        mark that field too, so the learner sees where to look."""
        for f in self.fields:
            if message.startswith((f"{f.param.name} ", f"{f.param.name}:")):
                f.show_error(message)
        self.show_form_error(message)

    def set_values(self, values: dict[str, Any]) -> None:
        """Show these values (typed, as a lesson declares them) in their fields."""
        for name, value in values.items():
            self.field(name).set(value)

    def reset(self) -> None:
        for f in [*self.fields, self.field("seed")]:
            f.reset()
        self.query_one("#dataset", Select).value = self.lesson.default_dataset
        self.show_form_error(None)

    # -- events -----------------------------------------------------------------------
    def on_input_changed(self, event: Input.Changed) -> None:
        field = self._field_of(event.input)
        if field is not None and event.validation_result is not None:
            failures = event.validation_result.failure_descriptions
            field.show_error(failures[0] if failures else None)
            self.show_form_error(None)
        self._announce()

    def on_select_changed(self, event: Select.Changed) -> None:
        self._announce()

    def on_switch_changed(self, event: Switch.Changed) -> None:
        self._announce()

    def _field_of(self, widget) -> ParamField | None:
        for node in widget.ancestors:
            if isinstance(node, ParamField):
                return node
        return None

    def _announce(self) -> None:
        self.post_message(self.Changed(self, self.valid_values()))
