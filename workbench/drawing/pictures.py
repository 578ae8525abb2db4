"""Draw `Picture` events as terminal text, two pixel rows per character line.

In colour, '▀' takes the top pixel as its foreground and the bottom pixel as its
background, so an 8x8 digit fits in 8 columns and 4 lines. Without colour (a pipe, a
log file) the pair's mean picks a character from a brightness ramp instead. The result
is a Rich `Text`, which both the CLI's console and the app's widgets can show.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text

from workbench.running.events import Picture

_GAP = "  "
_RAMP = " .:-=+*#%@"


def _grey(value: float) -> str:
    level = max(0, min(255, int(round(value * 255))))
    return f"rgb({level},{level},{level})"


def _ramp(value: float) -> str:
    return _RAMP[max(0, min(len(_RAMP) - 1, int(value * len(_RAMP))))]


def _image_lines(image: list[list[float]], color: bool) -> list[Text]:
    rows = [list(r) for r in image]
    if len(rows) % 2:
        rows.append([0.0] * len(rows[0]))
    lines = []
    for top, bottom in zip(rows[0::2], rows[1::2]):
        line = Text()
        for upper, lower in zip(top, bottom):
            if color:
                line.append("▀", Style.parse(f"{_grey(upper)} on {_grey(lower)}"))
            else:
                line.append(_ramp((upper + lower) / 2))
        lines.append(line)
    return lines


def render(picture: Picture, color: bool = True, width: int | None = None) -> Text:
    """The picture's title, then its images in rows of `columns` (fewer if `width`
    terminal columns cannot hold them), captions underneath."""
    out = Text(picture.title + "\n", style="bold")
    columns = picture.columns or len(picture.images) or 1
    if width and picture.images:
        cell = max(len(picture.images[0][0]), *(len(c) for c in picture.captions)) + len(_GAP)
        columns = max(1, min(columns, width // cell))
    for start in range(0, len(picture.images), columns):
        images = picture.images[start:start + columns]
        captions = picture.captions[start:start + columns]
        drawn = [_image_lines(image, color) for image in images]
        width = [max(len(image[0]) if image else 0, len(c)) for image, c in zip(images, captions)]
        height = max(len(d) for d in drawn)
        for row in range(height):
            for d, w in zip(drawn, width):
                piece = d[row] if row < len(d) else Text(" " * len(d[0]))
                out.append_text(piece)
                out.append(" " * (w - len(piece)) + _GAP)
            out.append("\n")
        for c, w in zip(captions, width):
            out.append(c.ljust(w) + _GAP, style="dim")
        out.append("\n")
    return out
