"""Regenerate docs/app.svg (140x46) and docs/app-100x30.svg (and print text captures): the
lesson screen after a short linear-classifier run, wide and small; and docs/path-100x30.svg,
the linear classifier's guided path after its first experiment. Run from the repository
root: `python docs/app_screenshot.py`.

The run is real (15 epochs, about 3 s after TensorFlow has loaded); its model goes to a
temporary folder, so the picture shows a relative `saved_models/` path.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
from pathlib import Path

from rich.console import Console

from workbench.tui.app import WorkbenchApp

SHOTS = {(140, 46): Path(__file__).with_name("app.svg"),
         (100, 30): Path(__file__).with_name("app-100x30.svg")}
PATH_SHOT = Path(__file__).with_name("path-100x30.svg")


def text_of(app) -> str:
    console = Console(width=app.size.width, height=app.size.height, record=True,
                      file=open(os.devnull, "w"), color_system=None, legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text(styles=False)


async def shoot(size: tuple[int, int], out: Path) -> None:
    app = WorkbenchApp(models_dir="saved_models")
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        app.screen.select_lesson("linear")
        await pilot.pause()
        app.screen.query_one("#form-linear #param-epochs").value = "15"
        await pilot.press("ctrl+r")
        while app.screen.running or app.screen.query_one("#run-panel").outcome is None:
            await pilot.pause(0.1)
        while app.tensorflow_version is None:
            await pilot.pause(0.1)
        await pilot.pause(0.5)
        app.save_screenshot(str(out))
        sys.stdout.write(text_of(app))
    # The next shot's run writes the same file: start it from an empty folder, as a
    # learner's first run would (no "replace?" question in the picture).
    shutil.rmtree("saved_models", ignore_errors=True)


async def shoot_path(size: tuple[int, int], out: Path) -> None:
    """The linear classifier's guided path after its first experiment: the prediction
    asked, the run, then back on the Path tab with the step marked and its claims shown."""
    app = WorkbenchApp(models_dir="saved_models")
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        app.screen.select_lesson("linear")
        await pilot.pause()
        app.screen.action_tab("tab-path")  # into the path
        app.screen.query_one("#path").steps_list.index = 2  # step 3, the first experiment
        await pilot.press("enter")  # its prediction comes first
        await pilot.pause(0.5)
        await pilot.press("a")
        while app.screen.running or app.screen.query_one("#run-panel").outcome is None:
            await pilot.pause(0.1)
        while app.tensorflow_version is None:
            await pilot.pause(0.1)
        await pilot.pause(0.5)
        await pilot.press("p")
        await pilot.pause(0.5)
        app.save_screenshot(str(out))
        sys.stdout.write(text_of(app))
    shutil.rmtree("saved_models", ignore_errors=True)


async def main() -> None:
    for size, out in SHOTS.items():
        await shoot(size, out)
    await shoot_path((100, 30), PATH_SHOT)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        here = Path.cwd()
        os.chdir(folder)  # the run saves into <tmp>/saved_models
        try:
            asyncio.run(main())
        finally:
            os.chdir(here)
