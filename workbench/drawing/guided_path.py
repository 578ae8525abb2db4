"""A guided path drawn once, as Rich renderables: `workbench path` prints them, the app's
Path tab shows the same ones."""

from __future__ import annotations

from typing import Sequence

from rich.console import Group
from rich.markup import escape
from rich.text import Text

from workbench import registry
from workbench.course import guide
from workbench.course.claims import Verdict
from workbench.course.guide import LETTERS, Compare, ExerciseStep, Experiment, Predict, Read, StepState
from workbench.course.wording import in_language
from workbench.i18n.catalogue import tr

DONE, TODO = "✓", "·"
def kind_word(kind: str, lang: str) -> str:
    return {"read": tr(lang, "read"), "predict": tr(lang, "predict"),
            "experiment": tr(lang, "experiment"), "compare": tr(lang, "compare"),
            "exercise": tr(lang, "exercise")}[kind]


def step_line(state: StepState, lang: str, *, current: bool = False) -> Text:
    """`✓ 3 experiment  k = 1 remembers every image`; the current step in bold."""
    mark = DONE if state.done else TODO
    line = Text(f"{mark} {state.n} ", style="green" if state.done else "dim")
    line.append(f"{kind_word(state.step.kind, lang)}  ", style="italic")
    line.append(guide.title_of(state.step, lang), style="bold" if current else "")
    return line


def path_text(states: Sequence[StepState], lang: str) -> Group:
    now = guide.current(states)
    done = sum(s.done for s in states)
    head = Text(tr(lang, "{done}/{total} steps done", done=done, total=len(states)), style="bold")
    return Group(head, *(Text("→ ", style="bold") + step_line(s, lang, current=True)
                         if s.n == now else Text("  ") + step_line(s, lang) for s in states))


def verdict_text(verdict: Verdict, lang: str = "en") -> Text:
    """`✓ text: measured: yes`, or ✗ with why it may not have held."""
    line = Text("✓ " if verdict.holds else "✗ ", style="green" if verdict.holds else "red")
    line.append(verdict.text)
    mark = tr(lang, "yes") if verdict.holds else tr(lang, "no")
    line.append(f"\n    {verdict.measured}: {mark}", style="bold")
    if not verdict.holds and verdict.why_not:
        line.append(f"\n    {verdict.why_not}", style="italic")
    return line


def score_line(scored: guide.Scored, lang: str) -> Text:
    """"You predicted b; the run showed a." over the numbers it showed – or, when this run
    did not show the lesson's answer, says so rather than scoring against a number it lacks."""
    expected = LETTERS[scored.expected]
    if not scored.evidence.holds:
        said = (tr(lang, "You did not predict.") if scored.answer is None else
                tr(lang, "You predicted {answer}.", answer=LETTERS[scored.answer]))
        text = said + " " + tr(lang, "The lesson expects {expected}, but this run did not show it.",
                               expected=expected)
        style = "yellow"
    elif scored.answer is None:
        text, style = tr(lang, "You did not predict; the run showed {expected}.",
                         expected=expected), "bold yellow"
    else:
        text = tr(lang, "You predicted {answer}; the run showed {expected}.",
                  answer=LETTERS[scored.answer], expected=expected)
        style = "bold green" if scored.correct else "bold yellow"
    line = Text(text, style=style)
    line.append(f"\n    {scored.evidence.measured}", style="bold")
    return line


def answer_text(step: Predict, state: StepState, lang: str, lesson_id: str) -> list:
    answers = in_language(step, lang).answers
    lines: list = [Text(in_language(step, lang).question)]
    for i, answer in enumerate(answers):
        chosen = state.answer == i
        style = ("bold green" if state.revealed and i == step.correct else
                 "bold" if chosen else "")
        flag = "  ← " + tr(lang, "your answer") if chosen else ""
        lines.append(Text(f"  {LETTERS[i]}) {answer}{flag}", style=style))
    if state.scored is not None:
        lines += [score_line(state.scored, lang), Text(in_language(step, lang).reason)]
    elif state.answer is None:
        letters = LETTERS[:len(answers)]
        lines.append(Text(tr(lang, "Answer before the run: enter in the app, or workbench path "
                                   "{lesson} --answer {n}=LETTER ({letters}).", lesson=lesson_id,
                             n=state.n, letters=", ".join(letters)), style="italic"))
    else:
        lines.append(Text(tr(lang, "The answer shows once step {n} has run.", n=step.settled_by),
                          style="italic"))
    return lines


