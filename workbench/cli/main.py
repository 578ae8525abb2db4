"""`workbench`: the command line. Parses, dispatches, renders; never imports TensorFlow itself.

Exit codes: 0 done, 2 bad input (one line on stderr), 130 interrupted, 1 anything else.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import sys
import threading
from typing import Any, Sequence

from workbench import __version__, registry
from workbench.drawing.numbers import error_line
from workbench.errors import BadInput, WorkbenchError
from workbench.i18n import language
from workbench.params import SEED, Param
from workbench.running.placement import DISTRIBUTIONS, PRECISIONS  # light: TensorFlow loads on use
from workbench.running.quiet import DEBUG, native_stderr_diverted


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
    parser.add_argument("--lang", dest="app_lang", metavar="LANG",
                        help="the app's language, en or zh (default: $WORKBENCH_LANG, then the "
                             "language last chosen in the app, then the locale)")
    parser.add_argument("--workers", dest="app_workers", metavar="N",
                        help="the app's runs train across N worker processes on this machine "
                             "(MultiWorkerMirroredStrategy), each run in a process of its own")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    # Accepted after the command too (`workbench run knn --models-dir DIR`); SUPPRESS keeps
    # a value given before the command from being reset to None by the subparser.
    models_option = _Parser(add_help=False)
    models_option.add_argument("--models-dir", metavar="DIR", default=argparse.SUPPRESS,
                               help="models folder (default: $WORKBENCH_MODELS or ./saved_models)")

    p = sub.add_parser("list", help="the lessons: id, title, one-line summary")
    p.add_argument("--json", action="store_true", help="print JSON (English, whatever --lang says)")
    p.add_argument("--lang", help=LANG_HELP)

    p = sub.add_parser("show", help="a lesson's notes and parameter table")
    p.add_argument("lesson")
    p.add_argument("--lang", help=LANG_HELP)

    p = sub.add_parser("run", help="run a lesson headless", parents=[models_option])
    p.add_argument("lesson")
    p.add_argument("--set", dest="assignments", action="append", default=[], metavar="NAME=VALUE",
                   help="set a lesson parameter (repeatable); 'workbench show LESSON' lists them")
    p.add_argument("--dataset", help="digits (embedded, default), mnist, fashion_mnist, cifar10")
    p.add_argument("--out", metavar="PATH", help="where to save the model (default: models folder)")
    _add_option(p, SEED)
    p.add_argument("--precision", choices=PRECISIONS, default="float32",
                   help="float32 (default) or mixed (float16 on a GPU, bfloat16 on a CPU)")
    p.add_argument("--distribute", choices=DISTRIBUTIONS, default="none",
                   help="none (default), mirrored (MirroredStrategy over every GPU) or "
                        "multiworker (MultiWorkerMirroredStrategy: --workers N processes here, "
                        "or join the cluster TF_CONFIG describes)")
    p.add_argument("--workers", metavar="N", help="with --distribute multiworker: start N worker "
                   "processes on this machine (the batch is the global batch, split among them)")
    p.add_argument("--json", action="store_true", help="print one JSON object to stdout")
    p.add_argument("--quiet", action="store_true", help="no progress or log on stderr")
    p.add_argument("--lang", help=LANG_HELP + " (the explanatory log lines)")
    p.add_argument("--mine", action="store_true", help="also run with your exercise functions "
                   "(knn: distances and vote; linear: your loss and gradient); they must pass first")
    p.add_argument("--workspace", metavar="DIR", help="with --mine: where your exercise files are "
                   "(default: $WORKBENCH_WORKSPACE or ./exercises)")
    p.add_argument("--step", type=int, metavar="N", help="run step N of the lesson's guided path "
                   "(its preset; --set changes it) and check its claims ('workbench path LESSON')")
    p.add_argument("--no-tensorboard", dest="tensorboard", action="store_false", default=None,
                   help="write no TensorBoard logs (default: <models>/tensorboard/<run id>/)")

    from workbench.running.generation import OPTIONS

    p = sub.add_parser("generate", help="write text from a saved LSTM, streaming")
    p.add_argument("model", metavar="MODEL.h5")
    p.add_argument("--prime", default="", help="text that warms up the state; printed first")
    p.add_argument("--mine", action="store_true", help="drive the model with your lstm_step and "
                   "sample (the lstm exercises; they must pass first)")
    p.add_argument("--workspace", metavar="DIR", help="with --mine: where your exercise files are")
    for option in OPTIONS:
        _add_option(p, option)

    from workbench.cli import exercise_commands

    exercise_commands.add_parsers(sub, LANG_HELP)

    from workbench.cli import path_commands

    from workbench.cli import runs_commands

    path_commands.add_parser(sub, LANG_HELP, models_option)
    runs_commands.add_parser(sub, models_option)

    p = sub.add_parser("inspect", help="a saved model's metadata, metrics and layers")
    p.add_argument("model", metavar="MODEL.h5")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("anatomy", help="per layer: output shape, parameters, MACs, activations")
    p.add_argument("arch", metavar="ARCH", nargs="?",
                   help="an architecture (workbench anatomy --list) or a saved MODEL.h5")
    p.add_argument("--input", metavar="HxWxC", help="input size (default: the paper's)")
    p.add_argument("--classes", type=_argument_type(CLASSES), default=None,
                   help="classifier outputs (default: the paper's, 1000 for ImageNet)")
    p.add_argument("--list", action="store_true", help="list the architectures")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("models", help="the saved models in the models folder", parents=[models_option])
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("devices", help="what TensorFlow sees and what a run would use")
    p.add_argument("--json", action="store_true", help="print JSON")
    return parser


LANG_HELP = "en or zh (default: $WORKBENCH_LANG, else the locale: LANG=zh_CN.UTF-8 gives zh)"

CLASSES = Param("classes", int, 1000, "classifier outputs", low=1, high=100_000)


def _argument_type(param: Param):
    """An argparse `type` that judges text by the parameter's declaration, with its words."""
    def parse(text: str):
        try:
            return param.coerce(text)
        except BadInput as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def _add_option(parser, param: Param) -> None:
    """`--NAME` (underscores as dashes) from a declaration: its type, bounds, default, help."""
    parser.add_argument(f"--{param.name.replace('_', '-')}", dest=param.name,
                        type=_argument_type(param), default=param.default,
                        help=f"{param.help} (default {param.format(param.default)})")


