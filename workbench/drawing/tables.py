"""The tables a learner reads, as Rich renderables that the CLI prints and the app shows.

Each view is drawn here once: `workbench inspect` and the Models screen, `workbench
anatomy` and the Anatomy tab, `workbench run`'s metrics and the Run tab all render the
same objects. Numbers never wrap or get cut: their columns are `no_wrap`, and a view
that is wider than its place scrolls (the app) or gets a wider console (the CLI).
"""

from __future__ import annotations

from rich.markup import escape

import datetime as dt
import json
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Union

from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.measure import Measurement
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from workbench.drawing.numbers import metric_rows, number
from workbench.i18n.catalogue import tr

# What a key result means: a fixed text (as an outside lesson pack may give), or the
# words for this run, chosen from its metrics, in a language: `(metrics, lang) -> text`.
# A lesson words it from the numbers, so the sentence never contradicts the number beside it.
Meaning = Union[str, Callable[[Mapping[str, Any], str], str]]


def _table(*columns: str, title: str | None = None, numeric: Iterable[str] = ()) -> Table:
    """A table whose `numeric` columns are right-aligned and never wrap or get cut; in a
    narrow place the text columns fold onto more lines instead."""
    numeric = set(numeric)
    table = Table(title=title, title_justify="left", header_style="bold", box=box.SIMPLE_HEAD)
    for column in columns:
        if column in numeric:
            table.add_column(column, justify="right", no_wrap=True)
        else:
            table.add_column(column, overflow="fold")
    return table


def metrics_table(metrics: Mapping[str, Any], title: str | None = None) -> Table:
    table = _table("metric", "value", title=title, numeric=("value",))
    for name, shown in metric_rows(metrics):
        table.add_row(name, shown)
    return table


def metric_groups(metrics: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, dict]]:
    """The single numbers, and each nested metric (kNN's timings, ResNet's gradient norm
    per layer) as a group of its own: read as groups, not as fifty dotted names."""
    single = {name: value for name, value in metrics.items() if not isinstance(value, dict)}
    groups = {name: value for name, value in metrics.items() if isinstance(value, dict)}
    return single, groups


def metrics_view(metrics: Mapping[str, Any], title: str | None = None) -> Group:
    """Every metric: the single numbers first, then a titled table per group."""
    single, groups = metric_groups(metrics)
    return Group(metrics_table(single, title=title),
                 *(metrics_table(values, title=name) for name, values in groups.items()))


def widths(rows: Iterable[tuple[str, str]]) -> tuple[int, int]:
    """The widest name and the widest value."""
    rows = list(rows)
    return (max((cell_len(name) for name, _ in rows), default=0),
            max((cell_len(value) for _, value in rows), default=0))


class NameValues:
    """Names with their values, each name whole on a line: side by side with the value
    right-aligned where the width holds both, else the name on one line and the value
    under it, right-aligned. Nothing is cut and no name folds mid-word (only a name wider
    than the whole place would); a value with spaces in it wraps at them."""

    def __init__(self, rows: Iterable[tuple[str, str]], *, style: str = "", indent: int = 1,
                 columns: tuple[int, int] | None = None) -> None:
        self.rows = list(rows)
        self.style, self.indent = style, indent
        # (name width, value width) shared with other lists (key results, one a row, with
        # their meanings between): the values line up in one column where it fits.
        self.columns = columns

    def _widths(self) -> tuple[int, int]:
        if self.columns:
            return self.columns
        return widths(self.rows)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        names, values = self._widths()
        return Measurement(self.indent + max(names, values) + 1, self.indent + names + 2 + values + 1)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        names, values = self._widths()
        pad = " " * self.indent
        if self.columns and self.indent + names + 2 + values + 1 <= width:
            for name, value in self.rows:
                yield Text(f"{pad}{name:<{names}}  {value:>{values}} ", style=self.style, no_wrap=True)
            return
        for name, value in self.rows:
            gap = width - self.indent - cell_len(name) - cell_len(value) - 1
            if gap >= 2:
                yield Text(f"{pad}{name}{' ' * gap}{value} ", style=self.style, no_wrap=True)
            else:
                yield Text(pad + name, style=self.style, overflow="fold")
                room = width - cell_len(value) - 1
                yield (Text(f"{' ' * room}{value} ", style=self.style, no_wrap=True) if room >= 1
                       else Padding(Text(value, style=self.style), (0, 0, 0, self.indent)))


