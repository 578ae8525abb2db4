"""A guided path drawn once, as Rich renderables: `workbench path` prints them, the app's
Path tab shows the same ones."""

from __future__ import annotations

from typing import Sequence

from rich.console import Group
from rich.markup import escape
from rich.text import Text

from workbench import guide
from workbench.guide import Compare, Exercise, Experiment, Predict, Read, StepState, Verdict
from workbench.language import pick

DONE, TODO = "✓", "·"
LETTERS = "abcd"
KIND_WORDS = {"read": ("read", "阅读"), "predict": ("predict", "预测"),
              "experiment": ("experiment", "实验"), "compare": ("compare", "比较"),
              "exercise": ("exercise", "练习")}


def kind_word(kind: str, lang: str) -> str:
    en, zh = KIND_WORDS[kind]
    return pick(lang, en, zh)


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
    head = Text(pick(lang, f"{done}/{len(states)} steps done", f"已完成 {done}/{len(states)} 步"),
                style="bold")
    return Group(head, *(Text("→ ", style="bold") + step_line(s, lang, current=True)
                         if s.n == now else Text("  ") + step_line(s, lang) for s in states))


def verdict_text(verdict: Verdict) -> Text:
    """`✓ text: measured: yes`, or ✗ with why it may not have held."""
    line = Text("✓ " if verdict.holds else "✗ ", style="green" if verdict.holds else "red")
    line.append(verdict.text)
    line.append(f"\n    {verdict.measured}: {'yes' if verdict.holds else 'no'}", style="bold")
    if not verdict.holds and verdict.why_not:
        line.append(f"\n    {verdict.why_not}", style="italic")
    return line


def answer_text(step: Predict, state: StepState, lang: str, lesson_id: str) -> list:
    answers = pick(lang, step.answers, step.answers_zh) if step.answers_zh else step.answers
    lines: list = [Text(pick(lang, step.question, step.question_zh))]
    for i, answer in enumerate(answers):
        chosen = state.answer == i
        style = ("bold green" if state.revealed and i == step.correct else
                 "bold" if chosen else "")
        flag = pick(lang, "  ← your answer", "  ← 你的答案") if chosen else ""
        lines.append(Text(f"  {LETTERS[i]}) {answer}{flag}", style=style))
    if state.answer is None:
        lines.append(Text(pick(lang, f"Answer before the run: enter in the app, or workbench path "
                                     f"{lesson_id} --answer {state.n}=a.",
                               f"运行之前作答：在应用中按 enter，或 workbench path {lesson_id} "
                               f"--answer {state.n}=a。"),
                          style="italic"))
    elif not state.revealed:
        lines.append(Text(pick(lang, f"The answer shows once step {step.settled_by} has run.",
                               f"第 {step.settled_by} 步运行之后揭晓答案。"), style="italic"))
    else:
        right = state.answer == step.correct
        verdict = pick(lang, "Right. " if right else f"The answer is {LETTERS[step.correct]}. ",
                       "答对了。" if right else f"答案是 {LETTERS[step.correct]}。")
        lines.append(Text(verdict + pick(lang, step.reason, step.reason_zh),
                          style="green" if right else "yellow"))
    return lines


def step_detail(state: StepState, lang: str, lesson_id: str, *, compared: Sequence = ()) -> Group:
    """Everything a step says: its text, and what the learner's runs showed. `compared`:
    for a compare step, the runs (`RunRecord`s) of its experiments, in order; `lesson_id`
    goes into the commands it suggests."""
    step = state.step
    title = Text(f"{state.n}. {guide.title_of(step, lang)}", style="bold")
    body: list = [title]
    if isinstance(step, Read):
        body.append(Text(pick(lang, f"Read “{step.section}” in the notes (enter in the app opens "
                                    f"them there; workbench show {lesson_id} prints them).",
                              f"阅读笔记中的“{step.section_zh or step.section}”（在应用中按 enter "
                              f"打开；workbench show {lesson_id} 打印讲义）。")))
    elif isinstance(step, Predict):
        body += answer_text(step, state, lang, lesson_id)
    elif isinstance(step, Experiment):
        settings = "  ".join(f"{k}={','.join(map(str, v)) if isinstance(v, tuple) else v}"
                             for k, v in step.params.items())  # as --set takes them
        body.append(Text(pick(lang, "Preset: ", "预设：") + settings, style="cyan"))
        if step.dataset:
            body.append(Text(pick(lang, f"Runs on {step.dataset} (digits is the only embedded "
                                        "dataset: this one needs the network or Keras' cache).",
                                  f"在 {step.dataset} 上运行（只有 digits 是内置的：这个数据集需要"
                                  "联网或已放入 Keras 的缓存）。"), style="cyan"))
        if step.look_for:
            body.append(Text(pick(lang, step.look_for, step.look_for_zh)))
        if state.verdicts:
            body.append(Text(pick(lang, f"Your run #{state.run_id}:", f"你的运行 #{state.run_id}："),
                             style="bold"))
            body += [verdict_text(v) for v in state.verdicts]
        else:
            body.append(Text(pick(lang, f"Claims this run checks (enter in the app runs it, or "
                                        f"workbench run {lesson_id} --step {state.n}):",
                                  f"这次运行将检验（在应用中按 enter 运行，或 workbench run {lesson_id} "
                                  f"--step {state.n}）："), style="bold"))
            body += [Text(f"· {pick(lang, c.text, c.text_zh)}") for c in step.claims]
    elif isinstance(step, Compare):
        if step.point:
            body.append(Text(pick(lang, step.point, step.point_zh)))
        if compared:
            body.append(comparison_table(compared, step.metrics))
        else:
            body.append(Text(pick(lang, f"Run steps {', '.join(map(str, step.steps))} first.",
                                  f"先运行第 {'、'.join(map(str, step.steps))} 步。"), style="italic"))
    elif isinstance(step, Exercise):
        if step.about:
            body.append(Text(pick(lang, step.about, step.about_zh)))
        body.append(Text(pick(lang, "Done when every exercise of the lesson passes (the Exercises tab, "
                                    "or workbench check).", "本课的练习全部通过即完成（练习标签页，"
                                    "或 workbench check）。"), style="italic"))
    return Group(*body)


def comparison_table(runs: Sequence, metrics: Sequence[str]):
    """Runs side by side: the parameters that differ, then the chosen metrics."""
    from rich.table import Table

    from workbench.formatting import number

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
    """A path experiment's claims judged on its run, in the learner's language."""
    step = guide.experiment(lesson, result.step)
    return [verdict_text(claim.check(result.metrics, lang)) for claim in step.claims]


def step_outcome(lesson, result, models_dir, lang: str) -> Group:
    """After `workbench run LESSON --step N`: the step's claims on this run, and the
    predictions it settles, revealed."""
    from workbench import history

    record = history.Guarded(history.open_history(models_dir), lambda reason: None)  # warned by the run
    states = guide.progress(lesson, record, lang)
    step = guide.experiment(lesson, result.step)
    parts: list = [Text(f"step {result.step}: {guide.title_of(step, lang)}", style="bold")]
    parts += claims_text(lesson, result, lang)
    for state in states:
        if isinstance(state.step, Predict) and state.step.settled_by == result.step:
            state.revealed = True
            parts += [Text(""), *answer_text(state.step, state, lang, lesson.id)]
    return Group(*parts)