def main(argv: Sequence[str] | None = None) -> int:
    from workbench.i18n import line_breaking

    line_breaking.install()  # Chinese lines break between characters, never before a comma
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            # Python's cycle collector would walk the hundreds of thousands of objects the
            # app's imports and first frame make, again and again, for no cycle worth
            # freeing: about a twentieth of the time to the first frame. The app turns it
            # back on once that frame is on screen (WorkbenchApp.on_ready), or as it ends.
            gc.disable()
            from workbench.tui.app import run_app

            if args.app_lang:  # the app reads it where it reads the learner's choice
                os.environ[language.ENV] = language.checked(args.app_lang)

            run_app(models_dir=args.models_dir, workers=app_workers(args.app_workers))
            return 0
        if args.app_workers is not None:
            raise BadInput("--workers before a command is the app's; for one run: workbench run "
                           "LESSON --distribute multiworker --workers N")
        if args.app_lang and hasattr(args, "lang") and not args.lang:
            args.lang = args.app_lang  # `workbench --lang zh path knn` as `path knn --lang zh`
        # TensorFlow's C++ writes to fd 2 must not mix with our lines and bars.
        with native_stderr_diverted():
            return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        return _fail("workbench: interrupted; nothing was saved", 130)
    except WorkbenchError as exc:
        return _fail(error_line(exc), exc.exit_code)
    except BrokenPipeError:  # `workbench list | head`: the reader left; not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # a bug: say so in one line; WORKBENCH_DEBUG=1 shows the trace
        if DEBUG:
            raise
        return _fail(error_line(exc), 1)


def _fail(line: str, code: int) -> int:
    """One whole line on stderr, flushed before the exit code is returned."""
    sys.stderr.write(line + "\n")
    sys.stderr.flush()
    return code


def _print_json(obj: Any) -> None:
    from workbench.drawing.numbers import json_safe

    print(json.dumps(json_safe(obj), indent=2, allow_nan=False))  # strict JSON: NaN as null


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
    found = registry.catalog()
    for plugin in found.broken:  # one line each; the working lessons are still listed
        sys.stderr.write(f"workbench: warning: {plugin.line()}\n")
    rows = [{"id": l.id, "title": l.title, "summary": l.summary} for l in found.lessons]
    if args.json:
        _print_json({"lessons": rows})
        return 0
    from rich.table import Table

    table = Table(box=None, header_style="bold")
    for column in ("id", "title", "summary"):
        table.add_column(column)
    lang = language.resolve(args.lang)  # the JSON above stays English, as scripts read it
    for lesson in found.lessons:
        table.add_row(lesson.id, lesson.title_in(lang), lesson.summary_in(lang))
    _console().print(table)
    return 0


