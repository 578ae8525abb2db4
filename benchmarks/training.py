"""The training lesson: each experiment's default run against its budget of 60 s on two
cores, after TensorFlow has loaded (imported once, before the first run is timed)."""

from __future__ import annotations

import tempfile
import time

from benchmarks.common import Row

BUDGET_S = 60.0


def measure(quick: bool) -> list[Row]:
    import workbench
    from lessons.training.experiments import EXPERIMENTS
    from workbench.running.quiet import import_tensorflow

    import_tensorflow()
    rows = []
    # --quick times the two lightest; the full run every experiment at its defaults.
    chosen = ("preprocessing", "optimizers") if quick else tuple(EXPERIMENTS)
    for experiment in chosen:
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            workbench.run("training", experiment=experiment, models_dir=folder)
            seconds = time.perf_counter() - started
        rows.append(Row(f"training: {experiment}, default run", seconds, "s", "run",
                        alternative=BUDGET_S, alternative_label="budget", higher_is_better=False,
                        budget=1.0))
    return rows
