"""Line charts drawn with plotext, one way for the app's plots and the CLI's text.

The app draws training curves (per epoch) and a lesson's `Chart` events into a plotext
widget; the CLI prints the same `Chart` as text. Both go through `draw`, so a chart reads
the same in both. The legend is not drawn inside the plot, where it hid the first
points: callers put `legend(...)` beside it (the app: the box's bottom border), or
`Legend(...)` under it, wrapped so that every line's name is whole.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.text import Text

from workbench.running.events import Chart

# Colours both plotext and Rich know by these names, so a line and its legend entry match.
COLORS = ("cyan", "magenta", "green", "yellow", "red", "blue")
# Without colour, lines are told apart by their marks.
MARKS = ("•", "x", "+", "o", "*", "#")

Lines = Mapping[str, tuple[Sequence[float], Sequence[float]]]  # label -> (xs, ys)


def _styles(lines: Lines, color: bool) -> list[tuple[str, str]]:
    """(plotext marker, colour name or "") per line, in order."""
    n = len(lines)
    if color:
        return [("braille", c) for c in (COLORS * n)[:n]]
    return [(m, "") for m in (MARKS * n)[:n]]


def draw(plt, lines: Lines, *, title: str = "", x_label: str = "", log_y: bool = False,
         color: bool = True, scatter: bool = False) -> None:
    """Draw `lines` on a cleared plotext figure (`plt`: the module, or a widget's `plt`)."""
    plt.clear_data()
    plt.clear_figure()
    if title:
        plt.title(title)
    plt.xlabel(x_label)
    if not any(len(xs) for xs, _ in lines.values()):
        plt.title(f"{title}: nothing yet" if title else "nothing yet")
        return
    drawn = []
    for (xs, ys), (marker, colour) in zip(lines.values(), _styles(lines, color)):
        # A log axis has no place for zero or less: those points are left out, not faked.
        points = [(x, y) for x, y in zip(xs, ys) if math.isfinite(y) and (y > 0 or not log_y)]
        if points:
            # On a log axis the lines are drawn at log10(y) and the ticks carry the real
            # values: plotext's own log scale fails on a flat range (one epoch).
            (plt.scatter if scatter else plt.plot)(
                [x for x, _ in points], [math.log10(y) if log_y else y for _, y in points],
                marker=marker, color=colour or "default")
            drawn += [y for _, y in points]
    if log_y and drawn:
        low, high = math.log10(min(drawn)), math.log10(max(drawn))
        if high - low < 0.2:  # flat: a little room around the value
            low, high = low - 0.1, high + 0.1
        plt.ylim(low, high)
        ticks = log_ticks(low, high)
        plt.yticks(ticks, [f"{10 ** t:.3g}" for t in ticks])
    xs = [x for line_xs, _ in lines.values() for x in line_xs]
    if all(float(x).is_integer() for x in xs):  # epochs, layers: no tick at 1.75
        first, last = int(min(xs)), int(max(xs))
        ticks = list(range(first, last + 1, max(1, math.ceil((last - first) / 6))))
        plt.xticks(ticks + ([last] if ticks[-1] != last else []))


def log_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """log10 positions of ticks between 10**low and 10**high: whole decades when the range
    spans several, else evenly spread."""
    decades = [float(d) for d in range(math.ceil(low), math.floor(high) + 1)]
    if len(decades) >= 3:
        step = math.ceil(len(decades) / count)
        return decades[::step]
    return [low + (high - low) * i / (count - 1) for i in range(count)]


def legend(lines: Lines, color: bool = True) -> str:
    """Rich markup naming each line in its colour (or with its mark)."""
    return "  ".join(f"[{colour}]━ {label}[/]" if colour else f"{marker} {label}"
                     for label, (marker, colour) in zip(lines, _styles(lines, color)))


def legend_entries(lines: Lines, color: bool = True) -> list[Text]:
    """One Text per line of the chart: its mark (in its colour) and its whole name."""
    return [Text.from_markup(f"[{colour}]━ {label}[/]" if colour else f"{marker} {label}")
            for label, (marker, colour) in zip(lines, _styles(lines, color))]


def legend_text(lines: Lines, width: int, color: bool = True,
                console: Console | None = None) -> Text:
    """The legend wrapped to `width`: entries packed onto lines, two spaces apart, each
    entry whole on one line; only an entry wider than the whole width wraps, at its spaces."""
    out = Text()
    used = 0
    for entry in legend_entries(lines, color):
        size = cell_len(entry.plain)
        if used and used + 2 + size > width:
            out.append("\n")
            used = 0
        elif used:
            out.append("  ")
            used += 2
        if size > width:  # only this entry on its lines, wrapped between its words
            wrapped = entry.wrap(console or Console(width=width), width, overflow="fold")
            for line in wrapped:
                line.rstrip()
            out.append_text(Text("\n").join(wrapped))
            used = cell_len(wrapped[-1].plain) if wrapped else 0
            continue
        out.append_text(entry)
        used += size
    return out


class Legend:
    """`legend_text` as a Rich renderable: wrapped to whatever width it is drawn at."""

    def __init__(self, lines: Lines, color: bool = True) -> None:
        self.lines, self.color = lines, color

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        entries = [cell_len(e.plain) for e in legend_entries(self.lines, self.color)]
        return Measurement(max(entries, default=0), sum(entries) + 2 * max(len(entries) - 1, 0))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield legend_text(self.lines, options.max_width, self.color, console)


def chart_lines(chart: Chart) -> dict[str, tuple[list[float], list[float]]]:
    return {name: (chart.xs.get(name, chart.x), ys) for name, ys in chart.series.items()}


def render(chart: Chart, *, width: int, height: int = 16, color: bool = True) -> Text:
    """The chart as terminal text, legend below, for the CLI."""
    import plotext as plt

    lines = chart_lines(chart)
    draw(plt, lines, title=chart.title, x_label=chart.x_label, log_y=chart.log_y, color=color,
         scatter=chart.scatter)
    plt.theme("clear")  # the terminal's own background, light or dark
    plt.plotsize(max(30, width), height)
    text = Text.from_ansi(plt.build())
    text.append("\n")
    text.append_text(legend_text(lines, max(30, width), color))
    return text
