"""Images laid out as a labelled contact sheet, for the PNGs a run saves.

The terminal picture shows a lesson's templates or filters a few pixels each; the PNG
beside the model is what a learner opens to look closely, so each image is enlarged by
a whole factor (pixels stay square and sharp) and its caption is written under it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

TILE = 64  # enlarge each image until its longer side is at least this many pixels
GAP = 6
CAPTION = 14  # pixel rows under each image for its caption


@dataclass(frozen=True)
class Layout:
    """Where each image of a sheet goes: cells of `cell` pixels, images enlarged `scale` times."""

    scale: int
    cell: tuple[int, int]  # width, height
    columns: int
    rows: int

    def origin(self, index: int) -> tuple[int, int]:
        """Top-left pixel (x, y) of image `index`."""
        return GAP + (index % self.columns) * self.cell[0], GAP + (index // self.columns) * self.cell[1]

    @property
    def size(self) -> tuple[int, int]:
        return GAP + self.columns * self.cell[0], GAP + self.rows * self.cell[1]


def layout(shape: tuple[int, int], count: int, captions: Sequence[str] = (), columns: int = 0) -> Layout:
    """The layout of `count` images of `shape` (height, width) with these captions."""
    height, width = shape
    scale = max(1, math.ceil(TILE / max(height, width)))
    text_width = max((_font().getbbox(c)[2] for c in captions if c), default=0)
    columns = columns or count
    return Layout(scale, (max(width * scale, text_width) + GAP,
                          height * scale + (CAPTION if any(captions) else 0) + GAP),
                  columns, math.ceil(count / columns))


def _font():
    from PIL import ImageFont

    return ImageFont.load_default()


def sheet(images: Sequence[np.ndarray], captions: Sequence[str] = (), columns: int = 0) -> np.ndarray:
    """(H, W) grayscale or (H, W, 3) colour images in [0, 1] -> one image in [0, 1] on
    white, `columns` per row (0: all on one row), each caption under its image. Colour
    when any image has colour."""
    from PIL import Image, ImageDraw

    arrays = [np.clip(np.asarray(image, dtype="float64"), 0.0, 1.0) for image in images]
    if not arrays:
        raise ValueError("a sheet needs at least one image")
    arrays = [a[..., 0] if a.ndim == 3 and a.shape[-1] == 1 else a for a in arrays]
    colour = any(a.ndim == 3 for a in arrays)
    if colour:
        arrays = [np.repeat(a[..., None], 3, axis=-1) if a.ndim == 2 else a for a in arrays]
    shape = (max(a.shape[0] for a in arrays), max(a.shape[1] for a in arrays))
    plan = layout(shape, len(arrays), captions, columns)
    page = Image.new("RGB" if colour else "L", plan.size, "white")
    draw = ImageDraw.Draw(page)
    for i, array in enumerate(arrays):
        x, y = plan.origin(i)
        big = np.kron(array, np.ones((plan.scale, plan.scale) + (1,) * (array.ndim - 2)))
        page.paste(Image.fromarray((big * 255).round().astype("uint8")), (x, y))
        if i < len(captions) and captions[i]:
            draw.text((x, y + array.shape[0] * plan.scale + 2), captions[i], fill="black",
                      font=_font())
    return np.asarray(page, dtype="float64") / 255.0