def cmd_show(args) -> int:
    from rich.markdown import Markdown

    from workbench.drawing import tables

    lang = language.resolve(args.lang)
    lesson = registry.get(args.lesson)
    console = _console()
    console.print(Markdown(lesson.notes_in(lang)))
    console.print(tables.params_table(lesson.params, lang))
    return 0


def cmd_run(args) -> int:
    from workbench.drawing import tables

    from workbench.running.interrupts import interrupt_cancels
    from workbench.params import parse_assignments
    from workbench.cli.progress import ConsoleView
    from workbench.running.runner import execute, prepare

    params = parse_assignments(args.assignments)
    if os.environ.get(EVENT_LINES_ENV) == "1":  # the app's run in a child: it goes with the app
        from workbench.running.lifeline import die_with_parent

        die_with_parent(os.getppid())
        view = EventLines(language.resolve(args.lang))
    else:
        view = ConsoleView(quiet=args.quiet, lang=language.resolve(args.lang))
    request = prepare(args.lesson, params, args.dataset, args.seed, args.step)
    from workbench.running.placement import check_distribution

    check_distribution(request.lesson, request.settings, args.distribute, args.workers,
                       mine=args.mine)  # before any work, the learner's sandbox included
    mine = None
    if args.mine:
        from workbench.course import exercises

        mine = exercises.mine_functions(args.lesson, request.settings.mine_uses(),
                                        exercises.workspace(args.workspace))
    cancel = threading.Event()
    try:
        with interrupt_cancels(cancel):
            result = execute(request, out=args.out, models_dir=args.models_dir, on_event=view,
                             precision=args.precision, distribute=args.distribute,
                             workers=args.workers, mine=mine, tensorboard=args.tensorboard,
                             cancel=cancel)
    finally:
        view.close()
        if mine is not None:
            mine.close()  # the sandbox running the learner's functions, and all it started
    if args.json:
        _print_json(result.to_dict())
        return 0
    console = _console()
    run_id = f" (run #{result.run_id})" if result.run_id is not None else ""
    console.print(f"[bold]{result.lesson}[/] on {result.dataset}, {result.seconds:.1f}s on "
                  f"{result.device}{run_id}")
    if result.distribute:
        console.print(distribute_line(result.distribute))
    console.print(tables.highlights_view(registry.get(result.lesson).highlights, result.metrics,
                                        view.lang))
    if result.step is not None:  # what the step claimed, on this run: read before the details
        from workbench.drawing import guided_path

        console.print(guided_path.step_outcome(request.lesson, result, view.lang))
    console.print(tables.metrics_view(result.metrics))
    if result.model_path:
        console.print(f"model: {result.model_path}")
    elif result.distribute and result.distribute.get("worker"):
        console.print("model: kept by the chief (worker 0), as are the run history and the "
                      "TensorBoard logs")
    return 0


EVENT_LINES_ENV = "WORKBENCH_EVENT_LINES"  # 1: a run's events go to stderr as lines (child_run)


class EventLines:
    """A run's events, each a line on stderr, for the process that shows them."""

    def __init__(self, lang: str):
        self.lang = lang

    def __call__(self, event) -> None:
        from workbench.running.events import to_line

        sys.stderr.write(to_line(event) + "\n")
        sys.stderr.flush()

    def close(self) -> None:
        pass


def app_workers(given: str | None) -> int | None:
    """The app's `--workers`: None (one process) or the workers each run starts."""
    if given is None:
        return None
    from workbench.running.placement import WORKERS

    return WORKERS.coerce(given)


def distribute_line(distribute: dict) -> str:
    """What trained the model, in one line: `"distribute"` of the result in words."""
    worker = distribute.get("worker")
    role = "" if worker is None else f"; this was worker {worker}" + (" (the chief)" if worker == 0 else "")
    return (f"distributed: {distribute['strategy']}, {distribute['workers']} "
            f"worker{'s' if distribute['workers'] != 1 else ''}, {distribute['replicas']} "
            f"replica{'s' if distribute['replicas'] != 1 else ''}{role}")


