"""The app as a learner meets it: keys pressed, what the screen then shows, what is on disk.

Runs here are real (kNN without cross-validation, a linear classifier, a tiny LSTM):
what the app shows is checked against the saved model's own metadata and against the
headless API, never against numbers typed into the test.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time

import pytest
from rich.console import Console
from textual.widgets import Button, DataTable, Input, ListView, Markdown, Select, Static, Switch, TextArea

from workbench import registry
from workbench.course import guide
from workbench.drawing import tables
from workbench.drawing.numbers import number
from workbench.errors import BadInput, Cancelled
from workbench.results import store
from workbench.running import runner
from workbench.tui.app import WorkbenchApp
from workbench.tui.messages import TextGenerated
from workbench.tui.widgets.anatomy_view import architecture_for
from workbench.tui.widgets.run_panel import RunPanel
import workbench
from tests.conftest import kept_files, recorded_outcomes, solved_source

SIZE = (140, 44)
TINY_LSTM = {"max_chars": 3000, "epochs": 1, "units": 8, "layers": 1, "seq_len": 16,
             "embed_dim": 4, "batch_size": 32}


def make_app(models_dir, **kwargs) -> WorkbenchApp:
    # TensorFlow is imported by the runs themselves; the background import has a test of its own.
    return WorkbenchApp(models_dir=str(models_dir), preload_tensorflow=False, **kwargs)


async def until(pilot, condition, timeout: float = 90.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


def notes_text(app) -> str:
    return app.screen.query_one("#notes", Markdown).source


async def drawn_notes(app, pilot) -> str:
    """The notes' text once drawn: the first come just after the first frame."""
    await until(pilot, lambda: app.screen._notes_update is not None and app.screen._notes_update.is_done,
                what="the notes")
    return notes_text(app)


def app_notes(lesson_id: str) -> str:
    """A lesson's notes as the app words them (form fields, not `--set`)."""
    from workbench.drawing.numbers import app_wording

    return app_wording(registry.get(lesson_id).notes, markdown=True)


def status_text(app) -> str:
    return str(app.screen.query_one("#run-status", Static).render())


def field_error(app, lesson_id: str, name: str) -> str:
    return str(app.screen.query_one(f"#form-{lesson_id} #field-{name} .field-error").render())


def set_value(app, lesson_id: str, name: str, value) -> None:
    app.screen.query_one(f"#form-{lesson_id} #param-{name}").value = value


async def run_to_end(app, pilot, timeout: float = 120.0) -> RunPanel:
    """Wait for the run started last to end (RunPanel.outcome is reset when one begins)."""
    panel = app.screen.query_one(RunPanel)
    await until(pilot, lambda: panel.outcome is not None and not app.screen.running, timeout,
                "the run to end")
    await pilot.pause()
    return panel


async def open_anatomy(app, pilot, lesson_id: str):
    """Pick the lesson, open its Anatomy tab; its view."""
    app.screen.select_lesson(lesson_id)
    await pilot.pause()
    await pilot.press("a")
    await pilot.pause()
    return app.screen.query_one(f"#anatomy-{lesson_id}")


