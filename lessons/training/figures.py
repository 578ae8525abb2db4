"""The numbers in the notes' section on losses beyond one label, from a run of
`experiment=losses` at its defaults.

`python -m lessons.training.figures` rewrites the block between the `figures` markers in
notes.md and notes.zh.md; a test fails when it is stale. The lecture notes give no figure
here (only the remark that L2 is harder to optimise and more fragile than a softmax), so
there is nothing of theirs to set beside ours.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from lessons.training.regression import OUTLIER, POINTS
from workbench.authoring import percent, run_metrics, table, update

NOTES = Path(__file__).with_name("notes.md")


def losses_run() -> Mapping[str, Any]:
    """The metrics of `workbench run training --set experiment=losses`, at its defaults."""
    return run_metrics("training", experiment="losses")


def _line(w) -> str:
    return f"{w[0]:.3f} + {w[1]:.3f} x"


def attribute_rows(m: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    rows = [("every attribute right (exact match)", percent(m["attribute_sigmoid_exact_match"]),
             percent(m["attribute_softmax_exact_match"]))]
    rows += [(name, percent(m["attribute_sigmoid_accuracy"][name]),
              percent(m["attribute_softmax_accuracy"][name]))
             for name in m["attribute_sigmoid_accuracy"]]
    rows.append(("most attributes said for one image", str(m["attribute_sigmoid_most_said"]),
                 str(m["attribute_softmax_most_said"])))
    rows.append(("test images with two or more attributes; the softmax's ceiling", "",
                 f"{percent(m['attribute_test_with_several'])}; "
                 f"{percent(m['attribute_softmax_ceiling'])}"))
    return rows


def regression_rows(m: Mapping[str, Any]) -> list[tuple[str, str, str, str]]:
    return [
        ("constant, with the outlier", f"{m['l2_constant_fit']:.3f}", f"{m['l1_constant_fit']:.3f}",
         f"mean {m['data_mean']:.3f}, median {m['data_median']:.3f}"),
        ("constant, without it", f"{m['l2_constant_fit_clean']:.3f}",
         f"{m['l1_constant_fit_clean']:.3f}", ""),
        ("how far the outlier moved the constant", f"{m['l2_outlier_pull']:.3f}",
         f"{m['l1_outlier_pull']:.3f}", f"{OUTLIER:g}/{POINTS} = {OUTLIER / POINTS:.3f} for the mean"),
        ("line, with the outlier", _line(m["l2_line_fit"]), _line(m["l1_line_fit"]),
         f"lstsq {_line(m['least_squares_line'])}; exact L1 {_line(m['least_absolute_line'])}"),
        ("how far the outlier moved the line (most, over 0..10)", f"{m['l2_line_outlier_pull']:.3f}",
         f"{m['l1_line_outlier_pull']:.3f}", ""),
        ("the outlier's share of the gradient at the clean constant",
         percent(m["l2_outlier_gradient_share"]), percent(m["l1_outlier_gradient_share"]),
         f"L1: 1/{POINTS} = {percent(1 / POINTS)}, like every point"),
    ]


def render(m: Mapping[str, Any]) -> str:
    return "\n\n".join([
        table(("digits' test split", "a sigmoid per attribute", "a softmax that names one"),
              attribute_rows(m)),
        table((f"{POINTS} points, one moved {OUTLIER:g} up", "L2", "L1", "closed form"), regression_rows(m)),
    ])


if __name__ == "__main__":
    metrics = losses_run()
    update(NOTES, lambda: render(metrics))
