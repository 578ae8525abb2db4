"""Files written whole or not at all: models, pictures, the learner's stubs, preferences.

Each is written to a temporary file beside its target (`.<stem>.<random>.partial<suffix>`,
hidden, so `list_models` and a folder listing pass over it) and renamed over the target
only once complete: Ctrl+C or a crash mid-write leaves the old file as it was.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from typing import Iterator


@contextlib.contextmanager
def replacing(path: Path, suffix: str | None = None) -> Iterator[Path]:
    """A temporary path beside `path` for the block to write; renamed over `path` when
    the block ends, removed if it raises (KeyboardInterrupt included). It ends in `suffix`
    (default: `path`'s), as Keras, PIL and matplotlib choose their format by it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix if suffix is None else suffix
    while True:
        temporary = path.with_name(f".{path.stem}.{secrets.token_hex(4)}.partial{suffix}")
        try:  # created as open() would (mode 0o666 less the umask), unlike mkstemp's 0o600
            os.close(os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
            break
        except FileExistsError:
            continue
    try:
        yield temporary
        with open(temporary, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    """`text` (UTF-8) as the whole of `path`, atomically."""
    with replacing(path) as temporary:
        temporary.write_text(text, encoding="utf-8")
