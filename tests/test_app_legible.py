"""The Models and Runs screens and the Anatomy tab read whole at 100x30 and 160x48.

What is checked is what the terminal shows (`screen_text`) and what a widget draws at its
own width: every number whole, every metric name and file name on one line, and nothing
past the right edge that would need a sideways scroll. The models and runs are real ones,
made once for the module; the numbers expected are the runs' own, written by
`workbench.drawing.numbers.number`, never typed into the test.
"""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console
from textual.widgets import DataTable, Select, Static

import workbench
from tests.test_app import make_app, open_anatomy, screen_text, until
from workbench.drawing import charts
from workbench.drawing import guided_path
from workbench.drawing import tables
from workbench.drawing.numbers import metric_rows, number
from workbench.results import history
from workbench.results import store

SMALL, LARGE = (100, 30), (160, 48)
LONG_NAME = "linear-lr-0.05-svm-compared-with-softmax.h5"


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """Three real runs and their models: the init experiment (long metric names, six
    curves), and two linear classifiers that differ in loss and learning rate, one saved
    under a long name of the learner's own."""
    folder = tmp_path_factory.mktemp("legible")
    workbench.run("training", experiment="init", epochs=1, activation="relu", models_dir=str(folder))
    workbench.run("linear", epochs=2, models_dir=str(folder))
    workbench.run("linear", epochs=2, loss="svm", learning_rate=0.05, models_dir=str(folder),
                  out=str(folder / LONG_NAME))
    return folder


def text_of(renderable, width: int) -> list[str]:
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    console.print(renderable)
    return [line.rstrip() for line in console.export_text(styles=False).splitlines()]


def drawn(widget) -> list[str]:
    """A Static's content as drawn at its own width, line by line."""
    return text_of(widget.content, widget.content_size.width)


def seen(app, widget) -> list[str]:
    """The screen's lines inside `widget`'s region: what the learner sees of it."""
    region = widget.region
    return [line[region.x:region.right] for line in screen_text(app).splitlines()[region.y:region.bottom]]


def whole_word(word: str, line: str) -> bool:
    """`word` on `line` with nothing of a name or number glued to either side."""
    return re.search(rf"(?<![\w.,]){re.escape(word)}(?![\w.,])", line) is not None


# -- the Models screen ------------------------------------------------------------------

@pytest.mark.parametrize("size", [SMALL, LARGE])
async def test_every_models_key_number_is_on_its_row_whole_without_scrolling(folder, size):
    infos = store.list_models(folder)
    assert {info.path.name for info in infos} == {"training-init.h5", "linear-softmax.h5", LONG_NAME}
    app = make_app(folder)
    async with app.run_test(size=size) as pilot:
        await pilot.press("m")
        await pilot.pause()
        table = app.screen.query_one("#models-table", DataTable)
        shown = seen(app, table)
        for info in infos:
            name, value = store.key_metric(info.metadata)
            # The model's own line on the screen holds its name and its key number, whole.
            (line,) = [line for line in shown if whole_word(info.path.name, line)]
            assert whole_word(f"{name} {number(value)}", line), (size, line)
        # The key metric comes right after the name; what follows is only what fits whole.
        labels = [str(column.label) for column in table.ordered_columns]
        assert labels[:2] == ["model", "key metric"]
        assert table.max_scroll_x == 0  # nothing past the right edge
        for row in range(table.row_count):
            line = next(line for line in shown if whole_word(str(table.get_cell_at((row, 0))), line))
            for cell in table.get_row_at(row):
                assert str(cell) in line, (size, cell, line)
        assert "lesson" in labels  # the long name leaves no room for the date, not less
        if size == SMALL:  # at 100 columns the Inspect box is under the list, at the full width
            assert table.outer_size.width == app.size.width


@pytest.mark.parametrize("size", [SMALL, LARGE])
async def test_the_inspected_model_reads_whole_names_and_numbers(folder, size):
    app = make_app(folder)
    async with app.run_test(size=size) as pilot:
        await pilot.press("m")
        await pilot.pause()
        table = app.screen.query_one("#models-table", DataTable)
        for row in range(table.row_count):
            table.move_cursor(row=row)
            await pilot.pause()
            path = table.coordinate_to_cell_key((row, 0)).row_key.value
            info = store.describe(path)
            lines = drawn(app.screen.query_one("#model-info", Static))
            # The file's name on one line (the whole path where the box holds it).
            assert any(whole_word(info.path.name, line) for line in lines), (size, lines[:3])
            # Each metric: its name whole on a line, its value whole beside it.
            single, _ = tables.metric_groups(info.metadata["metrics"])
            for name, value in metric_rows(single):
                if not value:  # an empty list (no gradient-check kinks) shows nothing
                    continue
                assert any(whole_word(name, line) and line.endswith(f" {value}") for line in lines), \
                    (size, name, value)


# -- the Runs screen --------------------------------------------------------------------

async def mark_two_runs(app, pilot) -> list[history.RunRecord]:
    """On the runs screen, mark the newest run and the training one; the marked runs."""
    await pilot.press("h")
    await pilot.pause()
    runs = history.strict(app.models_dir).runs()
    await pilot.press("space")  # the newest: the linear SVM
    for _ in range(len(runs) - 1):  # the oldest: the init experiment
        await pilot.press("down")
    await pilot.press("space")
    await pilot.pause()
    assert app.screen.marked == [runs[0].id, runs[-1].id]
    return [runs[0], runs[-1]]


