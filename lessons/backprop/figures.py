"""The numbers in the backprop notes' staged example, computed by the staged code.

`python -m lessons.backprop.figures` rewrites the block between the `figures` markers in
notes.md and notes.zh.md; a test fails when it is stale.
"""

from __future__ import annotations

from pathlib import Path

from lessons.backprop import staged
from lessons.backprop import STAGED_X, STAGED_Y
from workbench.authoring import table, update

NOTES = Path(__file__).with_name("notes.md")

FORMULAS = {"sigy": "sigmoid(y)", "num": "x + sigy", "sigx": "sigmoid(x)", "xpy": "x + y",
            "xpysqr": "xpy^2", "den": "sigx + xpysqr", "invden": "1 / den", "f": "num invden"}


def render() -> str:
    stages = staged.by_hand(STAGED_X, STAGED_Y)
    leaves, nodes = staged.graph_at(STAGED_X, STAGED_Y)
    rows = [(f"`{name}`", f"`{FORMULAS[name]}`", f"{stages[name]:.6g}", f"{stages['d' + name]:.6g}")
            for name in staged.STAGES]
    forks = [(name, " + ".join(f"{term:.6g} ({stage})" for stage, term in
                               staged.branches(nodes, leaves[name]).items()),
              f"{stages['d' + name]:.6g}") for name in ("x", "y")]
    return "\n\n".join([
        f"### The stages at x = {STAGED_X:g}, y = {STAGED_Y:g}",
        table(("stage", "computes", "forward value", "df / d stage"), rows),
        table(("input", "what its branches hand back", "df / d input"), forks),
    ])


if __name__ == "__main__":
    update(NOTES, render)
