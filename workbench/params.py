"""Typed lesson parameters: one declaration drives CLI flags, app form fields and validation.

A lesson declares its knobs as a frozen dataclass of `Settings`, each field made by
`knob(default, help, **rules)`; the engine reads a `Param` off every field. The CLI hands
`--set NAME=VALUE` strings to `resolve`, the Python API hands it Python values, the app
hands it what the learner typed: all three go through the same `Param.coerce`, so a value
is judged the same way everywhere, and the lesson's `run` receives the dataclass itself
(`settings.k`, not `params["k"]`).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import typing
from dataclasses import dataclass
from typing import Any, ClassVar, Iterable, Mapping

from workbench.errors import BadInput
from workbench.i18n.catalogue import ENGINE, Catalogue, of_package, tr
from workbench.i18n.language import DEFAULT as EN

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}
_TYPE_WORDS = {int: "an integer", float: "a number", bool: "true or false", str: "text"}


@dataclass(frozen=True)
class Param:
    """One knob of a lesson.

    `many=True` makes the value a tuple of `kind`, written as a comma-separated list
    (`k_choices=1,3,5`). `low`/`high` are inclusive bounds, `above` an exclusive lower
    bound (a learning rate must be > 0); `choices` a closed set.
    """

    name: str
    kind: type
    default: Any
    help: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None
    many: bool = False
    above: float | None = None
    # What the hint says is allowed, when the bounds alone would say too much: a rule the
    # settings' check() adds ("0 or 2..10": one fold is not cross-validation).
    words: str | None = None
    # Where its help line is translated: the declaring lesson's catalogue (the seed: the engine's).
    texts: Catalogue = dataclasses.field(default=ENGINE, compare=False, repr=False)

    def help_in(self, lang: str) -> str:
        return self.texts(lang, self.help) if self.help else self.help

    def __post_init__(self):
        # A declaration whose own default is invalid is a programming error: fail at import.
        self.coerce(self.default)

    @property
    def type_name(self) -> str:
        if self.choices:
            return "choice"
        name = {int: "int", float: "float", bool: "bool", str: "str"}[self.kind]
        return f"list[{name}]" if self.many else name

    def allowed(self) -> str:
        """What values are accepted, in words, for help texts and error messages."""
        if self.words:
            return self.words
        if self.choices:
            return " | ".join(self.choices)
        if self.above is not None:
            return f"> {_fmt(self.above)}" + (f" and <= {_fmt(self.high)}" if self.high is not None else "")
        if self.low is not None and self.high is not None:
            return f"{_fmt(self.low)}..{_fmt(self.high)}"
        if self.low is not None:
            return f">= {_fmt(self.low)}"
        if self.high is not None:
            return f"<= {_fmt(self.high)}"
        return _TYPE_WORDS[self.kind]

    def format(self, value: Any) -> str:
        """The text a learner would type to get `value` (inverse of `coerce` on strings)."""
        if self.many:
            return ",".join(_fmt(v) for v in value)
        if self.kind is bool:
            return "true" if value else "false"
        return _fmt(value)

    def coerce(self, value: Any) -> Any:
        """Turn text or a Python value into this parameter's type, or raise BadInput."""
        if self.many:
            items = value.split(",") if isinstance(value, str) else value
            try:
                items = list(items)
            except TypeError:
                raise BadInput(f"{self.name}: expected a comma-separated list, got {value!r}") from None
            if not items or any(isinstance(i, str) and not i.strip() for i in items):
                raise BadInput(f"{self.name}: expected a comma-separated list, got {value!r}")
            return tuple(self._one(i) for i in items)
        return self._one(value)

    def _one(self, value: Any) -> Any:
        parsed = self._parse(value)
        if self.choices and parsed not in self.choices:
            raise BadInput(f"{self.name} must be one of {', '.join(self.choices)}; got {value!r}")
        if self.above is not None and parsed <= self.above:
            raise BadInput(f"{self.name} must be {self.allowed()}; got {_fmt(parsed)}")
        if self.low is not None and parsed < self.low:
            raise BadInput(f"{self.name} must be {self.allowed()}; got {_fmt(parsed)}")
        if self.high is not None and parsed > self.high:
            raise BadInput(f"{self.name} must be {self.allowed()}; got {_fmt(parsed)}")
        return parsed

    def _parse(self, value: Any) -> Any:
        wrong = BadInput(f"{self.name}: expected {_TYPE_WORDS[self.kind]}, got {value!r}")
        if isinstance(value, str):
            text = value.strip()
            if self.kind is str:
                if not text:
                    raise BadInput(f"{self.name}: expected a value, got an empty string")
                return text
            if self.kind is bool:
                if text.lower() in _TRUE:
                    return True
                if text.lower() in _FALSE:
                    return False
                raise wrong
            try:
                number = float(text) if self.kind is float else int(text, 10)
            except ValueError:
                raise wrong from None
            if self.kind is float and not math.isfinite(number):  # nan, inf: never a setting
                raise BadInput(f"{self.name}: expected a finite number, got {value!r}")
            return number
        # Python values from the API: bool is an int subclass, so check it first.
        if self.kind is bool:
            if isinstance(value, bool):
                return value
            raise wrong
        if isinstance(value, bool):
            raise wrong
        if self.kind is int and isinstance(value, int):
            return value
        if self.kind is int and isinstance(value, float) and value.is_integer():
            return int(value)
        if self.kind is float and isinstance(value, (int, float)):
            if not math.isfinite(value):
                raise BadInput(f"{self.name}: expected a finite number, got {value!r}")
            return float(value)
        raise wrong


