"""A lesson's parameter form, generated from the same `Param` declarations the CLI uses.

Each field judges what is typed with `Param.coerce`, so the app refuses exactly what
`workbench run --set` refuses, with the same words; before a run the fields' values,
coerced once, go through `runner.request`, which adds the lesson's cross-parameter rules
and the dataset. Choices become selects, booleans switches, everything else a text input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.validation import ValidationResult, Validator
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static, Switch

from workbench.errors import BadInput
from workbench.i18n.catalogue import ENGINE, Catalogue, tr
from workbench.i18n.language import DEFAULT as EN
from workbench.params import SEED, Param
from workbench.registry import Lesson
from workbench.results import store


def lang_of(widget: Widget) -> str:
    return getattr(widget.app, "lang", EN)


class CheckValidator(Validator):
    """Textual validation that defers to a check's own rules and message (`Param.coerce`,
    `store.model_file_name`): the app refuses what the CLI refuses, in the same words."""

    def __init__(self, check: Callable[[str], Any]) -> None:
        super().__init__()
        self.check = check

    def validate(self, value: str) -> ValidationResult:
        try:
            self.check(value)
        except BadInput as exc:
            return self.failure(str(exc))
        return self.success()


class FormField(Vertical):
    """One field of the form: name and allowed values, a control, a help line, an error."""

    DEFAULT_CLASSES = "field"

    def __init__(self, name: str, allowed: str, help: str, *, id: str,
                 help_texts: Catalogue = ENGINE) -> None:
        super().__init__(id=id)
        # English message ids where they are words ("choice"); a parameter's name and its
        # bounds are shown as declared, its help line from `help_texts` (the lesson's
        # catalogue for a lesson's knob).
        self.texts = (name, allowed, help)
        self.help_texts = help_texts

    def compose(self) -> ComposeResult:
        name, allowed, help = self.shown_texts()
        with Horizontal(classes="field-head"):
            yield Label(name, classes="field-name")
            yield Label(allowed, classes="field-allowed")
        yield self.make_control()
        yield Static(help, classes="field-help")
        yield Label("", classes="field-error")

    def shown_texts(self) -> tuple[str, str, str]:
        name, allowed, help = self.texts
        lang = lang_of(self)
        return name, tr(lang, allowed), self.help_texts(lang, help) if help else help

    def show_language(self) -> None:
        _, allowed, help = self.shown_texts()
        self.query_one(".field-allowed", Label).update(allowed)
        if self.texts[2]:
            self.query_one(".field-help", Static).update(help)

    def make_control(self) -> Widget:
        raise NotImplementedError

    # What a select holds in the moment before it has mounted its options (seen when
    # ctrl+r comes right after a lesson's form is made, while TensorFlow still loads).
    default: Any = None

    @property
    def control(self) -> Input | Select | Switch:
        return self.query_one(".field-control")

    @property
    def raw(self) -> Any:
        """What the learner set: text for inputs (coerced later), the value otherwise; a
        select not yet showing its value holds its default (it has no blank)."""
        control = self.control
        if isinstance(control, Select) and control.is_blank():
            return self.default
        return control.value

    def show_error(self, message: str | None) -> None:
        self.set_class(message is not None, "-invalid")
        self.query_one(".field-error", Label).update(f"✗ {message}" if message else "")

    def check(self, raw: Any) -> Any:
        """The value of `raw`, or BadInput."""
        return raw

    def checked(self) -> tuple[bool, Any]:
        """(True, the value) or (False, None) after showing this field's own error."""
        try:
            value = self.check(self.raw)
        except BadInput as exc:
            self.show_error(str(exc))
            return False, None
        self.show_error(None)
        return True, value


def text_input(value: str, check: Callable[[str], Any], **kwargs) -> Input:
    return Input(value, compact=True, classes="field-control", validators=[CheckValidator(check)],
                 validate_on=["changed", "submitted", "blur"], **kwargs)


class ParamField(FormField):
    """A lesson parameter (or the seed): a select, a switch or a text input."""

    def __init__(self, param: Param, *, id: str | None = None) -> None:
        super().__init__(param.name, param.allowed() if not param.choices else tr(EN, "choice"),
                         param.help, id=id or f"field-{param.name}", help_texts=param.texts)
        self.param = param
        self.default = param.default

    def make_control(self) -> Widget:
        p, control_id = self.param, f"param-{self.param.name}"
        if p.choices and not p.many:
            return Select([(c, c) for c in p.choices], value=p.default, allow_blank=False,
                          id=control_id, compact=True, classes="field-control")
        if p.kind is bool and not p.many:
            return Switch(value=p.default, id=control_id, classes="field-control")
        return text_input(p.format(p.default), p.coerce, id=control_id)

    def check(self, raw: Any) -> Any:
        return self.param.coerce(raw)

    def set(self, value: Any) -> None:
        """Show `value` (typed, as the parameter declares it) in the control."""
        control = self.control
        control.value = self.param.format(value) if isinstance(control, Input) else value
        self.show_error(None)

    def reset(self) -> None:
        self.set(self.param.default)


