"""The numbers in the notes' section on search against the gradient, from a run of
`method=compare` on the digits, beside the figures the lecture notes give for CIFAR-10.

`python -m lessons.linear.figures` rewrites the block between the `figures` markers in
notes.md and notes.zh.md; a test fails when it is stale. Times are left out: they belong
to the machine, not to the lesson (the run reports its own).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Mapping

from workbench.authoring import percent, run_metrics, table, update

NOTES = Path(__file__).with_name("notes.md")

# The lecture notes' CIFAR-10 accuracies (section 3, "最优化"): 1000 random W with the SVM
# loss, and 1000 steps of random local search.
LECTURE = {"random_search": "15.5%", "local_search": "21.4%"}
NAMES = {"random_search": "random search", "local_search": "random local search"}


def compare_run() -> Mapping[str, Any]:
    """The metrics of `workbench run linear --set method=compare`, at its defaults."""
    return run_metrics("linear", method="compare")


def _order_above(x: float) -> str:
    """The power of ten just above x ("1e-08" for 4.2e-09): the figure's order, which the
    rounding of another machine's arithmetic does not change."""
    return f"{10.0 ** math.ceil(math.log10(x)):.0e}"


def render(metrics: Mapping[str, Any] | None = None) -> str:
    m = compare_run() if metrics is None else metrics
    rows = [(NAMES[method], f"{m[f'{method}_evaluations']:,} loss evaluations",
             f"{m[f'{method}_best_loss']:.3f}", percent(m[f"{method}_test_accuracy"]),
             LECTURE[method])
            for method in ("random_search", "local_search")]
    rows.append(("following the gradient (the lesson's Keras run)",
                 "50 epochs of minibatch steps", f"{m['final_loss']:.3f}",
                 percent(m["test_accuracy"]), "no figure given"))
    rows.append(("chance: one class of 10 at random", "", "", percent(m["chance_accuracy"]),
                 "10.0%"))
    entries = m["gradient_entries"]
    return "\n".join([
        "### Search against the gradient, recomputed on the digits",
        "",
        table(("method", "effort", "training loss (softmax)", "test accuracy, digits (ours)",
               "test accuracy, CIFAR-10 (the lecture notes)"), rows),
        "",
        f"One numeric gradient of this W ({entries:,} entries: 64 pixels and a bias, times 10 "
        f"classes) costs {2 * entries:,} loss evaluations; one analytic gradient costs about "
        f"one evaluation and its backward pass. They agree to a relative error below "
        f"{_order_above(m['gradient_rel_error'])} (float64, the loss over the first "
        f"{m['gradient_samples']:,} training images).",
    ])


if __name__ == "__main__":
    update(NOTES, render)