def _fmt(x: Any) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def resolve(declared: Iterable[Param], given: Mapping[str, Any], *, owner: str) -> dict[str, Any]:
    """Defaults overlaid with `given`, every value coerced; unknown names are refused."""
    declared = {p.name: p for p in declared}
    unknown = [name for name in given if name not in declared]
    if unknown:
        known = ", ".join(declared) or "none"
        raise BadInput(f"unknown parameter {unknown[0]!r} for {owner}; known: {known}")
    values = {name: p.default for name, p in declared.items()}
    for name, raw in given.items():
        values[name] = declared[name].coerce(raw)
    return values


def parse_assignments(pairs: Iterable[str]) -> dict[str, str]:
    """`["k=5", "metric=l1"]` -> `{"k": "5", "metric": "l1"}`, refusing malformed pairs."""
    parsed: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise BadInput(f"--set expects NAME=VALUE, got {pair!r}")
        parsed[name.strip()] = value
    return parsed


# The run's seed is not a lesson parameter, but it is typed and bounded like one: the CLI's
# --seed, the app's seed fields and the runner all judge it with this one declaration.
# Its help is an English message id (`tr(EN, ...)` marks it); forms show it in their language.
SEED = Param("seed", int, 0, tr(EN, "random seed: the same seed gives the same run"), low=0,
             high=2**32 - 1)  # what NumPy and TensorFlow take

_KINDS = {int: int, float: float, bool: bool, str: str}


def knob(default: Any, help: str, **rules: Any) -> Any:
    """A field of a lesson's `Settings` dataclass: its default, its help line and its
    rules (`low`, `high`, `above`, `choices`; `preset=True`: 0 means the preset)."""
    return dataclasses.field(default=default, metadata={"help": help, "rules": rules})


class Settings:
    """Base class of a lesson's parameters, declared as a frozen dataclass of `knob`s.

    The field's annotation gives the type (`int`, `float`, `bool`, `str`, or
    `tuple[int, ...]` for a comma-separated list). A subclass may override `check` for
    rules that tie fields together, and set `presets` to say where a `preset=True` field
    left at 0 takes its value: `("arch", PRESETS)` reads `PRESETS[settings.arch].width`.
    """

    presets: ClassVar[tuple[str, Mapping[str, Any]] | None] = None

    @classmethod
    def params(cls) -> tuple[Param, ...]:
        return _params_of(cls)

    def check(self) -> None:
        """Cross-parameter rules ("folds is 0 or 2..10"): raise BadInput naming the field."""

    def mine_uses(self) -> tuple[str, ...]:
        """The exercises whose functions a run with these settings uses with `--mine`
        (they must pass first); none: the lesson does not run with the learner's code."""
        return ()

    def why_not_across_workers(self) -> str | None:
        """Why a run with these settings cannot train across worker processes
        (`--distribute multiworker`), in a few words; None: it can. A lesson that trains
        with Keras' `fit` can, as every worker then takes the same all-reduces; settings
        that compute some other way (a search, a hand-written graph) say so here."""
        return None

    def saves(self) -> tuple[str | None, ...]:
        """The models a run with these settings keeps, in the order it saves them: each
        one's variant (`svm`: `linear-svm.h5`), None for the lesson's own name (`knn.h5`).
        Declared, so a front end can name a run's files before the run starts."""
        return (None,)

    def preset(self) -> Any:
        """The object holding the preset value of every field declared `preset=True`."""
        chooser, table = self.presets
        return table[getattr(self, chooser)]

    def with_presets(self):
        """These settings with every preset field left at 0 replaced by the preset's value."""
        zeros = [f.name for f in dataclasses.fields(self)
                 if f.metadata.get("rules", {}).get("preset") and getattr(self, f.name) == 0]
        if not zeros:
            return self
        preset = self.preset()
        return dataclasses.replace(self, **{name: getattr(preset, name) for name in zeros})

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values (lists for tuples), as results and model metadata keep them."""
        return {f.name: list(v) if isinstance(v := getattr(self, f.name), tuple) else v
                for f in dataclasses.fields(self)}


@functools.cache
def _params_of(cls: type) -> tuple[Param, ...]:
    hints = typing.get_type_hints(cls)
    declared = []
    for f in dataclasses.fields(cls):
        kind, many = hints[f.name], False
        if typing.get_origin(kind) is tuple:
            kind, many = typing.get_args(kind)[0], True
        if kind not in _KINDS:
            raise TypeError(f"{cls.__name__}.{f.name}: a knob is int, float, bool, str or a tuple "
                            f"of one of them, not {kind!r}")
        rules = {k: v for k, v in f.metadata["rules"].items() if k != "preset"}
        declared.append(Param(f.name, kind, f.default, f.metadata["help"], many=many,
                              texts=of_package(cls.__module__), **rules))
    return tuple(declared)
