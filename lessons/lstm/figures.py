"""The numbers in the LSTM lesson's notes about the five shapes, computed from the models.

`python -m lessons.lstm.figures` rewrites the block between the `figures` markers in
notes.md and notes.zh.md; a test fails when it is stale.
"""

from __future__ import annotations

from pathlib import Path

from lessons.lstm import shapes
from workbench.authoring import table, update

NOTES = Path(__file__).with_name("notes.md")


def layer_names(model) -> str:
    """The layers that give the model its shape, in order (input and embedding left out)."""
    shown = []
    for layer in model.layers[2:]:
        kind = type(layer).__name__
        if getattr(layer, "return_sequences", False):
            kind += " (return_sequences)"
        shown.append(f"`{kind}`")
    return " -> ".join(shown)


def shape_rows() -> list[tuple[str, ...]]:
    rows = []
    for shape in shapes.SHAPES:
        model = shape.build()
        rows.append((shape.name, shape.task, shapes.shape_text(model.input_shape),
                     shapes.shape_text(model.output_shape), layer_names(model),
                     f"{model.count_params():,}"))
    return rows


def render() -> str:
    return "\n\n".join([
        "### The five models",
        f"Digits enter as ids and are embedded in {shapes.EMBED} numbers; every LSTM has "
        f"{shapes.UNITS} units; N is the batch.",
        table(("shape", "task", "input", "output", "layers after the embedding", "parameters"),
              shape_rows()),
        f"The synced model on the reversal task can be right at most "
        f"{shapes.reading_bound():.2f} of the time.",
    ])


if __name__ == "__main__":
    update(NOTES, render)
