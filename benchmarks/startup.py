"""Start-up: `workbench list` and the app's first paint vs `python -c "import tensorflow"`.

Each is a fresh child process, timed from launch by the parent, so interpreter start and
every import count, as they do for a learner. The front ends must not wait for
TensorFlow, which costs seconds to import; importing it is the yardstick.
"""

from __future__ import annotations

import atexit
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from benchmarks.common import Row

# The child prints PAINTED when Textual reports the first frame (events.Ready: "the DOM is
# ready and the first frame has been displayed"), headless.
FIRST_PAINT = """
import asyncio
import gc

gc.disable()  # as `workbench` does before it imports the app (workbench.cli.main)
from workbench.tui.app import WorkbenchApp


class Probe(WorkbenchApp):
    # Textual resolves CSS_PATH beside the file that defines the app's class; claiming
    # WorkbenchApp's module makes the probe load the app's own stylesheet.
    __module__ = WorkbenchApp.__module__

    def on_ready(self) -> None:  # runs besides any on_ready of the app: Textual walks the MRO
        print("PAINTED", flush=True)


async def main():
    async with Probe(models_dir=None).run_test(size=(120, 40)) as pilot:
        await pilot.pause()


asyncio.run(main())
"""
PAINTED = "PAINTED"

# The same quiet, deterministic environment for every child. Bytecode is cached for both
# sides alike, as an installed package runs: pip compiled TensorFlow's when it installed
# it, and Python compiles ours on its first launch; an environment that turns caching off
# (PYTHONDONTWRITEBYTECODE) would have ours compiled at every launch and TensorFlow's
# not. The cache is a folder of the benchmark's own (PYTHONPYCACHEPREFIX), filled by the
# warm-up launch of each side, so nothing is written beside the sources. So are the app's
# preferences (no lesson remembered: a new learner's first launch, whoever runs this) and
# its parsed catalogues (workbench.i18n.catalogue_cache, filled by the warm-up as well).
_SCRATCH = tempfile.mkdtemp(prefix="workbench-bench-start-up-")
atexit.register(shutil.rmtree, _SCRATCH, True)
_PYCACHE = os.path.join(_SCRATCH, "pycache")
os.mkdir(_PYCACHE)
_ENV = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
        "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPYCACHEPREFIX": _PYCACHE,
        "WORKBENCH_CONFIG_DIR": os.path.join(_SCRATCH, "config"),
        "WORKBENCH_CACHE_DIR": os.path.join(_SCRATCH, "cache")}


def child_seconds(args: list[str], until_line: str | None = None, env: dict | None = None) -> float:
    """Seconds from launching `python ARGS` to its exit, or to it printing `until_line`;
    `env`: variables set for this child over the benchmark's own."""
    with tempfile.TemporaryFile("w+") as err:  # a file, not a pipe: a chatty child never blocks
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE, stderr=err,
                                text=True, env={**_ENV, **(env or {})})
        seen_at = None
        if until_line is not None:
            for line in proc.stdout:
                if line.strip() == until_line:
                    seen_at = time.perf_counter()
                    proc.kill()  # what it does afterwards (the app loads TensorFlow) is not timed
                    break
        proc.communicate()
        ended = time.perf_counter()
        if seen_at is None and (proc.returncode != 0 or until_line is not None):
            err.seek(0)
            raise RuntimeError(f"python {' '.join(args)} failed (exit {proc.returncode}, "
                               f"{until_line or 'exit'} not reached):\n{err.read()[-2000:]}")
    return (seen_at or ended) - started


def median_child_seconds(args: list[str], repeats: int, until_line: str | None = None,
                         env: dict | None = None) -> float:
    child_seconds(args, until_line, env)  # warm the OS file cache and the bytecode, as any second launch is
    return statistics.median(child_seconds(args, until_line, env) for _ in range(repeats))


def measure(quick: bool) -> list[Row]:
    repeats = 3 if quick else 7
    tensorflow = median_child_seconds(["-c", "import tensorflow"], repeats)
    listing = median_child_seconds(["-m", "workbench", "list"], repeats)
    # In each language: the Chinese app reads its catalogues and breaks lines its own way.
    painted = {lang: median_child_seconds(["-c", FIRST_PAINT], repeats, until_line=PAINTED,
                                          env={"WORKBENCH_LANG": lang})
               for lang in ("en", "zh")}
    alternative = {"alternative": tensorflow, "alternative_label": 'python -c "import tensorflow"',
                   "higher_is_better": False}
    return [
        Row("start-up: `workbench list`", listing, "s", "python -m workbench list", budget=4.0,
            **alternative),
        Row("start-up: the app's first frame (headless)", painted["en"], "s",
            "WorkbenchApp via run_test, in English", budget=10.0, **alternative),
        Row("start-up: the app's first frame, in Chinese", painted["zh"], "s",
            "WorkbenchApp via run_test, --lang zh", budget=10.0, **alternative),
    ]