@pytest.mark.parametrize("size", [SMALL, LARGE])
async def test_two_marked_runs_side_by_side_every_value_whole(folder, size):
    app = make_app(folder)
    async with app.run_test(size=size) as pilot:
        marked = await mark_two_runs(app, pilot)
        box = app.screen.query_one("#runs-compare")
        numbers = app.screen.query_one("#runs-numbers", Static)
        # Both runs' columns inside the box: no sideways scroll hides the second.
        assert box.max_scroll_x == 0 and numbers.region.right <= box.region.right
        heads = [f"#{run.id}" + (f" step {run.step}" if run.step else "") for run in marked]
        head_line = next(line for line in seen(app, box) if heads[0] in line)
        assert re.split(r"\s{2,}", head_line.strip("│ ")) == heads
        lines = drawn(numbers)
        assert max(len(line) for line in lines) <= numbers.content_size.width
        rows = [(name, [number(run.params.get(name, "-")) for run in marked])
                for name in guided_path.differing_params(marked)]
        rows += [(name, [number(run.metrics[name]) if name in run.metrics else "-" for run in marked])
                 for name in guided_path.scalar_metrics(marked)]
        assert any(name == "learning_rate" for name, _ in rows)
        for name, values in rows:
            # The name whole, and its values, whole and in the runs' order, beside or under it
            # (columns are two spaces or more apart; a value such as "0.01, 1" has one).
            at = next(i for i, line in enumerate(lines) if line.split()[:1] == [name])
            after = lines[at].strip()[len(name):].strip() or lines[at + 1].strip()
            assert re.split(r"\s{2,}", after) == values, (size, name, after, values)


@pytest.mark.parametrize("size", [SMALL, LARGE])
async def test_the_legend_names_every_curve_whole_under_the_plot(folder, size):
    app = make_app(folder)
    async with app.run_test(size=size) as pilot:
        marked = await mark_two_runs(app, pilot)
        curves = app.screen.query_one("#runs-curves")
        labels = list(history.curves(marked, "loss"))
        assert labels == list(curves.series) and len(labels) >= 4
        legend = app.screen.query_one("#runs-legend", Static)
        assert legend.region.bottom <= app.screen.query_one("#runs-curve-box").region.bottom
        lines = drawn(legend)
        assert all(len(line) <= legend.content_size.width for line in lines)
        for label in labels:
            assert any(f"━ {label}" in line for line in lines), (size, label, lines)
        assert "…" not in "\n".join(lines)
        on_screen = " ".join(screen_text(app).split())
        assert all(f"━ {label}" in on_screen for label in labels)


def test_a_legend_packs_whole_entries_and_wraps_only_one_wider_than_the_place():
    lines = {f"#{i} constant init loss": ([1], [1.0]) for i in range(4)}
    lines["#9 a name longer than the place it is drawn in"] = ([1], [2.0])
    text = charts.legend_text(lines, 30, color=False).plain.splitlines()
    assert all(len(line) <= 30 for line in text)
    for label in list(lines)[:4]:
        assert any(label in line for line in text)
    assert " ".join(" ".join(text).split()).endswith("* #9 a name longer than the place it is drawn in")


# -- the Anatomy tab --------------------------------------------------------------------

async def test_vgg16s_anatomy_is_whole_at_160x48_beside_the_rail_and_the_form(models_dir):
    from workbench.results.anatomy import human

    app = make_app(models_dir)
    async with app.run_test(size=LARGE) as pilot:
        view = await open_anatomy(app, pilot, "cnn")
        view.query_one("#anatomy-arch", Select).value = "vgg16"
        table = view.query_one("#anatomy-table", Static)
        await until(pilot, lambda: view.anatomy is not None and view.anatomy.arch == "vgg16"
                    and table.content in view.tables, 120, "VGG16's table")
        await pilot.pause()
        assert app.screen.query_one("#lessons").size.width > 12  # the list, not the rail
        assert app.screen.query_one("#setup").display
        scroll = view.query_one("#anatomy-scroll")
        assert scroll.max_scroll_x == 0 and table.region.right <= scroll.region.right
        result = view.anatomy
        assert result.arch == "vgg16" and len(result.layers) > 20
        lines = drawn(table)
        shown = screen_text(app).splitlines()
        for layer in result.layers:
            row = next(line for line in lines if line.split()[:1] == [layer.name])
            *_, params, macs, activations = row.split()
            for n, cell in ((layer.params, params), (layer.macs, macs), (layer.activations, activations)):
                assert cell in (f"{n:,}", human(n)), (layer.name, n, cell)
            # And on the screen, the same row whole.
            assert any(row.strip() in line for line in shown), row
        # The exact table where it fits: at 160 columns without the form, nothing rounded.
        await pilot.press("ctrl+s")
        await until(pilot, lambda: table.content is view.tables[0], 30, "the exact table")
        assert scroll.max_scroll_x == 0 and table.region.right <= scroll.region.right
        assert drawn(table) == text_of(tables.anatomy_table(result), table.content_size.width)
