"""The Path tab and the Runs screen, used as a learner uses them: keys, at 100x30 and 160x48."""

from __future__ import annotations

import re
import time

import pytest
from textual.widgets import DataTable, Static, TabbedContent

from workbench import registry
from workbench.course import guide
from workbench.tui.app import WorkbenchApp
from workbench.tui.screens.choice import ChoiceScreen
from workbench.tui.widgets.path_view import PathView
from workbench.tui.widgets.run_panel import RunPanel


def make_app(models_dir) -> WorkbenchApp:
    return WorkbenchApp(models_dir=str(models_dir), preload_tensorflow=False)


async def settle(pilot, condition, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.05)


def text_of(widget: Static) -> str:
    """What a Static holds (a Rich renderable), as plain text."""
    import io

    from rich.console import Console

    console = Console(width=200, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()


def path(app) -> PathView:
    return app.screen.query_one(PathView)


def lesson_state(app, lesson_id: str) -> str:
    return str(app.screen.query_one(f"#lesson-{lesson_id} .lesson-state").render())


@pytest.mark.parametrize("size", [(100, 30), (160, 48)])
async def test_a_new_learner_starts_at_knn_step_one_with_the_path_in_view(models_dir, size):
    async with make_app(models_dir).run_test(size=size) as pilot:
        app = pilot.app
        await settle(pilot, lambda: path(app).states, "the path")
        await pilot.pause(0.2)
        assert app.screen.query_one(TabbedContent).active == "tab-path"
        assert app.screen.lesson.id == "knn" and path(app).highlighted.n == 1
        steps = guide.steps_of(registry.get("knn"))
        assert lesson_state(app, "knn") == f"knn 0/{len(steps)}"
        # Every lesson's progress is whole: a line too long for the rail wraps at its space.
        for lesson in registry.lessons():
            label = app.screen.query_one(f"#lesson-{lesson.id} .lesson-state")
            text = f"{lesson.id} 0/{len(guide.steps_of(lesson))}"
            assert str(label.render()) == text
            assert label.size.height == (1 if len(text) <= label.size.width else 2), text
        # Every step's line and the first step's text are on screen, not scrolled away.
        for item in path(app).query("StepItem"):
            assert item.region.height >= 1 and item.region.bottom <= size[1]
        detail = app.screen.query_one(".path-detail", Static)
        assert detail.region.y < size[1] - 3 and "1. " in text_of(detail)


async def test_read_predict_run_then_quit_and_come_back_to_the_same_place(models_dir):
    knn = registry.get("knn")
    steps = guide.steps_of(knn)
    read = next(n for n, s in enumerate(steps, 1) if isinstance(s, guide.Read))
    predict = next(n for n, s in enumerate(steps, 1) if isinstance(s, guide.Predict))
    settled_by = steps[predict - 1].settled_by
    async with make_app(models_dir).run_test(size=(100, 30)) as pilot:
        app = pilot.app
        await settle(pilot, lambda: path(app).states, "the path")
        await pilot.press("enter")  # on the lesson list: into the path
        assert app.focused is path(app).steps_list
        path(app).steps_list.index = read - 1
        await pilot.press("enter")  # a read step opens the notes at its section
        await pilot.pause(0.3)
        assert app.screen.query_one(TabbedContent).active == "tab-notes"
        assert app.screen.query_one("#notes-scroll").scroll_y > 0
        await pilot.press("p")
        assert app.focused is path(app).steps_list and path(app).states[read - 1].done

        path(app).steps_list.index = predict - 1
        await pilot.press("enter")  # a prediction asks first
        await settle(pilot, lambda: isinstance(app.screen, ChoiceScreen), "the question")
        wrong = 1 - steps[predict - 1].correct if steps[predict - 1].correct < 2 else 0
        await pilot.press("abcd"[wrong])
        await settle(pilot, lambda: path(app).highlighted and path(app).highlighted.n == settled_by,
                     "the settling experiment highlighted")
        assert path(app).states[predict - 1].answer == wrong and not path(app).states[predict - 1].revealed

        await pilot.press("enter")  # the experiment: the form takes its preset and it runs
        panel = app.screen.query_one(RunPanel)
        await settle(pilot, lambda: panel.outcome is not None, "the run")
        assert panel.outcome == "done", text_of(app.screen.query_one("#run-status", Static))
        # Results first: each claim, judged on this run, above the lesson's key numbers.
        summary = " ".join(text_of(app.screen.query_one("#run-summary", Static)).split())
        claims = panel.result.claims
        assert panel.result.step == settled_by and len(claims) == len(steps[settled_by - 1].claims)
        for claim in claims:
            mark = "✓" if claim["holds"] else "✗"
            assert f"{mark} {' '.join(claim['text'].split())}" in summary
            assert f"{claim['measured']}: {'yes' if claim['holds'] else 'no'}" in summary
        await settle(pilot, lambda: sum(s.done for s in path(app).states) == 3, "the path marked")
        assert lesson_state(app, "knn") == f"knn 3/{len(steps)}"
        form = app.screen.form.valid_values()
        assert {name: form[name] for name in steps[settled_by - 1].params} == dict(steps[settled_by - 1].params)

    async with make_app(models_dir).run_test(size=(100, 30)) as pilot:  # the next launch
        app = pilot.app
        await settle(pilot, lambda: path(app).states, "the path")
        assert app.screen.lesson.id == "knn" and lesson_state(app, "knn") == f"knn 3/{len(steps)}"
        assert path(app).highlighted.n == guide.current(path(app).states)
        assert path(app).states[predict - 1].revealed
        path(app).steps_list.index = predict - 1
        await pilot.pause(0.1)
        shown = " ".join(text_of(app.screen.query_one(".path-detail", Static)).split())
        right = "abcd"[steps[predict - 1].correct]
        assert f"You predicted {'abcd'[wrong]}; the run showed {right}." in shown

        # An experiment whose prediction is still open asks it first, then runs.
        second = next(s for s in path(app).states if isinstance(s.step, guide.Predict)
                      and s.answer is None)
        path(app).focus_steps()
        path(app).steps_list.index = second.step.settled_by - 1
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, ChoiceScreen), "the open prediction")
        await pilot.press("a")
        panel = app.screen.query_one(RunPanel)
        await settle(pilot, lambda: path(app).states[second.n - 1].revealed, "the second run")
        assert panel.outcome == "done" and panel.result.step == second.step.settled_by
        assert path(app).states[second.n - 1].answer == 0

        app.screen.query_one("#lessons").focus()
        await pilot.press("down")  # the next lesson
        await pilot.pause(0.2)
        assert app.screen.lesson.id == "linear"

        await pilot.press("h")  # both runs are in the history, on the Runs screen
        await pilot.pause(0.3)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 2
        newest, oldest = ([str(cell) for cell in table.get_row_at(i)] for i in (0, 1))
        assert [newest[1], *newest[3:6]] == ["#2", "knn", str(second.step.settled_by), "done"]
        assert [oldest[1], *oldest[3:6]] == ["#1", "knn", str(settled_by), "done"]
        assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", row[2]) for row in (newest, oldest))
        await pilot.press("space")
        assert str(table.get_row_at(0)[0]) == "●"

    async with make_app(models_dir).run_test(size=(100, 30)) as pilot:
        await settle(pilot, lambda: path(pilot.app).states, "the path")
        assert pilot.app.screen.lesson.id == "linear"  # where the learner left off


