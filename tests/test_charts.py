"""Charts (the CLI's text and the app's plots share one drawing) and the PNG sheets."""

from __future__ import annotations

import io

import numpy as np
import pytest
from rich.console import Console

from workbench.drawing import charts
from workbench.drawing import sheets
from workbench.running.events import Chart

CHART = Chart("gradient norm by depth", "convolution", [1, 2, 3, 4],
              {"plain": [300.0, 30.0, 3.0, 0.3], "residual": [5.0, 4.0, 3.0, 2.0]}, log_y=True)


def printed(renderable, *, color: bool) -> str:
    out = io.StringIO()
    Console(file=out, width=100, force_terminal=color, color_system="truecolor" if color else None,
            no_color=not color).print(renderable)
    return out.getvalue()


def test_a_chart_prints_with_its_title_axis_and_legend():
    text = printed(charts.render(CHART, width=80, color=False), color=False)
    assert "\x1b" not in text  # a pipe or a log file gets no escape codes
    assert "gradient norm by depth" in text and "convolution" in text
    assert "• plain" in text and "x residual" in text  # told apart by marks, not colours
    lines = text.splitlines()
    # A log axis over 0.3 .. 300: ticks at the whole decades, evenly spaced on screen.
    rows = {float(line.split("┤")[0]): i for i, line in enumerate(lines) if "┤" in line}
    assert sorted(rows) == [1.0, 10.0, 100.0]
    assert rows[1.0] - rows[10.0] == pytest.approx(rows[10.0] - rows[100.0], abs=1)
    # Whole-number x (layers, epochs) gets whole-number ticks.
    axis = next(i for i, line in enumerate(lines) if "└" in line)
    assert lines[axis + 1].split() == ["1", "2", "3", "4"]


def test_in_colour_each_line_and_its_legend_entry_share_a_colour():
    text = printed(charts.render(CHART, width=80, color=True), color=True)
    assert "━ plain" in text and "━ residual" in text
    assert charts.legend(charts.chart_lines(CHART)) == "[cyan]━ plain[/]  [magenta]━ residual[/]"


def test_a_log_axis_leaves_out_points_at_or_below_zero_instead_of_failing():
    chart = Chart("t", "x", [1, 2, 3], {"a": [0.0, 1.0, 10.0]}, log_y=True)
    text = printed(charts.render(chart, width=60, color=False), color=False)
    ticks = [float(line.split("┤")[0]) for line in text.splitlines() if "┤" in line]
    assert min(ticks) == pytest.approx(1.0, rel=0.05)


def test_a_sheet_enlarges_each_image_by_a_whole_factor_and_captions_it():
    rng = np.random.default_rng(0)
    images = [rng.random((8, 8)) for _ in range(6)]
    names = ["zero", "one", "two", "three", "four", "five"]
    page = sheets.sheet(images, names, columns=3)
    plan = sheets.layout((8, 8), 6, names, columns=3)
    assert (plan.scale, plan.columns, plan.rows) == (8, 3, 2)
    assert page.shape == plan.size[::-1]
    for i, image in enumerate(images):
        x, y = plan.origin(i)
        tile = page[y:y + 64, x:x + 64]
        np.testing.assert_allclose(tile[::8, ::8], np.round(image * 255) / 255, atol=1e-9)
        assert np.ptp(tile.reshape(8, 8, 8, 8), axis=(1, 3)).max() == 0  # square, sharp pixels
        assert page[y + 64:y + 64 + sheets.CAPTION, x:x + 64].min() < 0.5  # its caption


def test_a_sheet_keeps_colour_when_any_image_has_it():
    grey, colour = np.full((4, 4), 0.5), np.zeros((4, 4, 3))
    colour[..., 0] = 1.0  # red
    page = sheets.sheet([grey, colour])
    assert page.shape[-1] == 3
    x, y = sheets.layout((4, 4), 2).origin(1)
    np.testing.assert_allclose(page[y + 1, x + 1], [1.0, 0.0, 0.0])
    x, y = sheets.layout((4, 4), 2).origin(0)
    np.testing.assert_allclose(page[y + 1, x + 1], [128 / 255] * 3)


def test_an_empty_sheet_is_refused():
    with pytest.raises(ValueError, match="at least one image"):
        sheets.sheet([])


@pytest.mark.parametrize("values", [[2.0], [3.0, 3.0]])
def test_a_flat_or_single_point_log_chart_still_draws(values):
    chart = Chart("one epoch", "epoch", list(range(1, len(values) + 1)), {"a": values}, log_y=True)
    text = printed(charts.render(chart, width=60, color=False), color=False)
    ticks = [float(line.split("┤")[0]) for line in text.splitlines() if "┤" in line]
    assert min(ticks) <= values[0] <= max(ticks)