def rendered(renderable) -> str:
    console = Console(width=100, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def table_rows(table: DataTable) -> list[list[str]]:
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


# -- lessons and the form ---------------------------------------------------------------

async def test_lessons_are_listed_in_order_and_notes_follow_the_selection(models_dir):
    app = make_app(models_dir)
    async with app.run_test(size=SIZE) as pilot:
        items = app.screen.query_one("#lessons", ListView).children
        catalogue = registry.lessons()
        assert [item.id for item in items] == [f"lesson-{l.id}" for l in catalogue]
        assert [l.position for l in catalogue] == sorted(l.position for l in catalogue)
        assert await drawn_notes(app, pilot) == app_notes(catalogue[0].id)
        await pilot.press("down")
        await pilot.pause()
        assert notes_text(app) == app_notes(catalogue[1].id)
        assert app.screen.form.lesson is catalogue[1]
        await pilot.press("q")
    assert app.return_code == 0


async def test_the_form_is_the_lessons_parameter_declarations_with_defaults(models_dir):
    app = make_app(models_dir)
    async with app.run_test(size=SIZE) as pilot:
        for lesson in registry.lessons():
            app.screen.select_lesson(lesson.id)
            await pilot.pause()
            form = app.screen.form
            assert form.lesson is lesson
            # A select shows no value until it has mounted (a new form mounts after a frame).
            await until(pilot, lambda: all(s.value is not Select.NULL for s in form.query(Select)),
                        10, "the form's selects to mount")
            for p in lesson.params:
                control = form.query_one(f"#param-{p.name}")
                if p.choices:
                    assert isinstance(control, Select) and control.value == p.default
                    assert [value for _, value in control._options] == list(p.choices)
                elif p.kind is bool:
                    assert isinstance(control, Switch) and control.value is p.default
                else:
                    assert isinstance(control, Input) and control.value == p.format(p.default)
            dataset = form.query_one("#dataset", Select)
            assert dataset.value == lesson.default_dataset
            assert [value for _, value in dataset._options] == list(lesson.datasets)
            assert form.query_one("#param-seed", Input).value == "0"


async def test_an_invalid_value_is_refused_inline_with_the_parameters_reason(models_dir):
    knn = registry.get("knn")
    app = make_app(models_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()  # the form mounts after the first frame
        await pilot.click("#form-knn #param-k")
        await pilot.press("end", "backspace", "0")  # k: "5" -> "0", typed
        await pilot.pause()
        with pytest.raises(BadInput) as refused:
            knn.param("k").coerce("0")
        assert field_error(app, "knn", "k") == f"✗ {refused.value}"  # "k must be >= 1; got 0"
        await pilot.press("ctrl+r")  # run, from inside the field
        await pilot.pause()
        assert not app.screen.running and app.screen.query_one(RunPanel).outcome is None
        # A cross-parameter rule (Settings.check) is shown the same way, on its field.
        set_value(app, "knn", "k", "3")
        set_value(app, "knn", "folds", "1")
        await pilot.pause()
        assert field_error(app, "knn", "k") == ""
        await pilot.press("ctrl+r")
        await pilot.pause()
        with pytest.raises(BadInput) as crossed:
            runner.prepare("knn", {"k": "3", "folds": "1"}, None)
        assert field_error(app, "knn", "folds") == f"✗ {crossed.value}"
        assert not app.screen.running
    assert not models_dir.exists()  # nothing ran, nothing was written


# -- runs -------------------------------------------------------------------------------

async def test_a_tiny_knn_run_shows_its_metrics_and_model_then_models_screen_keeps_it(models_dir):
    app = make_app(models_dir)
    async with app.run_test(size=SIZE) as pilot:
        set_value(app, "knn", "folds", "0")  # change a parameter: skip cross-validation
        await pilot.pause()
        await pilot.press("r")
        panel = await run_to_end(app, pilot)
        assert panel.outcome == "done", status_text(app)
        result = panel.result
        saved = store.describe(result.model_path)
        assert result.params["folds"] == saved.metadata["params"]["folds"] == 0
        # The table is the CLI's table of the run's metrics, which are what the model keeps.
        single, groups = tables.metric_groups(result.metrics)
        assert rendered(panel.query_one("#run-metrics", Static).content) == rendered(
            tables.metrics_table(single))
        # kNN's timings: a group of their own, collapsed, drawn with the same table.
        assert list(groups) == ["distance_seconds"]
        (group,) = panel.query("#run-metric-groups Collapsible")
        assert group.collapsed and str(group.title) == "distance_seconds (3 values)"
        assert rendered(group.query_one(".metric-group", Static).content) == rendered(
            tables.metrics_table(groups["distance_seconds"]))
        assert json.loads(json.dumps(result.metrics)) == saved.metadata["metrics"]
        assert result.model_path == str(models_dir / "knn.h5")
        shown = " ".join(str(panel.query_one("#run-model", Static).render()).split())
        assert result.model_path in shown or "knn.h5" in shown  # whole, or named in the folder
        assert status_text(app).startswith("✓ done")
        pictures = panel.query(".picture")
        assert pictures and "nearest" in pictures.first().picture.title
        assert not app.screen.query_one("#run", Button).disabled  # ready for the next run

        await pilot.press("m")
        await pilot.pause()
        table = app.screen.query_one("#models-table", DataTable)
        (row,) = table_rows(table)
        assert row[0] == "knn.h5" and row[2] == "knn"
        assert row[1] == f"test_accuracy {result.metrics['test_accuracy']:.4g}"  # the key number first
        details = rendered(app.screen.query_one("#model-info", Static).content)
        assert f"test_accuracy {result.metrics['test_accuracy']:.4g}" in " ".join(details.split())

        await pilot.press("d")  # delete asks first; the default answer keeps the file
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert (models_dir / "knn.h5").exists()
        await pilot.press("d")
        await pilot.pause()
        await pilot.click("#confirm-yes")
        await pilot.pause()
        assert not (models_dir / "knn.h5").exists()
        assert table.row_count == 0


async def start_a_long_linear_run(app, pilot) -> None:
    """Start a 10,000-epoch linear run and wait until its first batches have trained."""
    app.screen.select_lesson("linear")
    await pilot.pause()
    set_value(app, "linear", "epochs", "10000")
    await pilot.press("r")
    bar = app.screen.query_one("#run-bar")
    await until(pilot, lambda: app.screen.running and (bar.progress or 0) > 0, 90,
                "training to start")


async def test_escape_cancels_a_run_and_nothing_is_saved(models_dir):
    app = make_app(models_dir)
    async with app.run_test(size=SIZE) as pilot:
        await start_a_long_linear_run(app, pilot)
        await pilot.press("escape")
        panel = await run_to_end(app, pilot, timeout=30)
        assert panel.outcome == "cancelled"
        assert "cancelled" in status_text(app)
        assert not app.screen.query_one("#run", Button).disabled
    assert kept_files(models_dir) == []
    assert recorded_outcomes(models_dir) == [("linear", "cancelled", None)]


@pytest.mark.parametrize("size", [(100, 30), (160, 48)])
async def test_a_failing_run_shows_the_clis_one_line_error_and_the_app_goes_on(models_dir, size):
    # Passes every check made before a run, fails inside it: k larger than the training set.
    settings = {"k": "50", "max_train": "20", "folds": "0"}
    with pytest.raises(BadInput) as headless:
        workbench.run("knn", models_dir=str(models_dir), **settings)
    app = make_app(models_dir)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        for name, value in settings.items():
            set_value(app, "knn", name, value)
        await pilot.press("r")
        panel = await run_to_end(app, pilot)
        assert panel.outcome == "failed"
        assert status_text(app) == f"workbench: error: {headless.value}"
        assert not (models_dir / "knn.h5").exists()
        bar = app.screen.query_one("#run-bar")
        assert bar.total is not None  # a bar without a total would animate for ever
        assert str(app.screen.query_one("#run-stage").render()) == "failed"
        # Another lesson's Run tab does not show kNN's error.
        app.screen.select_lesson("linear")
        await pilot.pause()
        assert "error" not in status_text(app) and status_text(app).startswith("No run yet")
        app.screen.select_lesson("knn")
        await pilot.pause()
        # The app goes on: fix the value, run again.
        set_value(app, "knn", "k", "3")
        await pilot.press("r")
        panel = await run_to_end(app, pilot)
        assert panel.outcome == "done" and panel.result.params["k"] == 3
        assert (models_dir / "knn.h5").exists()


async def test_quitting_during_a_run_stops_its_thread_and_writes_nothing(models_dir, monkeypatch):
    finished = {}
    real_execute = runner.execute

    def watched_execute(*args, **kwargs):
        try:
            return real_execute(*args, **kwargs)
        except BaseException as exc:
            finished["raised"] = type(exc)
            raise
        finally:
            finished["at"] = time.monotonic()

    monkeypatch.setattr(runner, "execute", watched_execute)
    app = make_app(models_dir)
    async with app.run_test(size=SIZE) as pilot:
        await start_a_long_linear_run(app, pilot)
        await pilot.press("q")
    deadline = time.monotonic() + 30
    while "at" not in finished and time.monotonic() < deadline:
        time.sleep(0.05)
    # Cancelled, not finished: it stopped at a batch rather than after its 10,000 epochs
    # (how soon depends on the machine, so no clock is read).
    assert finished.get("raised") is Cancelled
    assert kept_files(models_dir) == []
    assert recorded_outcomes(models_dir) == [("linear", "cancelled", None)]


# -- generate ------------------------------------------------------------------------------

@pytest.fixture
def tiny_lstm(models_dir) -> str:
    return workbench.run("lstm", models_dir=str(models_dir), **TINY_LSTM).model_path


async def test_generate_streams_text_from_a_saved_lstm(tiny_lstm, models_dir):
    from workbench.running import generation

    expected = "The " + "".join(generation.generate(generation.open_sampler(tiny_lstm), "The ",
                                                    generation.options({"length": 200, "temperature": 0.5,
                                                                        "seed": 3})))
    chunks = []
    app = make_app(models_dir)
    hook = lambda message: chunks.append(message.chunk) if isinstance(message, TextGenerated) else None  # noqa: E731
    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await pilot.press("g")
        await pilot.pause()
        screen = app.screen
        assert screen.query_one("#generate-model", Select).value == tiny_lstm
        screen.query_one("#param-length", Input).value = "200"
        screen.query_one("#param-temperature", Input).value = "0.5"
        screen.query_one("#param-seed", Input).value = "3"
        screen.query_one("#param-seed", Input).focus()
        await pilot.press("ctrl+r")  # from inside a field, as on the lesson screen
        await until(pilot, lambda: screen.stop_event is None and screen.query_one("#generated", TextArea).text,
                    60, "generation")
        assert screen.query_one("#generated", TextArea).text == expected
        assert len(chunks) >= 4  # the prime, then 64-character chunks as they were sampled
        assert "200 characters" in str(screen.query_one("#generate-status", Static).render())
        # A prime the model cannot read is refused with the CLI's message (Enter generates).
        screen.query_one("#param-prime", Input).value = "€"
        screen.query_one("#param-prime", Input).focus()
        await pilot.press("enter")
        await until(pilot, lambda: screen.stop_event is None, 30, "the refusal")
        with pytest.raises(BadInput) as refused:
            generation.open_sampler(tiny_lstm).check_prime("€")
        assert str(screen.query_one("#generate-status", Static).render()) == f"workbench: error: {refused.value}"

        # A weak model at temperature 0 may repeat its likeliest character, a space: the
        # status says so, instead of a bare "200 characters" over an empty-looking page.
        class Spaces:
            def check_prime(self, prime):
                pass

            def generate(self, prime, length, **how):
                yield " " * length

        screen._sampler = lambda path: Spaces()
        screen.query_one("#param-prime", Input).value = "The "
        await pilot.press("enter")
        await until(pilot, lambda: screen.stop_event is None and "characters in" in str(
            screen.query_one("#generate-status", Static).render()), 30, "the blank text")
        status = str(screen.query_one("#generate-status", Static).render())
        assert status.startswith("✓ 200 characters") and "all of it blank" in status


# -- palette, themes, anatomy, start-up ------------------------------------------------------

async def pick_from_palette(pilot, text: str) -> None:
    await pilot.press("ctrl+p")
    await pilot.pause()
    await pilot.press(*text)
    await pilot.pause(0.3)
    await pilot.press("enter")
    await pilot.pause(0.2)


async def test_the_command_palette_offers_lessons_and_screens(models_dir):
    app = make_app(models_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pick_from_palette(pilot, "lstm")
        assert app.screen.lesson.id == "lstm" and notes_text(app) == app_notes("lstm")
        assert "--set" in registry.get("lstm").notes and "--set" not in notes_text(app)
        await pick_from_palette(pilot, "models")
        assert app.current_mode == "models"
        dark = app.current_theme.dark
        await pilot.press("t")
        assert app.current_theme.dark is not dark


def test_anatomy_follows_the_forms_architecture():
    cnn, resnet = registry.get("cnn"), registry.get("resnet")
    assert architecture_for(cnn, {"arch": "vgg16"}) == "vgg16"
    cifar = {"family": "cifar", "block": "auto"}
    assert architecture_for(resnet, {**cifar, "depth": 20, "shortcut": False}) == "plain20"
    assert architecture_for(resnet, {**cifar, "depth": 56, "shortcut": True}) == "resnet56"
    assert architecture_for(resnet, {**cifar, "depth": 26, "shortcut": True}) is None
    assert architecture_for(resnet, {"family": "imagenet", "block": "auto", "depth": 50,
                                     "shortcut": True}) == "resnet50"


async def test_anatomy_tab_shows_the_per_layer_table(models_dir):
    from workbench.results import anatomy

    app = make_app(models_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")  # kNN has no network to take apart
        await pilot.pause()
        assert app.screen.query_one("#lesson-tabs").active == "tab-path"  # where it was
        view = await open_anatomy(app, pilot, "cnn")
        table = view.query_one("#anatomy-table", Static)
        await until(pilot, lambda: not isinstance(table.content, str), 60, "the anatomy table")
        # The CLI's table (`workbench anatomy ARCH`) when it fits, else the most exact one
        # that does (counts in units): drawn whole, numbers never cut.
        expected = anatomy.anatomy_of(app.screen.form.valid_values()["arch"])
        assert rendered(view.tables[0]) == rendered(tables.anatomy_table(expected))
        assert any(rendered(table.content) == rendered(t) for t in view.tables)
        assert table.size.width >= Console(width=1000).measure(table.content).maximum


def test_first_paint_comes_before_tensorflow_is_imported(tmp_path):
    script = (
        "import os, sys\n"
        "from workbench.tui.app import WorkbenchApp\n"
        "class Probe(WorkbenchApp):\n"
        "    def _display(self, screen, renderable):\n"
        "        if renderable is not None and screen.id == 'lesson-screen':\n"
        "            print('tensorflow' in sys.modules, flush=True)\n"
        "            os._exit(0)  # not waiting for the background import that follows\n"
        "        return super()._display(screen, renderable)\n"
        "Probe(models_dir=sys.argv[1]).run(headless=True)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["False"]


async def test_tensorflow_then_loads_in_the_background(models_dir):
    app = WorkbenchApp(models_dir=str(models_dir))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.tensorflow_version is not None, 90, "TensorFlow")
        import tensorflow as tf

        assert app.sub_title == f"TensorFlow {tf.__version__}"


def test_native_stderr_goes_nowhere_while_the_app_draws_on_the_terminal():
    """What TensorFlow's C++ writes to fd 2 must not reach the terminal; what Textual
    writes to sys.__stderr__ (the screen) must."""
    script = (
        "import os, sys\n"
        "from workbench.running.quiet import native_stderr_diverted\n"
        "with native_stderr_diverted():\n"
        "    os.write(2, b'native noise\\n')\n"
        "    sys.__stderr__.write('screen\\n'); sys.__stderr__.flush()\n"
        "os.write(2, b'after\\n')\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "WORKBENCH_DEBUG"}
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, env=env)
    assert proc.returncode == 0
    assert proc.stderr == "screen\nafter\n"


# -- snapshots (stable screens only: no timings, no absolute paths) ------------------------

def test_snapshot_lesson_screen(snap_compare):
    assert snap_compare(WorkbenchApp(models_dir="no-models-here", preload_tensorflow=False),
                        terminal_size=(120, 36))


def test_snapshot_invalid_value(snap_compare):
    async def type_bad_k(pilot):
        # The form comes just after the first frame: clicked before it is laid out, the
        # click would land on the header's corner (the command palette).
        await until(pilot, lambda: any(f.region.height for f in pilot.app.screen.query("#form-knn #param-k")),
                    what="the form laid out")
        await pilot.click("#form-knn #param-k")
        await pilot.press("end", "backspace", "0", "tab")
        await pilot.pause()

    assert snap_compare(WorkbenchApp(models_dir="no-models-here", preload_tensorflow=False),
                        terminal_size=(120, 36), run_before=type_bad_k)


def test_snapshot_models_screen_empty(snap_compare):
    assert snap_compare(WorkbenchApp(models_dir="no-models-here", preload_tensorflow=False),
                        press=["m"], terminal_size=(120, 30))


def test_snapshot_generate_screen_empty(snap_compare):
    assert snap_compare(WorkbenchApp(models_dir="no-models-here", preload_tensorflow=False),
                        press=["g"], terminal_size=(120, 36))


# -- legible at 100x30 ---------------------------------------------------------------------

SMALL = (100, 30)


def screen_text(app) -> str:
    """What the terminal shows, as text."""
    console = Console(width=app.size.width, height=app.size.height, record=True,
                      file=io.StringIO(), color_system=None, legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text(styles=False)


async def test_a_long_field_error_wraps_whole_at_100x30(models_dir):
    app = make_app(models_dir)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        set_value(app, "knn", "folds", "1")
        await pilot.press("ctrl+r")
        await pilot.pause()
        with pytest.raises(BadInput) as refused:
            runner.prepare("knn", {"folds": "1"}, None)
        assert str(refused.value) == "folds must be 0 (no cross-validation) or 2..10; got 1"
        # The hint says what is allowed, the check's rule included (1 fold is not CV).
        assert str(app.screen.query_one("#form-knn #field-folds .field-allowed").render()) == "0 or 2..10"
        label = app.screen.query_one("#form-knn #field-folds .field-error")
        assert str(label.render()) == f"✗ {refused.value}"
        # Wrapped onto as many lines as it needs, inside the form's width: nothing cut.
        assert label.size.height * label.size.width >= len(str(label.render()))
        assert label.size.height >= 2
        assert label.region.right <= app.screen.query_one("#setup").region.right


async def test_the_notes_take_focus_and_scroll_with_the_keyboard(models_dir):
    app = make_app(models_dir)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        await pilot.press("n")
        notes = app.screen.query_one("#notes-scroll")
        assert app.focused is notes
        await pilot.press("pagedown")
        await pilot.pause()
        assert notes.scroll_y > 0


async def test_picking_an_architecture_in_the_anatomy_tab_sets_the_form(models_dir):
    app = make_app(models_dir)
    async with app.run_test(size=SMALL) as pilot:
        view = await open_anatomy(app, pilot, "resnet")
        view.query_one("#anatomy-arch", Select).value = "plain56"
        await pilot.pause()
        values = app.screen.form.valid_values()
        assert (values["family"], values["depth"], values["shortcut"]) == ("cifar", 56, False)
        assert architecture_for(registry.get("resnet"), values) == "plain56"


async def test_the_palettes_screenshot_lands_in_the_working_folder(models_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app(models_dir)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        app.action_screenshot()
        await until(pilot, lambda: list(tmp_path.glob("*.svg")), 10, "the screenshot")
    (svg,) = tmp_path.glob("*.svg")
    assert svg.read_text().startswith("<svg")


@pytest.mark.parametrize("size, rail", [((100, 30), True), ((160, 48), False)])
async def test_below_140_columns_the_sides_give_way_to_the_centre(models_dir, size, rail):
    app = make_app(models_dir)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert (app.screen.query_one("#lessons").size.width <= 14) is rail  # "training 0/10" whole
        assert app.screen.query_one("#lesson-tabs").size.width >= size[0] // 2
        shown = screen_text(app)
        assert all(lesson.id in shown for lesson in registry.lessons())


@pytest.mark.parametrize("size", [(100, 30), (160, 48)])
async def test_a_runs_key_numbers_come_first_and_whole(models_dir, size):
    from workbench.drawing.numbers import metric_rows, number

    app = make_app(models_dir)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        set_value(app, "knn", "folds", "0")
        await pilot.press("ctrl+r")
        panel = await run_to_end(app, pilot)
        assert panel.outcome == "done"
        m = panel.result.metrics
        # Results first: without scrolling, the lesson's key numbers, each whole.
        shown = screen_text(app)
        highlighted = [name for name, _ in registry.get("knn").highlights if name in m]
        assert highlighted == ["test_accuracy", "train_accuracy"]  # no cv_best_k without folds
        for name in highlighted:
            assert name in shown and f" {number(m[name])} " in shown, name
        # The full table further down: names may fold onto two lines, values never do.
        panel.query_one("#run-metrics").scroll_visible(animate=False)
        await pilot.pause()
        shown = screen_text(app)
        for name, value in metric_rows(m):
            if name.endswith("accuracy"):
                assert f" {value} " in shown, (name, value)


async def test_curves_keep_their_legend_outside_and_grow_with_the_terminal(models_dir):
    app = make_app(models_dir)
    async with app.run_test(size=(160, 48)) as pilot:
        app.screen.select_lesson("linear")
        await pilot.pause()
        set_value(app, "linear", "epochs", "3")
        await pilot.press("ctrl+r")
        panel = await run_to_end(app, pilot)
        assert panel.outcome == "done"
        loss = panel.query_one("#curve-loss")
        assert set(loss.series) == {"loss", "val_loss"}  # reg_loss is on another scale
        legend = str(loss.parent.border_subtitle)
        assert "━ loss" in legend and "━ val_loss" in legend
        assert [len(xs) for xs, _ in loss.series.values()] == [3, 3]
        assert loss.parent.size.height >= 16  # was 14 at any size; now 45% of the viewport


# -- outputs named before the run, never replaced without a question ----------------------

def out_help(app, lesson_id: str) -> str:
    from textual.css.query import NoMatches

    try:
        return str(app.screen.query_one(f"#form-{lesson_id} #field-out .field-help").render())
    except NoMatches:  # the form is not made yet
        return ""


async def test_the_form_names_the_runs_file_and_asks_before_replacing_it(models_dir):
    from workbench.tui.screens.confirm import ConfirmScreen

    app = make_app(models_dir)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        set_value(app, "knn", "folds", "0")
        await until(pilot, lambda: out_help(app, "knn") == f"writes knn.h5 in {models_dir}/", 30,
                    "the file name")
        await pilot.press("ctrl+r")
        first = await run_to_end(app, pilot)
        saved = models_dir / "knn.h5"
        stamp = saved.stat().st_mtime_ns
        await until(pilot, lambda: out_help(app, "knn").endswith("a run replaces knn.h5 (it asks first)"),
                    30, "the replace warning")
        # Run again: a question, naming the model and its key number, before any work.
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        question = str(app.screen.query_one("#confirm-question").render())
        assert f"knn.h5 (test_accuracy {number(first.result.metrics['test_accuracy'])})" in question
        await pilot.press("escape")  # keep it
        await pilot.pause()
        assert not app.screen.running and saved.stat().st_mtime_ns == stamp
        # A name of one's own: a new file; the old one untouched.
        app.screen.query_one("#form-knn #out", Input).value = "k5-l2"
        await until(pilot, lambda: out_help(app, "knn") == f"writes k5-l2.h5 in {models_dir}/", 30,
                    "the new name")
        await pilot.press("ctrl+r")
        panel = await run_to_end(app, pilot)
        assert panel.result.model_path == str(models_dir / "k5-l2.h5")
        assert saved.stat().st_mtime_ns == stamp
        # Replacing, when the learner says so.
        app.screen.query_one("#form-knn #out", Input).value = ""
        await pilot.press("ctrl+r")
        await pilot.pause()
        await pilot.click("#confirm-yes")
        await run_to_end(app, pilot)
        assert saved.stat().st_mtime_ns != stamp
        # A name with a folder in it is refused in the field, before anything runs.
        app.screen.query_one("#form-knn #out", Input).value = "../elsewhere"
        await pilot.pause()
        assert field_error(app, "knn", "out") == "✗ a file name, without folders: '../elsewhere'"
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert not app.screen.running and not isinstance(app.screen, ConfirmScreen)
    assert [p.name for p in kept_files(models_dir)] == ["k5-l2.h5", "knn.h5"]


async def test_a_run_writing_two_models_names_both(models_dir):
    app = make_app(models_dir)
    async with app.run_test(size=SMALL) as pilot:
        app.screen.select_lesson("resnet")
        # The form is made on the lesson's first visit: wait for it on a busy machine.
        expected = f"writes resnet-20.h5, resnet-20-plain.h5 in {models_dir}/"
        await until(pilot, lambda: out_help(app, "resnet") == expected, 30, "the file names")
        set_value(app, "resnet", "depth", "56")
        expected = f"writes resnet-56.h5, resnet-56-plain.h5 in {models_dir}/"
        await until(pilot, lambda: out_help(app, "resnet") == expected, 30, "the new file names")


# -- keys: help, and the sides giving way -------------------------------------------------

async def test_question_mark_lists_every_key_of_the_screen_and_the_app(models_dir):
    from workbench.tui.screens.help import HelpScreen
    from workbench.tui.screens.lesson import LessonScreen

    app = make_app(models_dir)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        shown = rendered(app.screen.query_one("#help-keys").content)
        for binding in [*LessonScreen.BINDINGS, *WorkbenchApp.BINDINGS]:
            assert binding.description in shown, binding.description
        for key in ("ctrl+r", "ctrl+b", "ctrl+s", "ctrl+p", "esc"):
            assert key in shown.replace("^", "ctrl+"), key
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen)


async def test_ctrl_b_and_ctrl_s_give_the_sides_width_to_the_centre_even_from_a_field(models_dir):
    app = make_app(models_dir)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        centre = app.screen.query_one("#lesson-tabs")
        start = centre.size.width
        app.screen.query_one("#form-knn #param-k").focus()
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert not app.screen.query_one("#lessons").display and centre.size.width > start
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not app.screen.query_one("#setup").display
        assert centre.size.width >= SMALL[0] - 2  # the centre has the whole screen
        assert app.focused is not None and app.focused.display  # focus left the hidden form
        await pilot.press("ctrl+b", "ctrl+s")
        await pilot.pause()
        assert centre.size.width == start


# -- every lesson: key numbers whole at both sizes, plots, groups ---------------------------

TINY = {
    "linear": {"epochs": "3"},
    "cnn": {"arch": "lenet", "epochs": "1"},
    "resnet": {"depth": "8", "epochs": "1", "width": "0.25"},
    "lstm": {name: str(value) for name, value in TINY_LSTM.items()},
    "transfer": {"shots": "2,10", "repeats": "1", "pretrain_epochs": "2", "epochs": "5",
                 "finetune_epochs": "2"},
}


def cells_whole(widget) -> list[str]:
    """The widget's table as drawn at its own width: each line, for finding values in."""
    console = Console(width=widget.content_size.width, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text().splitlines()


@pytest.mark.parametrize("lesson_id", list(TINY))
async def test_each_lessons_results_read_whole_at_100x30_and_160x48(models_dir, lesson_id):
    from workbench.drawing.numbers import metric_rows, number
    from workbench.tui.widgets.curves import ChartView, Curves

    lesson = registry.get(lesson_id)
    app = make_app(models_dir)
    async with app.run_test(size=SMALL) as pilot:
        app.screen.select_lesson(lesson_id)
        await pilot.pause()
        for name, value in TINY[lesson_id].items():
            set_value(app, lesson_id, name, value)
        await pilot.pause()
        await pilot.press("ctrl+r")
        panel = await run_to_end(app, pilot, timeout=400)
        assert panel.outcome == "done", status_text(app)
        m = panel.result.metrics
        for size in (SMALL, (160, 48)):
            await pilot.resize_terminal(*size)
            panel.scroll_home(animate=False)
            await pilot.pause()
            shown = screen_text(app)
            # Results first: every key number, whole, without scrolling.
            for name, _ in lesson.highlights:
                if name in m:
                    assert name in shown and f" {number(m[name])} " in shown, (size, name)
            # The full table: no value cut, at this width.
            single, groups = tables.metric_groups(m)
            lines = cells_whole(panel.query_one("#run-metrics"))
            for name, value in metric_rows(single):
                assert any(line.rstrip().endswith(f" {value}") or f" {value} " in line
                           for line in lines), (size, name, value)
        # Plots of quantities on their own scale: one per declaration, each with its lines.
        more = list(panel.query("#run-more-curves Curves").results(Curves))
        assert [c.parent.border_title for c in more] == [p.title for p in lesson.more_curves]
        assert all(c.series for c in more)
        # Nested metrics come as collapsed groups, one per group, not as dotted rows.
        titles = [str(c.title) for c in panel.query("#run-metric-groups Collapsible")]
        assert [t.split(" (")[0] for t in titles] == list(groups)
        if lesson_id == "cnn":  # the two train accuracies, explained in the log
            log = " ".join(" ".join(strip.text for strip in panel.query_one("#run-log").lines).split())
            assert f"train_accuracy {m['train_accuracy']:.3f} scores the finished network" in log
        if lesson_id == "resnet":
            (chart,) = panel.query(ChartView)
            assert set(chart.chart.series) == {"plain", "residual"} and chart.chart.log_y
            depth = len(m["plain_grad_norms"])
            assert chart.chart.series["plain"] == pytest.approx(list(m["plain_grad_norms"].values()))
            assert chart.chart.x == list(range(1, depth + 1))
            assert "━ plain" in str(chart.parent.border_subtitle)
        if lesson_id == "transfer":
            (chart,) = panel.query(ChartView)
            assert chart.chart.x == [2, 10]
            assert chart.chart.series["from scratch"] == m["accuracy_by_shots"]["from scratch"]


async def test_the_anatomy_tab_takes_an_input_size(models_dir):
    from workbench.results import anatomy

    app = make_app(models_dir)
    async with app.run_test(size=SMALL) as pilot:
        view = await open_anatomy(app, pilot, "cnn")
        table = view.query_one("#anatomy-table", Static)
        summary = view.query_one("#anatomy-summary", Static)
        await until(pilot, lambda: not isinstance(table.content, str), 60, "the anatomy table")
        field = view.query_one("#anatomy-input", Input)
        assert field.placeholder == "32x32x1 (the paper's)"  # LeNet-5's
        field.value = "64x64x1"
        field.focus()
        await pilot.press("enter")
        await until(pilot, lambda: "at 64x64x1" in str(summary.render()), 60, "the rebuilt table")
        await until(pilot, lambda: not view.query_one("#anatomy-loading").display, 60, "the table")
        assert rendered(view.tables[0]) == rendered(tables.anatomy_table(anatomy.anatomy_of("lenet", (64, 64, 1))))
        assert any(rendered(table.content) == rendered(t) for t in view.tables)
        # A size the network cannot take, and a malformed one: the CLI's words, one line.
        with pytest.raises(BadInput) as small:
            anatomy.anatomy_of("lenet", (2, 2, 1))
        field.value = "2x2x1"
        await pilot.press("enter")
        await until(pilot, lambda: str(summary.render()) == f"workbench: error: {small.value}", 60,
                    "the error")
        field.value = "64x64"
        await pilot.press("enter")
        await pilot.pause()
        assert str(summary.render()) == ("workbench: error: input must look like HxWxC "
                                         "(e.g. 227x227x3), got '64x64'")


async def test_a_select_not_yet_showing_its_value_counts_as_its_default(models_dir, monkeypatch):
    # Seen in a terminal: ctrl+r a moment after a lesson's form was made, while TensorFlow
    # was still loading, found the select without its value ("got Select.NULL").
    from textual.widgets import Select as SelectWidget

    app = make_app(models_dir)
    async with app.run_test(size=SMALL) as pilot:
        app.screen.select_lesson("backprop")
        await pilot.pause()
        monkeypatch.setattr(SelectWidget, "is_blank", lambda self: True)
        assert app.screen.query_one("#form-backprop #field-example").checked() == (True, "add_mul")
        await pilot.press("ctrl+r")
        panel = await run_to_end(app, pilot)
        assert panel.outcome == "done", status_text(app)
        assert panel.result.params["example"] == "add_mul" and panel.result.dataset == "digits"
        assert panel.result.metrics["df_dz"] == 3.0


# -- the notes in Chinese ----------------------------------------------------------------

@pytest.mark.parametrize("size", [SMALL, (160, 48)])
def test_snapshot_lesson_screen_in_chinese(snap_compare, size, monkeypatch):
    # Chosen by the environment, not ctrl+l: the key's passing notice would make the
    # picture depend on timing (the key has a test of its own below).
    monkeypatch.setenv("WORKBENCH_LANG", "zh")
    assert snap_compare(WorkbenchApp(models_dir="no-models-here", preload_tensorflow=False),
                        terminal_size=size)


async def test_ctrl_l_switches_the_notes_to_chinese_and_the_next_launch_remembers(
        models_dir, tmp_path, monkeypatch):
    from workbench.i18n import language
    from workbench.tui import preferences

    monkeypatch.delenv(language.ENV)
    monkeypatch.setenv(preferences.ENV, str(tmp_path))
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    app = make_app(models_dir)
    async with app.run_test(size=SMALL) as pilot:
        assert app.lang == "en" and await drawn_notes(app, pilot) == app_notes("knn")
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert app.lang == "zh"
        assert notes_text(app).startswith("# k 近邻 (k-nearest neighbours)")
        await pilot.press("n")  # the path comes first; the notes are a key away
        await pilot.pause()
        shown = screen_text(app)
        assert "k 近邻" in shown
        titles = [str(label.render()) for label in app.screen.query(".lesson-title")]
        assert titles[:2] == ["1. k 近邻", "2. 线性分类器"]
        # Another lesson opens in Chinese too.
        app.screen.select_lesson("linear")
        await pilot.pause()
        assert "线性分类器" in notes_text(app)
        app.screen.select_lesson("knn")
        await pilot.pause()
    assert preferences.load() == {"lang": "zh", "lesson": "knn"}
    again = make_app(models_dir)
    async with again.run_test(size=SMALL) as pilot:
        assert again.lang == "zh" and "k 近邻" in await drawn_notes(again, pilot)
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert notes_text(again) == app_notes("knn")
    assert preferences.load() == {"lang": "en", "lesson": "knn"}


# -- the Exercises tab -------------------------------------------------------------------

async def test_the_exercises_tab_starts_edits_and_checks(models_dir, tmp_path, monkeypatch):
    import contextlib

    from workbench.tui.screens.confirm import ConfirmScreen
    from workbench.tui.widgets.exercises_view import ExerciseItem, ExercisesView

    workspace = tmp_path / "ws"
    monkeypatch.setenv("WORKBENCH_WORKSPACE", str(workspace))
    # The "editor" writes the lesson's own functions into the file, as a learner would.
    editor = tmp_path / "editor.sh"
    solved = tmp_path / "solved.py"
    solved.write_text(solved_source("knn"))
    editor.write_text(f'#!/bin/sh\ncp "{solved}" "$1"\n')
    editor.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(editor))
    monkeypatch.delenv("VISUAL", raising=False)
    app = make_app(models_dir)
    async with app.run_test(size=SMALL) as pilot:
        monkeypatch.setattr(app, "suspend", contextlib.nullcontext)  # no terminal to hand over here
        await pilot.press("x")
        await pilot.pause()
        view = app.screen.query_one("#exercises-knn", ExercisesView)
        statuses = lambda: [item.row.status for item in view.query(ExerciseItem)]
        assert statuses() == ["not started"] * 3
        await pilot.press("c")  # no file yet: asks first
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), 10, "the question")
        assert "with the stubs of the 3 exercises" in str(app.screen.query_one("#confirm-question").render())
        await pilot.press("y")
        await until(pilot, lambda: statuses() == ["todo"] * 3, 60, "the stubs checked")
        assert (workspace / "knn.py").read_text().count("raise NotImplementedError") == 3
        # The list shows the path's progress; its exercise step is done when all three pass.
        state = app.screen.query_one("#lesson-knn .lesson-state")
        steps = len(guide.steps_of(registry.get("knn")))
        await until(pilot, lambda: str(state.render()) == f"knn 0/{steps}", 10, "the progress in the list")
        await pilot.press("e")  # the editor saves the file: checked again without asking
        await until(pilot, lambda: statuses() == ["pass"] * 3, 60, "the edited file checked")
        await until(pilot, lambda: str(state.render()) == f"knn 1/{steps}", 10, "the progress in the list")
        assert "3/3 passed" in str(view.query_one(".exercises-summary").render())
        for size in (SMALL, (160, 48)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
            shown = screen_text(app)
            assert "3/3 passed" in shown and "✓ predict_labels  pass" in shown, size
        await pilot.press("ctrl+l")  # in Chinese: the statuses and the verdict's words too
        await pilot.pause()
        shown = screen_text(app)
        assert "已通过 3/3" in shown and "✓ predict_labels  通过" in shown
        assert "（通过）" in shown or "(通过)" in shown
        assert "每项检查都通过了" in str(view.query_one(".exercise-detail").render())
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert "every check passed" in str(view.query_one(".exercise-detail").render())
        # Another lesson's tab lists its own exercises, in course order.
        app.screen.select_lesson("training")
        await pilot.pause()
        assert app.screen.query_one("#lesson-tabs").get_tab("tab-exercises").display
        await pilot.press("x")
        await pilot.pause()
        training = app.screen.query_one("#exercises-training", ExercisesView)
        assert [item.row.id for item in training.query(ExerciseItem)] == [
            f"training.{name}" for name in ("batchnorm_forward", "batchnorm_backward", "dropout_forward",
                                            "dropout_backward", "sgd_momentum", "rmsprop", "adam")]
        assert {item.row.status for item in training.query(ExerciseItem)} == {"not started"}


async def test_every_lesson_title_is_whole_in_the_wide_lesson_list(models_dir):
    app = make_app(models_dir)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        shown = screen_text(app)
        for position, lesson in enumerate(registry.lessons(), 1):
            assert f"{position}. {lesson.title} " in shown, lesson.title
