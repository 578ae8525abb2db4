"""A Chinese learner walks kNN's whole guided path in the app at 100x30, with the keys a
person presses: every step's enter does it, every prediction is scored after the run that
settles it, the comparison opens the Runs screen with its runs marked, and the words
around the numbers are Chinese all the way. (The command line's journey through every
lesson, in both languages, is tests/test_journey.py.)"""

from __future__ import annotations

import pytest
from textual.widgets import Static, TabbedContent

from tests.test_app_path import make_app, path, settle, text_of
from workbench import registry
from workbench.course import guide
from workbench.course.guide import Compare, ExerciseStep, Experiment, Predict, Read
from workbench.tui.screens.choice import ChoiceScreen
from workbench.tui.screens.runs import RunsScreen
from workbench.tui.widgets.run_panel import RunPanel

SCORED_ZH = ("你预测的是", "运行显示的是")


def flat(text: str) -> str:
    return "".join(text.split())


@pytest.fixture
def chinese(monkeypatch):
    monkeypatch.setenv("WORKBENCH_LANG", "zh")


async def test_a_chinese_learner_walks_the_whole_knn_path_at_100x30(models_dir, chinese):
    knn = registry.get("knn")
    steps = guide.steps_of(knn)
    answers = {n: (step.correct + n) % len(step.answers)  # one wrong, one right
               for n, step in enumerate(steps, start=1) if isinstance(step, Predict)}
    assert len(set(a == steps[n - 1].correct for n, a in answers.items())) == 2

    async with make_app(models_dir).run_test(size=(100, 30)) as pilot:
        app = pilot.app
        assert app.lang == "zh"
        await settle(pilot, lambda: path(app).states, "the path")
        tabs = app.screen.query_one(TabbedContent)
        await pilot.press("enter")  # from the lesson list into the path
        assert app.focused is path(app).steps_list

        for n, step in enumerate(steps, start=1):
            if isinstance(step, ExerciseStep):
                continue
            path(app).focus_steps()
            path(app).steps_list.index = n - 1
            await pilot.pause(0.1)
            detail = flat(text_of(app.screen.query_one(".path-detail", Static)))
            assert detail.startswith(flat(f"{n}. {guide.title_of(step, 'zh')}")), detail
            await pilot.press("enter")
            if isinstance(step, Read):
                await pilot.pause(0.3)
                assert tabs.active == "tab-notes"
                await pilot.press("p")
            elif isinstance(step, Predict):
                await settle(pilot, lambda: isinstance(app.screen, ChoiceScreen), f"step {n}'s question")
                await pilot.press("abcd"[answers[n]])
                await settle(pilot, lambda: not isinstance(app.screen, ChoiceScreen), "the answer taken")
            elif isinstance(step, Experiment):
                panel = app.screen.query_one(RunPanel)
                await settle(pilot, lambda: panel.result is not None and panel.result.step == n
                             and panel.outcome is not None, f"step {n}'s run")
                assert panel.outcome == "done"
                status = text_of(app.screen.query_one("#run-status", Static))
                assert "完成" in status, status
                summary = flat(text_of(app.screen.query_one("#run-summary", Static)))
                marks = summary.count(":是") + summary.count(":否")
                assert marks == len(step.claims), summary
                for p, prediction in guide.settled_by(steps, n):
                    assert flat(guide.title_of(prediction, "zh")) in summary
                    assert SCORED_ZH[0] + "abcd"[answers[p]] in summary, summary
                    assert SCORED_ZH[1] + "abcd"[prediction.correct] in summary, summary
                    scored = next(s for s in panel.result.predictions if s["step"] == p)
                    assert scored["correct"] is (answers[p] == prediction.correct)
                await pilot.press("p")
            elif isinstance(step, Compare):
                await settle(pilot, lambda: isinstance(app.screen, RunsScreen), "the Runs screen")
                await pilot.pause(0.2)
                assert len(app.screen.marked) == len(step.steps)
                await pilot.press("escape")
                await settle(pilot, lambda: not isinstance(app.screen, RunsScreen), "back to the path")

        await pilot.pause(0.2)
        states = path(app).states
        assert [s.n for s in states if not s.done] == [n for n, s in enumerate(steps, 1)
                                                        if isinstance(s, ExerciseStep)]
        # A prediction's step, read again afterwards, keeps its score, in Chinese.
        first = min(answers)
        path(app).steps_list.index = first - 1
        await pilot.pause(0.1)
        detail = flat(text_of(app.screen.query_one(".path-detail", Static)))
        assert SCORED_ZH[0] + "abcd"[answers[first]] in detail
        assert SCORED_ZH[1] + "abcd"[steps[first - 1].correct] in detail
        # Settled, it cannot be answered again: enter says so instead of asking.
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert not isinstance(app.screen, ChoiceScreen)
        assert path(app).states[first - 1].answer == answers[first]