@pytest.mark.parametrize("size", [(100, 30), (160, 48)])
async def test_the_runs_screen_overlays_the_marked_runs_curves(models_dir, size):
    from workbench.results import history
    from workbench.tui.widgets.curves import Curves

    record = history.History(models_dir / history.FILE_NAME)
    for rate, losses in ((0.1, [2.0, 1.0, 0.5]), (0.01, [2.2, 1.9, 1.7])):
        run = record.begin("linear", {"learning_rate": rate, "epochs": 3})
        record.finish(run, "done", metrics={"test_accuracy": 0.9 if rate == 0.1 else 0.8},
                      history=[{"series": "", "epoch": i + 1, "loss": v} for i, v in enumerate(losses)])
    failed = record.begin("linear", {"learning_rate": 1e6, "epochs": 3})
    record.finish(failed, "failed", message="workbench: error: loss became NaN at epoch 1; lower learning_rate")
    async with make_app(models_dir).run_test(size=size) as pilot:
        await pilot.press("h")
        await pilot.pause(0.3)
        app = pilot.app
        table = app.screen.query_one(DataTable)
        rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
        assert [row[1] for row in rows] == ["#3", "#2", "#1"]
        assert rows[0][5] == "failed" and "loss became NaN" in rows[0][6]
        assert rows[1][6] == "test_accuracy 0.8"
        table.focus()
        await pilot.press("down", "space", "down", "space")
        curves = app.screen.query_one("#runs-curves", Curves)
        assert curves.series == {"#2 loss": ([1, 2, 3], [2.2, 1.9, 1.7]), "#1 loss": ([1, 2, 3], [2.0, 1.0, 0.5])}
        numbers = " ".join(text_of(app.screen.query_one("#runs-numbers", Static)).split())
        assert "learning_rate 0.01 0.1" in numbers and "test_accuracy 0.8 0.9" in numbers
        await pilot.press("space")  # unmark #1: #2 alone
        assert list(curves.series) == ["#2 loss"]