class DatasetField(FormField):
    def __init__(self, lesson: Lesson) -> None:
        super().__init__("dataset", tr(EN, "choice"), dataset_help(lesson), id="field-dataset")
        self.lesson = lesson
        self.default = lesson.default_dataset

    def make_control(self) -> Widget:
        return Select([(d, d) for d in self.lesson.datasets], value=self.lesson.default_dataset,
                      allow_blank=False, id="dataset", compact=True, classes="field-control")


class OutField(FormField):
    """The first model's file name in the models folder; blank: the lesson's own name."""

    def __init__(self) -> None:
        super().__init__("out", tr(EN, "file name"), "", id="field-out")

    def make_control(self) -> Widget:
        return text_input("", store.model_file_name, id="out",
                          placeholder=tr(lang_of(self), "the lesson's own name"))

    def check(self, raw: str) -> str | None:
        return store.model_file_name(raw)


def dataset_help(lesson: Lesson) -> str:
    """An English message id (shown through the catalogue)."""
    if lesson.datasets == ("text",):
        return tr(EN, "text: the corpus parameter names the file (pydoc is built in)")
    return tr(EN, "digits is embedded; the others need the network or Keras' cache")


SECTIONS = (tr(EN, "Parameters"), tr(EN, "Data and seed"), tr(EN, "Output"))


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
        lang = lang_of(self)
        yield Label(tr(lang, SECTIONS[0]), classes="form-section", id="section-params")
        for param in self.lesson.params:
            yield ParamField(param)
        yield Label(tr(lang, SECTIONS[1]), classes="form-section", id="section-data")
        yield DatasetField(self.lesson)
        yield ParamField(SEED, id="field-seed")
        yield Label(tr(lang, SECTIONS[2]), classes="form-section", id="section-output")
        # Named before the run, editable, and never replaced without a question (the screen
        # asks): a run's files are the learner's work.
        yield OutField()
        yield Label("", id="form-error")

    def on_mount(self) -> None:
        self.show_outputs()

    def show_language(self) -> None:
        """Its own words in the app's language (after ctrl+l); names and values stay."""
        if not self.is_mounted or not self.query(FormField):
            return
        lang = lang_of(self)
        for label_id, text in zip(("section-params", "section-data", "section-output"), SECTIONS):
            self.query_one(f"#{label_id}", Label).update(tr(lang, text))
        for field in self.query(FormField):
            field.show_language()
        self.query_one("#out", Input).placeholder = tr(lang, "the lesson's own name")
        self.show_outputs()

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

    @property
    def models_folder(self):
        return store.models_dir(getattr(self.app, "models_dir", None))

    def out_path(self):
        """Where the first model goes when the learner named it; None: the lesson's name."""
        ok, name = self.query_one(OutField).checked()
        return self.models_folder / name if ok and name else None

    def planned_paths(self, settings=None, step: int | None = None) -> list:
        """The model files a run with these values writes (the valid fields, the rest
        at their defaults; `step`: as that path experiment); [] while the values cannot say."""
        from workbench.running import runner

        try:
            settings = settings or self.lesson.settings(**self.valid_values()).with_presets()
            return runner.planned_paths(self.lesson, settings, out=self.out_path(),
                                        models_dir=self.models_folder, step=step)
        except (BadInput, TypeError, KeyError):
            return []

    def show_outputs(self) -> None:
        paths = self.planned_paths()
        out = self.query_one("#out", Input)
        if paths:
            out.placeholder = paths[0].name
        names = ", ".join(p.name for p in paths)
        taken = [p.name for p in paths if p.exists()]
        lang = lang_of(self)
        text = tr(lang, "writes {names} in {folder}/", names=names, folder=self.models_folder) if paths else ""
        if taken:
            text += tr(lang, "; a run replaces {names} (it asks first)", names=", ".join(taken))
        self.query_one("#field-out .field-help", Static).update(text)

    def validated(self):
        """A `runner.Request` ready to execute, or None after showing every reason the
        form cannot run inline."""
        from workbench.running import runner

        checked = {f.param.name: f.checked() for f in [*self.fields, self.field("seed")]}
        out_ok, _ = self.query_one(OutField).checked()
        if not (out_ok and all(ok for ok, _ in checked.values())):  # every error shows
            self.show_form_error(tr(lang_of(self), "fix the marked values first"))
            return None
        values = {name: value for name, (_, value) in checked.items()}
        seed = values.pop("seed")
        try:
            ready = runner.request(self.lesson, values, self.query_one(DatasetField).raw, seed)
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

    def set_dataset(self, name: str) -> None:
        self.query_one("#dataset", Select).value = name

    def reset(self) -> None:
        for f in [*self.fields, self.field("seed")]:
            f.reset()
        self.set_dataset(self.lesson.default_dataset)
        self.query_one("#out", Input).value = ""
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

    def _field_of(self, widget) -> FormField | None:
        for node in widget.ancestors:
            if isinstance(node, FormField):
                return node
        return None

    def _announce(self) -> None:
        self.show_outputs()
        self.post_message(self.Changed(self, self.valid_values()))
