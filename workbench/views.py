"""The tables a learner reads, as Rich renderables that the CLI prints and the app shows.

Each view is drawn here once: `workbench inspect` and the Models screen, `workbench
anatomy` and the Anatomy tab, `workbench run`'s metrics and the Run tab all render the
same objects. Numbers never wrap or get cut: their columns are `no_wrap`, and a view
that is wider than its place scrolls (the app) or gets a wider console (the CLI).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Iterable, Mapping

from rich import box
from rich.console import Group
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from workbench.formatting import metric_rows, number


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


def highlights_view(highlights: Iterable[tuple[str, str]], metrics: Mapping[str, Any]) -> Group:
    """The lesson's key numbers first: each name and value on a line of its own, whole at
    any width, and under it what the number means, wrapped to the width there is."""
    shown = [(name, number(metrics[name]), meaning) for name, meaning in highlights if name in metrics]
    if not shown:
        return Group()
    names = max(len(name) for name, _, _ in shown)
    values = max(len(value) for _, value, _ in shown)
    parts: list = [Text("key results", style="bold underline")]
    for name, value, meaning in shown:
        parts.append(Text(f"{name:<{names}}  {value:>{values}} ", style="bold", no_wrap=True,
                          overflow="ellipsis"))
        parts.append(Padding(Text(meaning, style="dim"), (0, 0, 0, 2)))
    return Group(*parts)


def params_table(params: Iterable) -> Table:
    """A lesson's parameters as `workbench show` lists them (declarations, not values)."""
    table = _table("name", "type", "default", "allowed", "help", title="parameters (--set NAME=VALUE)")
    for p in params:
        table.add_row(p.name, p.type_name, p.format(p.default), p.allowed(), p.help)
    return table


def saved_at(created: str | None) -> str:
    """ISO time in UTC from the metadata, shown in the learner's local time."""
    if not created:
        return ""
    try:
        return dt.datetime.fromisoformat(created).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return created


def key_metric_text(info) -> str:
    from workbench import store

    key = store.key_metric(info.metadata)
    return f"{key[0]} {number(key[1])}" if key else ""


def model_row(info) -> tuple[str, str, str, str, str]:
    """(file, lesson, dataset, saved, key metric): one line of the models list."""
    return (info.path.name, info.lesson or "(not workbench)", info.metadata.get("dataset") or "",
            saved_at(info.metadata.get("created")), key_metric_text(info))


MODEL_COLUMNS = ("model", "lesson", "dataset", "saved", "key metric")


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
    from workbench.anatomy import shape_text

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
    from workbench.anatomy import human

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
