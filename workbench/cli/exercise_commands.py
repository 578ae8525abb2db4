"""`workbench exercises` and `workbench check`: the exercise loop on the command line."""

from __future__ import annotations

import json
import sys

from workbench.course import exercises
from workbench.errors import BadInput
from workbench.i18n import language
from workbench.i18n.catalogue import tr


def add_parsers(sub, lang_help: str) -> None:
    p = sub.add_parser("exercises", help="the exercises and their status; 'start LESSON' writes the stubs")
    p.add_argument("action", nargs="?", choices=["start"], help="start: write LESSON's stubs")
    p.add_argument("lesson", nargs="?", help="the lesson whose exercises to start")
    p.add_argument("--workspace", metavar="DIR", help="where your files are (default: "
                   "$WORKBENCH_WORKSPACE or ./exercises)")
    p.add_argument("--force", action="store_true", help="start: keep the existing file as a "
                   "numbered backup and write fresh stubs")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--lang", help=lang_help)

    p = sub.add_parser("check", help="check your exercise functions (exit 0: all pass)")
    p.add_argument("targets", nargs="*", metavar="LESSON|LESSON.NAME", help="default: every exercise")
    p.add_argument("--workspace", metavar="DIR", help="where your files are (default: "
                   "$WORKBENCH_WORKSPACE or ./exercises)")
    p.add_argument("--timeout", type=float, default=exercises.DEFAULT_TIMEOUT_S, metavar="S",
                   help=f"seconds each exercise may take (default {exercises.DEFAULT_TIMEOUT_S:g})")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--lang", help=lang_help)


def cmd_exercises(args) -> int:
    lang = language.resolve(args.lang)
    folder = exercises.workspace(args.workspace)
    if args.action == "start":
        if not args.lesson:
            raise BadInput("exercises start needs a lesson, e.g. workbench exercises start knn")
        path = exercises.start(args.lesson, folder, force=args.force)
        names = ", ".join(e.name for e in exercises.lesson_exercises(args.lesson))
        print(tr(lang, "wrote {path}: {names}; write their bodies, then: workbench check {lesson}",
                 path=path, names=names, lesson=args.lesson))
        return 0
    if args.lesson:
        raise BadInput(f"unexpected {args.lesson!r}: did you mean workbench exercises start {args.lesson}?")
    rows = exercises.listing(folder)
    if args.json:
        print(json.dumps(exercises.as_json(rows), ensure_ascii=False))
    else:
        _print_rows(rows, lang)
    return 0


def cmd_check(args) -> int:
    if args.timeout <= 0:
        raise BadInput(f"--timeout must be > 0; got {args.timeout:g}")
    lang = language.resolve(args.lang)
    folder = exercises.workspace(args.workspace)
    shown = None if args.json else (lambda outcome: _print_rows([outcome], lang, header=False))
    outcomes = exercises.check(args.targets, folder, timeout=args.timeout, on_outcome=shown)
    if args.json:
        print(json.dumps(exercises.as_json(outcomes), ensure_ascii=False))
    else:
        passed = sum(o.status == "pass" for o in outcomes)
        print(tr(lang, "{passed}/{total} passed", passed=passed, total=len(outcomes)))
    return 0 if all(o.status == "pass" for o in outcomes) else 1


def padded(text: str, width: int) -> str:
    """`text` and spaces to `width` terminal columns (a Chinese character takes two)."""
    from rich.cells import cell_len

    return text + " " * max(0, width - cell_len(text))


def _print_rows(rows, lang: str, *, header: bool = True) -> None:
    titles = {f"{l}.{e.name}": exercises.title_in(l, e, lang) for l, e in exercises.catalogue()}
    for row in rows:
        print(f"{exercises.MARKS.get(row.status, '?')} {row.id:<36} "
              f"{padded(exercises.status_word(row.status, lang), 11)} {titles.get(row.id, row.title)}")
        if row.message and row.status not in ("pass",):
            for line in exercises.message_in(row.message, lang).splitlines():
                print(f"    {line}")
    sys.stdout.flush()
