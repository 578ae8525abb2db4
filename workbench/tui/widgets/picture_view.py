"""A `Picture` event drawn in the app: the CLI's renderer, redrawn at the widget's width."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from workbench.drawing import pictures
from workbench.running.events import Picture


class PictureView(Widget):
    """Digits, nearest neighbours, class templates, filters: two pixel rows per line,
    as many images on a line as the width holds."""

    DEFAULT_CLASSES = "picture"

    def __init__(self, picture: Picture) -> None:
        super().__init__()
        self.picture = picture

    def render(self) -> Text:
        # Under NO_COLOR the half blocks would all look alike: use the brightness ramp.
        return pictures.render(self.picture, color=not self.app.no_color,
                               width=max(8, self.content_size.width))