def cmd_generate(args) -> int:
    from workbench.running import generation

    chosen = generation.options({option.name: getattr(args, option.name)
                                 for option in generation.OPTIONS})
    sampler = generation.open_sampler(args.model, mine=args.mine, mine_workspace=args.workspace)
    sampler.check_prime(args.prime)  # refuse before printing anything
    if chosen["length"] == 0:
        return 0  # nothing asked for, nothing printed
    sys.stdout.write(args.prime)
    sys.stdout.flush()
    for chunk in generation.generate(sampler, args.prime, chosen):
        sys.stdout.write(chunk)
        sys.stdout.flush()
    sys.stdout.write("\n")
    return 0


def cmd_inspect(args) -> int:
    from workbench.results import store
    from workbench.drawing import tables

    info = store.describe(args.model)
    if args.json:
        layers = [{"name": l.name, "type": l.type, "params": l.params} for l in info.layers]
        _print_json({"path": str(info.path), "workbench": info.metadata, "layers": layers,
                     "total_params": info.total_params})
        return 0
    _console().print(tables.inspect_view(info))
    return 0


def cmd_anatomy(args) -> int:
    from workbench.results import anatomy
    from workbench.drawing import tables

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
    if args.arch not in registry.architectures() and (
            args.arch.endswith((".h5", ".hdf5", ".keras")) or os.sep in args.arch or os.path.exists(args.arch)):
        if args.input is not None or args.classes is not None:
            raise BadInput("--input and --classes apply to an architecture, not to a saved model")
        from workbench.results import store

        model, info = store.load_model(args.arch)
        result = anatomy.of_model(model, info.path.stem)
    else:
        anatomy.architecture(args.arch)  # an unknown name is refused before TensorFlow loads
        shape = anatomy.parse_input(args.input) if args.input is not None else None
        result = anatomy.anatomy_of(args.arch, shape, args.classes)
    if args.json:
        _print_json(result.to_dict())
        return 0
    _console(min_width=120).print(tables.anatomy_table(result))
    for line in tables.anatomy_summary(result):
        print(line)
    return 0


def cmd_models(args) -> int:
    from workbench.results import store
    from workbench.drawing import tables

    infos, unreadable = store.scan_models(args.models_dir)
    if args.json:
        rows = []
        for info in infos:
            key = store.key_metric(info.metadata)
            rows.append({"path": str(info.path), "lesson": info.lesson,
                         "variant": info.metadata.get("variant"),
                         "created": info.metadata.get("created"),
                         "dataset": info.metadata.get("dataset"),
                         "key_metric": {key[0]: key[1]} if key else {}})
        _print_json({"models_dir": str(store.models_dir(args.models_dir)), "models": rows,
                     "unreadable": [{"path": str(path), "reason": reason} for path, reason in unreadable]})
        return 0
    for path, reason in unreadable:
        print(f"workbench: warning: {path} is not listed: {reason}", file=sys.stderr)
    if not infos:
        folder = store.models_dir(args.models_dir)
        if all(path != folder for path, _ in unreadable):  # a folder we cannot list: said above
            print(f"no models in {folder} yet; 'workbench run knn' makes one")
        return 0
    _console().print(tables.models_table(infos))
    return 0


def cmd_devices(args) -> int:
    from workbench.running import devices

    report = {"devices": devices.visible(), "run_device": devices.run_device()}
    if args.json:
        _print_json(report)
        return 0
    for d in report["devices"]:
        print(f"{d['name']:<10} {d['type']:<4} {d.get('model', '')}")
    print(f"a run would use: {report['run_device']}")
    return 0


def _elsewhere(module: str, name: str):
    """A command whose module is imported only when it runs, so the others start fast."""
    def command(args) -> int:
        return getattr(importlib.import_module(f"workbench.cli.{module}"), name)(args)

    return command


COMMANDS = {"path": _elsewhere("path_commands", "cmd_path"), "runs": _elsewhere("runs_commands", "cmd_runs"),
            "exercises": _elsewhere("exercise_commands", "cmd_exercises"),
            "check": _elsewhere("exercise_commands", "cmd_check"), "list": cmd_list, "show": cmd_show, "run": cmd_run, "generate": cmd_generate,
            "inspect": cmd_inspect, "anatomy": cmd_anatomy, "models": cmd_models, "devices": cmd_devices}