async def test_an_experiment_on_another_dataset_sets_it_and_says_where_its_files_go(
        models_dir, tmp_path, monkeypatch):
    from keras.src.backend import config
    from textual.widgets import Select

    # An empty Keras cache (Keras reads $KERAS_HOME once, at import), and offline at once.
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(config, "_KERAS_DIR", str(tmp_path / "keras"))
    for proxy in ("https_proxy", "http_proxy", "HTTPS_PROXY"):
        monkeypatch.setenv(proxy, "http://127.0.0.1:9")
    transfer = registry.get("transfer")
    steps = guide.steps_of(transfer)
    fashion = next(n for n, s in enumerate(steps, 1) if isinstance(s, guide.Experiment) and s.dataset)
    async with make_app(models_dir).run_test(size=(100, 30)) as pilot:
        app = pilot.app
        app.screen.select_lesson("transfer")
        await settle(pilot, lambda: len(path(app).states) == len(steps), "its path")
        path(app).focus_steps()
        path(app).steps_list.index = fashion - 1
        await pilot.pause(0.1)
        shown = " ".join(text_of(app.screen.query_one(".path-detail", Static)).split())
        assert "Runs on fashion_mnist" in shown
        await pilot.press("enter")  # its prediction first, then the run
        await settle(pilot, lambda: isinstance(app.screen, ChoiceScreen), "the question")
        await pilot.press("a")
        panel = app.screen.query_one(RunPanel)
        await settle(pilot, lambda: panel.outcome is not None, "the run")
        assert app.screen.form.query_one("#dataset", Select).value == "fashion_mnist"
        assert panel.outcome == "failed"
        status = " ".join(text_of(app.screen.query_one("#run-status", Static)).split())
        assert "'fashion_mnist' is not in the Keras cache" in status
        assert "train-images-idx3-ubyte.gz" in status and str(tmp_path / "keras" / "datasets") in status


async def test_a_section_asked_for_before_the_notes_are_drawn_is_opened_once_they_are(models_dir):
    """The notes' widget comes just after the first frame: a read step's jump to its
    section in that moment waits for the notes, then scrolls to it."""
    knn = registry.get("knn")
    read = next(s for s in guide.steps_of(knn) if isinstance(s, guide.Read))
    async with make_app(models_dir).run_test(size=(100, 30)) as pilot:
        app = pilot.app
        app.screen.show_notes()  # the notes being drawn (the first ones, or drawn again)
        assert not app.screen._notes_update.is_done
        app.screen.action_tab("tab-notes")
        app.screen._goto_section(knn.section_in("en", read.section))
        await settle(pilot, lambda: app.screen.query_one("#notes-scroll").scroll_y > 0,
                     "the notes scrolled to the section")
        assert app.screen._notes_update.is_done
