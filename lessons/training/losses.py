"""Experiment `losses`: losses beyond one label per image, as the notes' section on losses
lists them. Attribute classification (one sigmoid and binary cross-entropy per attribute,
against a softmax that names one), then regression with L2 against L1 on data with an
outlier, the fits checked against their closed forms (mean, median, least squares, the
least-absolute-deviations line)."""

from __future__ import annotations

from lessons.training import attributes, regression


def run(p, ctx) -> None:
    model, history = attributes.run(p, ctx)
    ctx.check_cancelled()
    regression.run(ctx, p.outlier)
    ctx.save(model, variant=p.experiment, history=history)
