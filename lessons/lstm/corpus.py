"""Text in, integer sequences out: the character-level language-modelling data.

Light to import (no TensorFlow): the lesson's parameter check reads the corpus before
any model is built, so a bad file is refused before the learner waits for anything.
"""

from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.authoring import BadInput

if TYPE_CHECKING:  # NumPy comes with encode: the lesson's declaration, which imports this
    import numpy as np  # module, is read before the app's first frame

BUILTIN = "pydoc"  # the English prose of Python's own help topics: on every machine, offline
VALIDATION_FRACTION = 0.1


@dataclass(frozen=True)
class Corpus:
    name: str
    text: str
    vocabulary: str  # every character of the text, sorted; position = id

    def encode(self, text: str) -> np.ndarray:
        import numpy as np

        index = {c: i for i, c in enumerate(self.vocabulary)}
        return np.fromiter((index[c] for c in text), dtype="int32", count=len(text))


@functools.cache
def _builtin_text() -> str:
    from pydoc_data.topics import topics

    return "\n\n".join(topics[name].strip() for name in sorted(topics))


@functools.lru_cache(maxsize=4)
def _read(path: str, _mtime: float) -> str:
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput(f"corpus {path!r} is not UTF-8 text (byte {exc.start} cannot be decoded)") from None
    if "\x00" in text:
        raise BadInput(f"corpus {path!r} is not text (it contains NUL bytes)")
    return text


def load(source: str, max_chars: int = 0) -> Corpus:
    """The corpus named by `source` (a file path or "pydoc"), cut to `max_chars` (0: all)."""
    if source == BUILTIN:
        text = _builtin_text()
    else:
        path = os.path.expanduser(source)
        if not os.path.exists(path):
            raise BadInput(f"corpus {source!r} does not exist")
        if os.path.isdir(path):
            raise BadInput(f"corpus {source!r} is a folder; name a UTF-8 text file")
        text = _read(path, os.path.getmtime(path))
    if not text.strip():
        raise BadInput(f"corpus {source!r} is empty")
    if max_chars:
        text = text[:max_chars]
    return Corpus(source, text, "".join(sorted(set(text))))


def check_long_enough(corpus: Corpus, seq_len: int) -> None:
    """Training and validation each need at least one window of seq_len + 1 characters."""
    needed = int(math.ceil((seq_len + 1) / VALIDATION_FRACTION))
    if len(corpus.text) < needed:
        raise BadInput(f"corpus {corpus.name!r} has {len(corpus.text)} characters; seq_len={seq_len} "
                       f"needs at least {needed} (one sequence of {seq_len + 1} for validation, "
                       "nine times that for training)")


def windows(ids: np.ndarray, seq_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Cut ids into non-overlapping windows; the target is the input shifted by one.

    Input  x = c[t .. t+seq_len-1], target y = c[t+1 .. t+seq_len]: at every position the
    model predicts the next character. Gradients flow back at most seq_len steps, which
    is truncated backpropagation through time.
    """
    count = (len(ids) - 1) // seq_len
    x = ids[: count * seq_len].reshape(count, seq_len)
    y = ids[1: count * seq_len + 1].reshape(count, seq_len)
    return x, y


def split(corpus: Corpus, seq_len: int):
    """(x_train, y_train, x_val, y_val): the last tenth of the text is held out."""
    ids = corpus.encode(corpus.text)
    cut = int(len(ids) * (1 - VALIDATION_FRACTION))
    return (*windows(ids[:cut], seq_len), *windows(ids[cut:], seq_len))