def natural_width(console: Console, renderable, options: ConsoleOptions | None = None) -> int:
    """How wide `renderable` is drawn when nothing limits it: wrapped nowhere."""
    unlimited = (options or console.options).update_width(10**4)
    return Measurement.get(console, unlimited, renderable).maximum


class Fitting:
    """The first of `choices` that fits the width unwrapped; the last one otherwise."""

    def __init__(self, *choices) -> None:
        self.choices = choices

    def _pick(self, console: Console, options: ConsoleOptions):
        for choice in self.choices[:-1]:
            if natural_width(console, choice, options) <= options.max_width:
                return choice
        return self.choices[-1]

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self._pick(console, options))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self._pick(console, options)


def metrics_list(metrics: Mapping[str, Any]) -> Fitting:
    """The metrics table where it fits whole; in a narrower place each name whole on its
    line and its value beside or under it (the app's Run tab at 100 columns)."""
    return Fitting(metrics_table(metrics), NameValues(metric_rows(metrics)))


def meaning_of(meaning: Meaning, metrics: Mapping[str, Any], lang: str = "en") -> str:
    """The words of a key result for this run's metrics, in `lang`."""
    return meaning(metrics, lang) if callable(meaning) else meaning


def highlights_view(highlights: Iterable[tuple[str, Meaning]], metrics: Mapping[str, Any],
                    lang: str = "en") -> Group:
    """The lesson's key numbers first: each name and value whole (on a line together
    where the width holds them), and under it what the number means on this run, in
    `lang`, wrapped to the width there is."""
    shown = [(name, number(metrics[name]), meaning_of(meaning, metrics, lang))
             for name, meaning in highlights if name in metrics]
    if not shown:
        return Group()
    parts: list = [Text(tr(lang, "key results"), style="bold underline")]
    columns = widths((name, value) for name, value, _ in shown)
    for name, value, meaning in shown:
        parts.append(NameValues([(name, value)], style="bold", indent=0, columns=columns))
        parts.append(Padding(Text(meaning, style="dim"), (0, 0, 0, 2)))
    return Group(*parts)


def shown_path(path: str | Path, folder: str | Path | None) -> str:
    """`path` relative to `folder` (the models folder) when it lies inside it, else whole."""
    try:
        return str(Path(path).resolve().relative_to(Path(folder).resolve())) if folder else str(path)
    except ValueError:
        return str(path)


def params_table(params: Iterable, lang: str = "en") -> Table:
    """A lesson's parameters as `workbench show` lists them (declarations, not values),
    the headings and help lines in `lang`; names, types, defaults and rules stay as typed."""
    table = _table(tr(lang, "name"), tr(lang, "type"), tr(lang, "default"), tr(lang, "allowed"),
                   tr(lang, "help"), title=tr(lang, "parameters (--set NAME=VALUE)"))
    for column in table.columns[:4]:  # names, types and values stay whole; the help folds
        column.no_wrap = True
    for p in params:
        table.add_row(p.name, escape(p.type_name), p.format(p.default), p.allowed(), p.help_in(lang))
    return table


def saved_at(created: str | None) -> str:
    """ISO time in UTC from the metadata, shown in the learner's local time."""
    if not created:
        return ""
    try:
        return dt.datetime.fromisoformat(created).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return created


def key_metric_text(metadata: Mapping[str, Any]) -> str:
    """The number a model or a run is compared by (`store.key_metric`): "test_accuracy 0.9611"."""
    from workbench.results import store

    key = store.key_metric(metadata)
    return f"{key[0]} {number(key[1])}" if key else ""


def model_row(info) -> tuple[str, str, str, str, str]:
    """(file, lesson, dataset, saved, key metric): one line of the models list."""
    return (info.path.name, info.lesson or "(not workbench)", info.metadata.get("dataset") or "",
            saved_at(info.metadata.get("created")), key_metric_text(info.metadata))


