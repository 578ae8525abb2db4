"""Figures in lesson notes, generated from code and kept fresh by a test.

A lesson's notes.md holds a block between the `figures` markers; the lesson's
`figures.py` renders it from the models themselves. `python -m lessons.<id>.figures`
rewrites the block; a test compares the file with a fresh rendering, so the notes
can never quote a number the code no longer gives.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable, Iterable, Sequence

BEGIN, END = "<!-- figures:begin -->", "<!-- figures:end -->"


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def with_figures(notes: str, figures: str) -> str:
    """`notes` with the block between the markers replaced by `figures`."""
    if BEGIN not in notes or END not in notes:
        raise ValueError(f"notes have no {BEGIN} ... {END} block")
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    return pattern.sub(lambda _: f"{BEGIN}\n{figures}\n{END}", notes)


def is_fresh(notes_path: Path, render: Callable[[], str]) -> bool:
    text = notes_path.read_text(encoding="utf-8")
    return with_figures(text, render()) == text


def update(notes_path: Path, render: Callable[[], str]) -> None:
    """Rewrite the figures block of `notes_path` (the `python -m` entry of a figures module)."""
    from workbench.quiet import import_tensorflow

    import_tensorflow()
    text = notes_path.read_text(encoding="utf-8")
    notes_path.write_text(with_figures(text, render()), encoding="utf-8")
    print(f"updated {notes_path}")
