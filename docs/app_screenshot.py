"""Regenerate docs/app.svg (140x46) and docs/app-100x30.svg (and print text captures): the
lesson screen after a short linear-classifier run, wide and small; and docs/path-100x30.svg
and docs/path-100x30-zh.svg, the linear classifier's guided path after its first
experiment, in English and in Chinese. Run from the repository
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
PATH_SHOTS = {"en": Path(__file__).with_name("path-100x30.svg"),
              "zh": Path(__file__).with_name("path-100x30-zh.svg")}


def text_of(app) -> str:
    console = Console(width=app.size.width, height=app.size.height, record=True,
                      file=open(os.devnull, "w"), color_system=None, legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text(styles=False)


async def shoot(size: tuple[int, int], out: Path, start, then=None) -> None:
    """The linear lesson after a real run: `start(app, pilot)` starts the run, `then`
    (if given) moves to the view pictured once it has ended."""
    app = WorkbenchApp(models_dir="saved_models")
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        app.screen.select_lesson("linear")
        await pilot.pause()
        await start(app, pilot)
        while app.screen.running or app.screen.query_one("#run-panel").outcome is None:
            await pilot.pause(0.1)
        while app.tensorflow_version is None:
            await pilot.pause(0.1)
        await pilot.pause(0.5)
        if then is not None:
            await then(app, pilot)
        app.save_screenshot(str(out))
        sys.stdout.write(text_of(app))
    # The next shot's run writes the same file: start it from an empty folder, as a
    # learner's first run would (no "replace?" question in the picture).
    shutil.rmtree("saved_models", ignore_errors=True)


async def run_from_the_form(app, pilot) -> None:
    app.screen.query_one("#form-linear #param-epochs").value = "15"
    await pilot.press("ctrl+r")


async def run_the_first_experiment(app, pilot) -> None:
    """From the Path tab: step 3, whose prediction is asked (and answered) first."""
    app.screen.action_tab("tab-path")
    app.screen.query_one("#path").steps_list.index = 2
    await pilot.press("enter")
    await pilot.pause(0.5)
    await pilot.press("a")


async def back_to_the_path(app, pilot) -> None:
    """The step marked done and its claims shown."""
    await pilot.press("p")
    await pilot.pause(0.5)


async def main() -> None:
    os.environ["WORKBENCH_LANG"] = "en"
    for size, out in SHOTS.items():
        await shoot(size, out, run_from_the_form)
    for lang, out in PATH_SHOTS.items():  # the path in each language the app speaks
        os.environ["WORKBENCH_LANG"] = lang
        await shoot((100, 30), out, run_the_first_experiment, then=back_to_the_path)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        here = Path.cwd()
        os.chdir(folder)  # the run saves into <tmp>/saved_models
        os.environ["WORKBENCH_CONFIG_DIR"] = folder  # the learner's own choices stay theirs
        try:
            asyncio.run(main())
        finally:
            os.chdir(here)
