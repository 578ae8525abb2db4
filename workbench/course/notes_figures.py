"""Figures in lesson notes, generated from code and kept fresh by a test.

A lesson's notes.md (and notes.zh.md) holds a block between the `figures` markers; the
lesson's `figures.py` renders it from the models themselves, once for both languages.
`python -m lessons.<id>.figures` rewrites the block in both files; a test compares them
with a fresh rendering, so neither can quote a number the code no longer gives.
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


def percent(share: float) -> str:
    """0.906 as "90.6%": the precision a notes table quotes a share at."""
    return f"{100 * share:.1f}%"


def run_metrics(lesson_id: str, **settings) -> dict:
    """The metrics of `workbench run LESSON --set ...` at its seed, leaving no file, history
    row or TensorBoard log behind: what a notes table is rendered from."""
    import tempfile

    import workbench

    with tempfile.TemporaryDirectory() as folder:
        return workbench.run(lesson_id, models_dir=folder, record=False, tensorboard=False,
                             **settings).metrics


def with_figures(notes: str, figures: str) -> str:
    """`notes` with the block between the markers replaced by `figures`."""
    if BEGIN not in notes or END not in notes:
        raise ValueError(f"notes have no {BEGIN} ... {END} block")
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    return pattern.sub(lambda _: f"{BEGIN}\n{figures}\n{END}", notes)


def both_languages(notes_path: Path) -> list[Path]:
    """notes.md and, where the lesson has one, notes.zh.md: one rendering, shown in both."""
    chinese = notes_path.with_name("notes.zh.md")
    return [notes_path, chinese] if chinese.exists() else [notes_path]


def is_fresh(notes_path: Path, render: Callable[[], str]) -> bool:
    figures = render()
    texts = [path.read_text(encoding="utf-8") for path in both_languages(notes_path)]
    return all(with_figures(text, figures) == text for text in texts)


def update(notes_path: Path, render: Callable[[], str]) -> None:
    """Rewrite the figures block of `notes_path` (the `python -m` entry of a figures module)."""
    from workbench.running.quiet import import_tensorflow

    import_tensorflow()
    figures = render()
    for path in both_languages(notes_path):
        path.write_text(with_figures(path.read_text(encoding="utf-8"), figures), encoding="utf-8")
        print(f"updated {path}")