MODEL_COLUMNS = ("model", "lesson", "dataset", "saved", "key metric")


def run_row(run) -> tuple[str, str, str, str, str, str]:
    """(id, started, lesson, step, outcome, key result): one line of the run history, as
    `workbench runs` lists it and the Runs screen shows it. The key result is the number
    the run's lesson is compared by, else the run's message (why it failed, say)."""
    about = key_metric_text({"lesson": run.lesson, "metrics": run.metrics}) or run.message or ""
    return (f"#{run.id}", run.started[:16].replace("T", " "), run.lesson, str(run.step or ""),
            run.outcome, about)


RUN_COLUMNS = ("run", "started", "lesson", "step", "outcome", "key result")


def models_table(infos: Iterable) -> Table:
    table = _table(*MODEL_COLUMNS)
    for info in infos:
        table.add_row(*model_row(info))
    return table


def inspect_view(info) -> Group:
    """What `workbench inspect` prints: metadata, parameters, metrics, layers."""
    meta = info.metadata
    parts: list = [Text(str(info.path), style="bold")]
    if meta:
        parts.append(Text(f"lesson {meta.get('lesson')}"
                          + (f" ({meta['variant']})" if meta.get("variant") else "")
                          + f" · dataset {meta.get('dataset')} · seed {meta.get('seed')}"
                          + f" · {meta.get('device', '?')} · saved {saved_at(meta.get('created'))}"))
        if meta.get("pictures"):
            parts.append(Text("pictures beside it: " + ", ".join(meta["pictures"])))
        params = _table("name", "value", title="parameters")
        for name, value in meta.get("params", {}).items():
            params.add_row(name, value if isinstance(value, str) else json.dumps(value))
        parts += [params, metrics_view(meta.get("metrics", {}), title="metrics")]
    else:
        parts.append(Text("a Keras model not saved by the workbench (no metadata)", style="dim"))
    layers = _table("layer", "type", "params", title="layers", numeric=("params",))
    for layer in info.layers:
        layers.add_row(layer.name, layer.type, f"{layer.params:,}")
    layers.add_row("total", "", f"{info.total_params:,}", style="bold")
    parts.append(layers)
    return Group(*parts)


ANATOMY_NUMBERS = ("output", "params", "MACs", "activations")


def anatomy_table(result) -> Table:
    """Per layer: output shape, parameters, MACs and output values, then the totals."""
    from workbench.results.anatomy import shape_text

    table = _table("layer", "type", *ANATOMY_NUMBERS, numeric=ANATOMY_NUMBERS,
                   title=f"{result.arch} on {shape_text(result.input_shape)}")
    for layer in result.layers:
        table.add_row(layer.name, layer.type, shape_text(layer.output_shape),
                      f"{layer.params:,}", f"{layer.macs:,}", f"{layer.activations:,}")
    table.add_row("total", "", "", f"{result.total_params:,}", f"{result.total_macs:,}", "",
                  style="bold")
    return table


def anatomy_summary(result) -> list[str]:
    """Three sentences: where the parameters, the multiply-accumulates and the memory go."""
    from workbench.results.anatomy import human

    one = ("time step" if None in result.input_shape
           else "image" if len(result.input_shape) == 3 else "example")
    convolutions = result.share("macs", {"Conv2D"})
    frozen = result.total_params - result.trainable_params
    return [
        f"parameters {human(result.total_params)} ({result.total_params:,}"
        + (f", of which {frozen:,} BatchNorm statistics or other non-trainable" if frozen else "")
        + f"); {result.share('params', {'Dense'}):.0%} of them in fully connected layers",
        f"one forward pass per {one}: {human(result.total_macs)} multiply-accumulates"
        + (f"; {convolutions:.0%} of them in convolutions" if convolutions else ""),
        f"activations kept per {one}: {human(result.forward_activation_bytes, 'B')} in float32 "
        f"({result.forward_activation_bytes / 2**20:.1f} MiB)",
    ]
