"""The two tasks of the lesson, both cut from one dataset: the source task the backbone
learns (classes 0-4: digits 0-4, or t-shirt to coat on Fashion-MNIST; every training
image) and the new task it is reused for (classes 5-9, only a few labelled images each)."""

from __future__ import annotations

import numpy as np

SOURCE, TARGET = (0, 1, 2, 3, 4), (5, 6, 7, 8, 9)


def task(x: np.ndarray, y: np.ndarray, classes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The images of `classes`, relabelled 0..len(classes)-1 in that order."""
    keep = np.isin(y, classes)
    relabel = {c: i for i, c in enumerate(classes)}
    return x[keep], np.array([relabel[c] for c in y[keep]], dtype=np.int64)


def named(class_names: tuple[str, ...], classes: tuple[int, ...]) -> str:
    """"digits 0-4" for the digits; the names themselves otherwise ("sandal, shirt, ...")."""
    names = [class_names[c] for c in classes]
    if all(name.isdigit() for name in names):
        return f"digits {names[0]}-{names[-1]}"
    return ", ".join(names)


def few_shot(x: np.ndarray, y: np.ndarray, per_class: int, rng: np.random.Generator):
    """`per_class` images of each label, drawn at random, kept in their original order.
    The draw for a larger `per_class` does not contain the smaller one: each point of the
    curve is its own draw."""
    order = rng.permutation(len(y))
    labels = np.unique(y)
    short = [int(c) for c in labels if np.sum(y == c) < per_class]
    if short:
        raise ValueError(f"only {min(np.sum(y == c) for c in short)} images of some digits; "
                         f"{per_class} per class asked")
    chosen = np.sort(np.concatenate([order[y[order] == c][:per_class] for c in labels]))
    return x[chosen], y[chosen]
