"""What a run tells the outside world, as plain data.

A lesson never prints. It emits these events through its context; the CLI draws them as
a progress bar and log lines, the app as widgets, tests collect them in a list. Fields
are plain Python (numbers, strings, nested lists) so events cross threads and JSON freely.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping


@dataclass(frozen=True)
class Stage:
    """A named phase begins (`total` steps, or None when the length is unknown).
    `epochs`: a training phase says how many epochs its steps make (a bar then reads
    `epoch 2/5`)."""

    name: str
    total: int | None = None
    epochs: int | None = None


@dataclass(frozen=True)
class Progress:
    """`done` of `total` steps of the current stage; `info` holds live numbers (loss...)."""

    stage: str
    done: int
    total: int | None
    info: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Log:
    """An explanatory line: `text` in English, `translations` the same line in the other
    languages (language code -> text), so a front end shows the learner's."""

    text: str
    translations: Mapping[str, str] = field(default_factory=dict)
    level: str = "info"  # "warning": shown even by a quiet front end

    @classmethod
    def worded(cls, texts: Mapping[str, str], level: str = "info") -> "Log":
        """From a catalogue's `everywhere(...)`: the line in every language."""
        return cls(texts["en"], {lang: text for lang, text in texts.items() if lang != "en"}, level)

    def in_language(self, lang: str) -> str:
        return self.translations.get(lang) or self.text


@dataclass(frozen=True)
class Metric:
    name: str
    value: Any


@dataclass(frozen=True)
class EpochEnd:
    """One row of the training history: the epoch number (from 1) and Keras' logs.

    `series` names the network when a run trains several (ResNet's "plain" and
    "residual" twins), so curves keep their epochs apart; "" for a single network.
    """

    epoch: int
    logs: dict[str, float]
    series: str = ""


@dataclass(frozen=True)
class Picture:
    """Grayscale images in [0, 1] (each a list of rows) drawn in a grid with captions.

    `columns` images go on a line (0: all on one line).
    """

    title: str
    images: list[list[list[float]]]
    captions: list[str]
    columns: int = 0


@dataclass(frozen=True)
class Chart:
    """Lines over an x axis, one per `series` name (its y values, one per `x`):
    what a lesson measures across something other than epochs (gradient norm by depth).
    `log_y` for quantities that span decades."""

    title: str
    x_label: str
    x: list[float]
    series: dict[str, list[float]]
    log_y: bool = False
    # A series with x values of its own (a path in a plane: an optimiser's steps on a
    # loss surface) has them here; the others use `x`.
    xs: dict[str, list[float]] = field(default_factory=dict)
    scatter: bool = False  # points, not lines (a data cloud)


@dataclass(frozen=True)
class Artifact:
    """A file the run wrote (`kind`: "model", "image", ...)."""

    kind: str
    path: str


Event = Stage | Progress | Log | Metric | EpochEnd | Picture | Chart | Artifact


# A run in another process (the app's runs across workers) sends its events to the one
# that shows them as lines on stderr: this prefix, then the event as JSON.
EVENT_LINE = "workbench-event: "
_KINDS = {kind.__name__: kind for kind in Event.__args__}


def to_line(event: Event) -> str:
    fields = {name: getattr(event, name) for name in event.__dataclass_fields__}
    return EVENT_LINE + json.dumps({"event": type(event).__name__, "fields": fields},
                                   default=_plain)


def from_line(line: str) -> Event | None:
    """The event a line of `to_line` carries; None for any other line."""
    if not line.startswith(EVENT_LINE):
        return None
    sent = json.loads(line[len(EVENT_LINE):])
    return _KINDS[sent["event"]](**sent["fields"])


def _plain(value: Any) -> Any:
    """NumPy's numbers and arrays, as JSON takes them."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not an event field")
