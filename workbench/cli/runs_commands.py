"""`workbench runs`: the run history; `runs show ID`, `runs compare ID ID... [--png FILE]`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Sequence

from workbench import files, registry
from workbench.drawing import tables
from workbench.drawing.numbers import json_safe
from workbench.errors import BadInput
from workbench.i18n.catalogue import tr
from workbench.i18n.language import DEFAULT as EN
from workbench.results import history


def add_parser(sub, models_option) -> None:
    p = sub.add_parser("runs", help="the run history: list, 'show ID', 'compare ID ID...'",
                       parents=[models_option])
    p.add_argument("words", nargs="*", metavar="[show ID | compare ID ID...]")
    p.add_argument("--lesson", help="only this lesson's runs")
    p.add_argument("--metric", help="compare: the per-epoch key to overlay (default: loss)")
    p.add_argument("--png", metavar="FILE", help="compare/show: also write the curves as a PNG")
    p.add_argument("--json", action="store_true", help="print JSON")


def _ids(words: Sequence[str]) -> list[int]:
    ids = []
    for word in words:
        try:
            ids.append(int(word.lstrip("#")))
        except ValueError:
            raise BadInput(f"run ids are numbers (see 'workbench runs'); got {word!r}") from None
    return ids


def _runs(record, ids: Sequence[int]) -> list:
    found = []
    for run_id in ids:
        run = record.get(run_id)
        if run is None:
            raise BadInput(f"no run #{run_id} in the history; 'workbench runs' lists them")
        found.append(run)
    return found


def summary_row(run) -> dict:
    return {name: getattr(run, name) for name in
            ("id", "lesson", "step", "params", "outcome", "metrics", "model_path", "started", "finished")}


def run_line(run) -> str:
    """`tables.run_row` in columns, and the parameters the run changed from its lesson's."""
    run_id, started, lesson_id, step, outcome, about = tables.run_row(run)
    step = f"step {step}" if step else ""
    lesson = registry.find(run.lesson)
    defaults = lesson.settings().to_dict() if lesson else {}
    changed = " ".join(f"{k}={_param(v)}" for k, v in run.params.items() if defaults.get(k) != v)
    return (f"{run_id:<5} {started}  {lesson_id:<9} {step:<7} {outcome:<9} {about}"
            + (f"  ({changed})" if changed else ""))


def _param(value) -> str:
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)


def _print_json(obj) -> None:
    """Strict JSON: a metric that is NaN or infinite is written null."""
    print(json.dumps(json_safe(obj), indent=2, ensure_ascii=False, allow_nan=False))


def warn_unreadable(record) -> None:
    """One line on stderr for each run the listing had to leave out."""
    for reason in record.unreadable.values():
        sys.stderr.write("workbench: warning: " + tr(EN, "{problem}; the other runs are listed",
                                                     problem=reason) + "\n")
    sys.stderr.flush()


def cmd_runs(args) -> int:
    record = history.strict(args.models_dir)
    words = list(args.words)
    if not words:
        if args.lesson:
            registry.get(args.lesson)  # an unknown lesson is a typo, not an empty list
        runs = record.runs(args.lesson)
        warn_unreadable(record)
        if args.json:
            _print_json({"runs": [summary_row(r) for r in runs]})
        elif not runs:
            print("no runs yet; 'workbench run knn' makes one")
        else:
            print("\n".join(run_line(r) for r in runs))
        return 0
    verb, ids = words[0], _ids(words[1:])
    if verb == "show":
        if len(ids) != 1:
            raise BadInput("runs show takes one run id, e.g. workbench runs show 3")
    elif verb == "compare":
        if len(ids) < 2:
            raise BadInput("runs compare takes two or more run ids, e.g. workbench runs compare 3 4")
    else:
        raise BadInput(f"unknown runs command {verb!r}; use show ID or compare ID ID...")
    if args.png and Path(args.png).suffix.lower() != ".png":
        raise BadInput(f"--png must name a .png file; got {args.png!r}")
    runs = _runs(record, ids)
    key = args.metric or "loss"
    lines = history.curves(runs, key)
    if args.metric and not lines:
        raise BadInput(f"no run here logged {args.metric!r} per epoch")
    if args.png and not lines:
        raise BadInput(f"no per-epoch {key!r} to plot in these runs (kNN does not train)")
    if args.json:
        _print_json({"runs": [r.to_dict() for r in runs]})
    else:
        _print_runs(runs, lines, key)
    if args.png:
        write_png(lines, Path(args.png), title=f"{key} by epoch")
        print(f"wrote {args.png}", file=sys.stderr)
    return 0


def _print_runs(runs, lines, key: str) -> None:
    from rich.console import Console

    from workbench.drawing import charts
    from workbench.running.events import Chart
    from workbench.drawing.guided_path import comparison_table, scalar_metrics

    console = Console(highlight=False)
    if len(runs) == 1:
        run = runs[0]
        console.print(run_line(run))
        console.print("  ".join(f"{k}={_param(v)}" for k, v in run.params.items()), style="cyan")
        if run.message:
            console.print(run.message)
        console.print(tables.metrics_view(run.metrics))
        for claim in run.claims:
            console.print(f"{'✓' if claim.get('holds') else '✗'} {claim.get('text', '?')}: "
                          f"{claim.get('measured', '?')}")
        if run.model_path:
            console.print(f"model: {run.model_path}")
    else:
        console.print(comparison_table(runs, scalar_metrics(runs)))
    if lines:
        chart = Chart(f"{key} by epoch", "epoch", [], {label: ys for label, (_, ys) in lines.items()},
                      xs={label: xs for label, (xs, _) in lines.items()})
        console.print(charts.render(chart, width=min(console.width, 100), color=console.is_terminal))


def write_png(lines, path: Path, *, title: str) -> Path:
    """The overlaid curves as a PNG (matplotlib, no display needed); written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 4.5), dpi=100)
    axes = figure.subplots()
    for label, (xs, ys) in lines.items():
        axes.plot(xs, ys, marker="o", markersize=3, label=label)
    axes.set(title=title, xlabel="epoch")
    axes.legend()
    axes.grid(alpha=0.3)
    with files.replacing(path) as tmp:  # ends in .png: savefig's format
        figure.savefig(tmp)
    return path