def step_detail(state: StepState, lang: str, lesson_id: str, *, compared: Sequence = ()) -> Group:
    """Everything a step says: its text, and what the learner's runs showed. `compared`:
    for a compare step, the runs (`RunRecord`s) of its experiments, in order; `lesson_id`
    goes into the commands it suggests."""
    step = state.step
    title = Text(f"{state.n}. {guide.title_of(step, lang)}", style="bold")
    body: list = [title]
    if isinstance(step, Read):
        body.append(Text(tr(lang, "Read “{section}” in the notes (enter in the app opens them "
                                  "there; workbench show {lesson} prints them).",
                            section=registry.get(lesson_id).section_in(lang, step.section),
                            lesson=lesson_id)))
    elif isinstance(step, Predict):
        body += answer_text(step, state, lang, lesson_id)
    elif isinstance(step, Experiment):
        settings = "  ".join(f"{k}={','.join(map(str, v)) if isinstance(v, tuple) else v}"
                             for k, v in step.params.items())  # as --set takes them
        body.append(Text(tr(lang, "Preset: {settings}", settings=settings), style="cyan"))
        if step.dataset:
            body.append(Text(tr(lang, "Runs on {dataset} (digits is the only embedded dataset: "
                                      "this one needs the network or Keras' cache).",
                                dataset=step.dataset), style="cyan"))
        if step.look_for:
            body.append(Text(in_language(step, lang).look_for))
        if state.verdicts:
            body.append(Text(tr(lang, "Your run #{run}:", run=state.run_id), style="bold"))
            body += [verdict_text(v, lang) for v in state.verdicts]
        elif state.unanswered:
            body.append(Text(tr(lang, "Its claims would give away the answer of step {steps}: "
                                      "they show once you have answered it. Enter in the app "
                                      "asks it first, then runs; or workbench run {lesson} "
                                      "--step {n}.", steps=", ".join(map(str, state.unanswered)),
                                lesson=lesson_id, n=state.n), style="italic"))
        else:
            body.append(Text(tr(lang, "Claims this run checks (enter in the app runs it, or "
                                      "workbench run {lesson} --step {n}):",
                                lesson=lesson_id, n=state.n), style="bold"))
            body += [Text(f"· {in_language(c, lang).text}") for c in step.claims]
    elif isinstance(step, Compare):
        if step.point:
            body.append(Text(in_language(step, lang).point))
        if compared:
            body.append(comparison_table(compared, step.metrics))
        else:
            body.append(Text(tr(lang, "Run steps {steps} first.",
                                steps=", ".join(map(str, step.steps))), style="italic"))
    elif isinstance(step, ExerciseStep):
        if step.about:
            body.append(Text(in_language(step, lang).about))
        body.append(Text(tr(lang, "Done when every exercise of the lesson passes (the Exercises "
                                  "tab, or workbench check)."), style="italic"))
    return Group(*body)


def comparison_table(runs: Sequence, metrics: Sequence[str]):
    """Runs side by side: the parameters that differ, then the chosen metrics."""
    from rich.table import Table

    from workbench.drawing.numbers import number

    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("")
    for run in runs:
        table.add_column(f"#{run.id}" + (f" step {run.step}" if run.step else ""), justify="right")
    for name in differing_params(runs):
        table.add_row(escape(name), *(escape(number(run.params.get(name, "-"))) for run in runs),
                      style="cyan")
    for name in metrics:
        table.add_row(escape(name), *(number(run.metrics[name]) if name in run.metrics else "-"
                                      for run in runs))
    return table


def scalar_metrics(runs: Sequence) -> list[str]:
    """The single-number metrics any of the runs reported, in the order first seen."""
    return list(dict.fromkeys(name for run in runs for name, v in run.metrics.items()
                              if isinstance(v, (int, float)) and not isinstance(v, bool)))


def differing_params(runs: Sequence) -> list[str]:
    names = dict.fromkeys(name for run in runs for name in run.params)
    return [name for name in names if len({repr(run.params.get(name)) for run in runs}) > 1]


def claims_text(lesson, result, lang: str) -> list[Text]:
    """A path experiment's claims judged on its run, then the predictions it settles,
    scored, in the learner's language."""
    step = guide.experiment(lesson, result.step)
    lines = [verdict_text(claim.check(result.metrics, lang), lang) for claim in step.claims]
    return lines + prediction_lines(lesson, result, lang)


def prediction_lines(lesson, result, lang: str) -> list[Text]:
    """The predictions `result` (a path experiment's run) settles: each scored, with the
    lesson's reason. The learner's answers come from the result itself."""
    steps = guide.steps_of(lesson)
    answers = {p["step"]: LETTERS.index(p["answer"]) for p in result.predictions
               if p.get("answer")}
    lines: list[Text] = []
    for scored in guide.score(lesson, result.step, result.metrics, answers, lang):
        step = steps[scored.step - 1]
        lines += [Text(""), Text(f"{scored.step}. {guide.title_of(step, lang)}", style="bold"),
                  score_line(scored, lang), Text(in_language(step, lang).reason)]
    return lines


def step_outcome(lesson, result, lang: str) -> Group:
    """After `workbench run LESSON --step N`: the step's claims on this run, and the
    predictions it settles, scored."""
    step = guide.experiment(lesson, result.step)
    title = tr(lang, "step {n}: {title}", n=result.step, title=guide.title_of(step, lang))
    return Group(Text(title, style="bold"), *claims_text(lesson, result, lang))
