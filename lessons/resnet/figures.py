"""The numbers in the residual lesson's notes, computed from the models.

`python -m lessons.resnet.figures` rewrites the block between the `figures` markers in
notes.md; a test fails when it is stale.
"""

from __future__ import annotations

from pathlib import Path

import keras

from lessons.resnet import blocks
from workbench.authoring import anatomy_of, architecture, human, of_model, shape_text, table, update

NOTES = Path(__file__).with_name("notes.md")

# What He et al. state: CIFAR parameter counts (Table 6) and ImageNet FLOPs (Table 1).
PAPER_PARAMS = {"resnet20": "0.27M", "resnet32": "0.46M", "resnet44": "0.66M", "resnet56": "0.85M",
                "resnet110": "1.7M"}
PAPER_FLOPS = {"resnet18": "1.8G", "resnet34": "3.6G", "resnet50": "3.8G", "resnet101": "7.6G",
               "resnet152": "11.3G"}


def depth_rows() -> list[tuple[str, ...]]:
    rows = []
    for name, paper in {**PAPER_PARAMS, **PAPER_FLOPS}.items():
        body, plain = anatomy_of(name), anatomy_of(name.replace("resnet", "plain"))
        arch = architecture(name)
        params_paper = paper if name in PAPER_PARAMS else ""
        flops_paper = paper if name in PAPER_FLOPS else ""
        rows.append((name, shape_text(arch.input_shape), params_paper,
                     f"{body.total_params:,}", f"{plain.total_params:,}", flops_paper,
                     human(body.total_macs)))
    return rows


def block_costs() -> list[tuple[str, ...]]:
    """The lecture's bottleneck example: a 28x28x256 input, basic block vs bottleneck."""
    rows = []
    for label, build, filters in (("basic: two 3x3 convs, 256 filters", blocks.basic_block, 256),
                                  ("bottleneck: 1x1 64, 3x3 64, 1x1 256", blocks.bottleneck_block, 64)):
        x = keras.Input((28, 28, 256))
        body = of_model(keras.Model(x, build(x, filters, name="b")))
        rows.append((label, f"{body.total_params:,}", f"{body.total_macs:,}"))
    return rows


def render() -> str:
    return "\n\n".join([
        "### Depths: the paper's figures and the models'",
        "Parameters with shortcuts and without (the plain twin lacks only the projection "
        "shortcuts' weights); multiply-accumulates of one forward pass, which the paper calls FLOPs.",
        table(("arch", "input", "paper: params", "params", "plain twin", "paper: FLOPs", "MACs"),
              depth_rows()),
        "### Why bottlenecks: one block on a 28x28x256 input",
        table(("block", "parameters", "MACs"), block_costs()),
    ])


if __name__ == "__main__":
    update(NOTES, render)
