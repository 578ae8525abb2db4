"""`workbench`: the command line. Parses, dispatches, renders; never imports TensorFlow itself.

Exit codes: 0 done, 2 bad input (one line on stderr), 130 interrupted, 1 anything else.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Sequence

from workbench import __version__, registry
from workbench.errors import BadInput, Cancelled, WorkbenchError
from workbench.placement import DISTRIBUTIONS, PRECISIONS  # light: TensorFlow loads on use


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit 2, like every other bad input."""

    def error(self, message: str):
        raise BadInput(f"{message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="workbench", description="Learn deep learning by running it: "
                     "CS231n-style lessons in Keras. With no command, opens the app.")
    parser.add_argument("--version", action="version", version=f"workbench {__version__}")
    parser.add_argument("--models-dir", metavar="DIR",
                        help="models folder (default: $WORKBENCH_MODELS or ./saved_models)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    # Accepted after the command too (`workbench run knn --models-dir DIR`); SUPPRESS keeps
    # a value given before the command from being reset to None by the subparser.
    models_option = _Parser(add_help=False)
    models_option.add_argument("--models-dir", metavar="DIR", default=argparse.SUPPRESS,
                               help="models folder (default: $WORKBENCH_MODELS or ./saved_models)")

    p = sub.add_parser("list", help="the lessons: id, title, one-line summary")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("show", help="a lesson's notes and parameter table")
    p.add_argument("lesson")

    p = sub.add_parser("run", help="run a lesson headless", parents=[models_option])
    p.add_argument("lesson")
    p.add_argument("--set", dest="assignments", action="append", default=[], metavar="NAME=VALUE",
                   help="set a lesson parameter (repeatable); 'workbench show LESSON' lists them")
    p.add_argument("--dataset", help="digits (embedded, default), mnist, fashion_mnist, cifar10")
    p.add_argument("--out", metavar="PATH", help="where to save the model (default: models folder)")
    p.add_argument("--seed", type=_checked("seed", int, low=0), default=0,
                   help="random seed (default 0)")
    p.add_argument("--precision", choices=PRECISIONS, default="float32",
                   help="float32 (default) or mixed (float16 on a GPU, bfloat16 on a CPU)")
    p.add_argument("--distribute", choices=DISTRIBUTIONS, default="none",
                   help="none (default) or mirrored (MirroredStrategy over every GPU)")
    p.add_argument("--json", action="store_true", help="print one JSON object to stdout")
    p.add_argument("--quiet", action="store_true", help="no progress or log on stderr")

    p = sub.add_parser("generate", help="write text from a saved LSTM, streaming")
    p.add_argument("model", metavar="MODEL.h5")
    p.add_argument("--prime", default="", help="text that warms up the state; printed first")
    p.add_argument("--length", type=_checked("length", int, low=0), default=500,
                   help="characters to generate (default 500)")
    p.add_argument("--temperature", type=_checked("temperature", float, low=0.0), default=0.8,
                   help="0 = always the likeliest character; higher = more adventurous (default 0.8)")
    p.add_argument("--top-k", type=_checked("top-k", int, low=1), default=None,
                   help="sample only among the k likeliest characters")
    p.add_argument("--seed", type=_checked("seed", int, low=0), default=0,
                   help="random seed: the same seed gives the same text (default 0)")

    p = sub.add_parser("inspect", help="a saved model's metadata, metrics and layers")
    p.add_argument("model", metavar="MODEL.h5")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("anatomy", help="per layer: output shape, parameters, MACs, activations")
    p.add_argument("arch", metavar="ARCH", nargs="?",
                   help="an architecture (workbench anatomy --list) or a saved MODEL.h5")
    p.add_argument("--input", metavar="HxWxC", help="input size (default: the paper's)")
    p.add_argument("--classes", type=_checked("classes", int, low=1, high=100_000), default=None,
                   help="classifier outputs (default: the paper's, 1000 for ImageNet)")
    p.add_argument("--list", action="store_true", help="list the architectures")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("models", help="the saved models in the models folder", parents=[models_option])
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("devices", help="what TensorFlow sees and what a run would use")
    p.add_argument("--json", action="store_true", help="print JSON")
    return parser


def _checked(name: str, kind: type, **bounds):
    """An argparse `type` that validates like a lesson parameter, with the same messages."""
    from workbench.params import Param

    param = Param(name, kind, kind(bounds.get("low", 0)), "", **bounds)

    def parse(text: str):
        try:
            return param.coerce(text)
        except BadInput as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            from workbench.tui.app import run_app

            run_app(models_dir=args.models_dir)
            return 0
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print("workbench: interrupted; nothing was saved", file=sys.stderr)
        return 130
    except Cancelled as exc:
        print(f"workbench: {exc}", file=sys.stderr)
        return exc.exit_code
    except WorkbenchError as exc:
        print(f"workbench: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # `workbench list | head`: the reader left; not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # a bug: say so in one line; WORKBENCH_DEBUG=1 shows the trace
        if os.environ.get("WORKBENCH_DEBUG") == "1":
            raise
        print(f"workbench: internal error: {type(exc).__name__}: {exc} "
              "(set WORKBENCH_DEBUG=1 for the traceback)", file=sys.stderr)
        return 1


def _print_json(obj: Any) -> None:
    print(json.dumps(obj, indent=2))


def _number(value: Any) -> str:
    """Four significant digits for floats (0.9639, 1.2e-06), also inside lists and dicts."""
    def rounded(v):
        if isinstance(v, float):
            return float(f"{v:.4g}")
        if isinstance(v, dict):
            return {k: rounded(x) for k, x in v.items()}
        if isinstance(v, list):
            return [rounded(x) for x in v]
        return v

    return f"{value:.4g}" if isinstance(value, float) else json.dumps(rounded(value))


def _console(min_width: int = 0):
    """Rich console; with `min_width`, a pipe or log file gets at least that many columns
    (Rich assumes 80 there), so wide tables stay one row per line."""
    from rich.console import Console

    console = Console(highlight=False)
    if min_width and not console.is_terminal and console.width < min_width:
        console = Console(highlight=False, width=min_width)
    return console


# -- commands ---------------------------------------------------------------------------

def cmd_list(args) -> int:
    rows = [{"id": l.id, "title": l.title, "summary": l.summary, "built": l.built}
            for l in registry.lessons()]
    if args.json:
        _print_json({"lessons": rows})
        return 0
    from rich.table import Table

    table = Table(box=None, header_style="bold")
    for column in ("id", "title", "summary"):
        table.add_column(column)
    for row in rows:
        summary = row["summary"] if row["built"] else f"[dim](not built yet)[/] {row['summary']}"
        table.add_row(row["id"], row["title"], summary)
    _console().print(table)
    return 0


def cmd_show(args) -> int:
    from rich.markdown import Markdown
    from rich.table import Table

    lesson = registry.get(args.lesson)
    console = _console()
    if not lesson.built:
        console.print(f"[bold]{lesson.title}[/] ({lesson.id}): not built yet\n{lesson.summary}")
        return 0
    console.print(Markdown(lesson.notes))
    table = Table(title="parameters (--set NAME=VALUE)", header_style="bold")
    for column in ("name", "type", "default", "allowed", "help"):
        table.add_column(column)
    for p in lesson.params:
        table.add_row(p.name, p.type_name, p.format(p.default), p.allowed(), p.help)
    console.print(table)
    return 0


def cmd_run(args) -> int:
    from workbench.params import parse_assignments
    from workbench.progress import ConsoleView
    from workbench.quiet import detach_native_stderr
    from workbench.runner import run

    params = parse_assignments(args.assignments)
    detach_native_stderr()
    view = ConsoleView(quiet=args.quiet)
    try:
        result = run(args.lesson, params, dataset=args.dataset, seed=args.seed, out=args.out,
                     models_dir=args.models_dir, on_event=view, precision=args.precision,
                     distribute=args.distribute)
    finally:
        view.close()
    if args.json:
        _print_json(result.to_dict())
        return 0
    console = _console()
    console.print(f"[bold]{result.lesson}[/] on {result.dataset}, {result.seconds:.1f}s on {result.device}")
    for name, value in result.metrics.items():
        console.print(f"  {name}: {_number(value)}")
    if result.model_path:
        console.print(f"model: {result.model_path}")
    return 0


def cmd_generate(args) -> int:
    from workbench.quiet import detach_native_stderr

    detach_native_stderr()  # before sampling's import loads TensorFlow, which logs from C++
    from workbench.sampling import Sampler

    sampler = Sampler.from_file(args.model)
    sampler.check_prime(args.prime)  # refuse before printing anything
    sys.stdout.write(args.prime)
    sys.stdout.flush()
    for chunk in sampler.generate(args.prime, args.length, temperature=args.temperature,
                                  top_k=args.top_k, seed=args.seed):
        sys.stdout.write(chunk)
        sys.stdout.flush()
    sys.stdout.write("\n")
    return 0


def cmd_inspect(args) -> int:
    from workbench import store

    info = store.describe(args.model)
    layers = [{"name": l.name, "type": l.type, "params": l.params} for l in info.layers]
    if args.json:
        _print_json({"path": str(info.path), "workbench": info.metadata, "layers": layers,
                     "total_params": info.total_params})
        return 0
    from rich.table import Table

    console = _console()
    meta = info.metadata
    if meta:
        console.print(f"[bold]{info.path}[/]: lesson {meta.get('lesson')}, dataset {meta.get('dataset')}, "
                      f"saved {meta.get('created')}")
        console.print("params: " + json.dumps(meta.get("params", {})))
        for name, value in meta.get("metrics", {}).items():
            console.print(f"  {name}: {_number(value)}")
    else:
        console.print(f"[bold]{info.path}[/]: a Keras model not saved by the workbench (no metadata)")
    table = Table(header_style="bold")
    for column in ("layer", "type", "params"):
        table.add_column(column, justify="right" if column == "params" else "left")
    for layer in layers:
        table.add_row(layer["name"], layer["type"], f"{layer['params']:,}")
    table.add_row("total", "", f"{info.total_params:,}", style="bold")
    console.print(table)
    return 0


def cmd_anatomy(args) -> int:
    from workbench import anatomy

    if args.list or not args.arch:
        known = registry.architectures()
        if args.json:
            _print_json({"architectures": [{"name": a.name, "summary": a.summary,
                                            "input_shape": list(a.input_shape)} for a in known.values()]})
            return 0
        if not args.list:
            raise BadInput("anatomy needs an architecture: " + ", ".join(known))
        for a in known.values():
            print(f"{a.name:<18} {anatomy.shape_text(a.input_shape):<12} {a.summary}")
        return 0
    from workbench.quiet import detach_native_stderr

    if args.arch not in registry.architectures() and (
            args.arch.endswith((".h5", ".hdf5", ".keras")) or os.sep in args.arch or os.path.exists(args.arch)):
        if args.input is not None or args.classes is not None:
            raise BadInput("--input and --classes apply to an architecture, not to a saved model")
        from workbench import store

        detach_native_stderr()
        model, info = store.load_model(args.arch)
        result = anatomy.of_model(model, info.path.stem)
    else:
        anatomy.get(args.arch)  # an unknown name is refused before TensorFlow loads
        shape = anatomy.parse_input(args.input) if args.input is not None else None
        detach_native_stderr()
        result = anatomy.anatomy_of(args.arch, shape, args.classes)
    if args.json:
        _print_json(result.to_dict())
        return 0
    _console(min_width=120).print(anatomy_table(result))
    for line in anatomy_summary(result):
        print(line)
    return 0


def anatomy_table(result):
    from rich.table import Table

    from workbench.anatomy import shape_text

    table = Table(title=f"{result.arch} on {shape_text(result.input_shape)}", header_style="bold")
    for column in ("layer", "type", "output", "params", "MACs", "activations"):
        # Names and numbers never wrap; in a narrow terminal the type column folds.
        folds = column == "type"
        table.add_column(column, justify="left" if column in ("layer", "type") else "right",
                         no_wrap=not folds, overflow="fold" if folds else "ellipsis")
    for layer in result.layers:
        table.add_row(layer.name, layer.type, shape_text(layer.output_shape),
                      f"{layer.params:,}", f"{layer.macs:,}", f"{layer.activations:,}")
    table.add_row("total", "", "", f"{result.total_params:,}", f"{result.total_macs:,}", "",
                  style="bold")
    return table


def anatomy_summary(result) -> list[str]:
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


def cmd_models(args) -> int:
    from workbench import store

    rows = []
    for info in store.list_models(args.models_dir):
        key = store.key_metric(info.metadata)
        rows.append({"path": str(info.path), "lesson": info.lesson, "variant": info.metadata.get("variant"),
                     "created": info.metadata.get("created"), "dataset": info.metadata.get("dataset"),
                     "key_metric": {key[0]: key[1]} if key else {}})
    if args.json:
        _print_json({"models_dir": str(store.models_dir(args.models_dir)), "models": rows})
        return 0
    if not rows:
        print(f"no models in {store.models_dir(args.models_dir)} yet; 'workbench run knn' makes one")
        return 0
    from rich.table import Table

    table = Table(header_style="bold")
    for column in ("model", "lesson", "dataset", "saved", "key metric"):
        table.add_column(column)
    for row in rows:
        metric = ", ".join(f"{k} {_number(v)}" for k, v in row["key_metric"].items())
        table.add_row(row["path"], row["lesson"] or "(not workbench)", row["dataset"] or "",
                      row["created"] or "", metric)
    _console().print(table)
    return 0


def cmd_devices(args) -> int:
    from workbench import devices
    from workbench.quiet import detach_native_stderr

    detach_native_stderr()
    report = {"devices": devices.visible(), "run_device": devices.run_device()}
    if args.json:
        _print_json(report)
        return 0
    for d in report["devices"]:
        print(f"{d['name']:<10} {d['type']:<4} {d.get('model', '')}")
    print(f"a run would use: {report['run_device']}")
    return 0


COMMANDS = {"list": cmd_list, "show": cmd_show, "run": cmd_run, "generate": cmd_generate,
            "inspect": cmd_inspect, "anatomy": cmd_anatomy,
            "models": cmd_models, "devices": cmd_devices}
