"""`workbench path`: a lesson's guided path with the learner's marks; answers predictions."""

from __future__ import annotations

import json

from workbench import registry
from workbench.course import guide
from workbench.course.guide import Predict, Read
from workbench.errors import BadInput
from workbench.i18n import language
from workbench.results import history


def add_parser(sub, lang_help: str, models_option) -> None:
    p = sub.add_parser("path", help="a lesson's guided path: steps, marks, your runs' claims",
                       parents=[models_option])
    p.add_argument("lesson")
    p.add_argument("--step", type=int, metavar="N", help="show step N in full")
    p.add_argument("--answer", metavar="N=CHOICE", help="answer prediction step N (a, b, c or d)")
    p.add_argument("--read", type=int, metavar="N", help="mark read step N done")
    p.add_argument("--workspace", metavar="DIR", help="where your exercise files are")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--lang", help=lang_help)


def parse_answer(text: str, steps) -> tuple[int, int]:
    """"3=b" -> (3, 1): the step must be a prediction and the letter one of its answers."""
    number, _, letter = text.partition("=")
    try:
        n = int(number)
    except ValueError:
        raise BadInput(f"--answer takes N=CHOICE, e.g. 2=a; got {text!r}") from None
    step = _step(steps, n, "--answer")
    if not isinstance(step, Predict):
        raise BadInput(f"step {n} is {guide.a_kind(step)} step; --answer takes a predict step")
    letters = guide.LETTERS[:len(step.answers)]
    choice = letter.strip().lower()
    if len(choice) != 1 or choice not in letters:
        raise BadInput(f"step {n} has answers {', '.join(letters)}; got {letter.strip()!r}")
    return n, letters.index(choice)


def _step(steps, n: int, option: str):
    if not 1 <= n <= len(steps):
        raise BadInput(f"{option} must be a step 1..{len(steps)}; got {n}")
    return steps[n - 1]


def cmd_path(args) -> int:
    from rich.console import Console

    from workbench.drawing import guided_path

    lang = language.resolve(args.lang)
    lesson = registry.get(args.lesson)
    steps = guide.steps_of(lesson)
    if not steps:
        raise BadInput(f"lesson {lesson.id!r} has no guided path")
    record = history.strict(args.models_dir)
    if args.answer:
        n, choice = parse_answer(args.answer, steps)
        settling = steps[n - 1].settled_by
        if settling in record.latest_by_step(lesson.id):
            raise BadInput(f"step {n} is settled: step {settling} has run, and a prediction is "
                           f"made before its run ('workbench path {lesson.id} --step {n}' shows "
                           "its score)")
        record.answer(lesson.id, n, choice)
    if args.read is not None:
        if not isinstance(_step(steps, args.read, "--read"), Read):
            raise BadInput(f"step {args.read} is not a read step; --read marks a read step done")
        record.mark_done(lesson.id, args.read)
    states = guide.learner_progress(lesson, record, lang, args.workspace)
    if args.json:
        print(json.dumps({"lesson": lesson.id, "current": guide.current(states), "steps": [
            {"n": s.n, "kind": s.step.kind, "title": guide.title_of(s.step, lang), "done": s.done}
            for s in states]}, ensure_ascii=False, indent=2))
        return 0
    console = Console(highlight=False)
    if args.step is not None:
        _step(steps, args.step, "--step")
        state = states[args.step - 1]
        compared = guide.compared_runs(state, record.latest_by_step(lesson.id))
        if compared and not state.done:  # a comparison is done once the learner has seen it
            record.mark_done(lesson.id, state.n)
            state.done = True
        console.print(guided_path.step_detail(state, lang, lesson.id, compared=compared))
        return 0
    console.print(f"[bold]{lesson.title_in(lang)}[/]")
    console.print(guided_path.path_text(states, lang))
    return 0

