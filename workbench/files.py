"""Files written whole or not at all: models, pictures, the learner's stubs, preferences.

Each is written to a temporary file beside its target (`.<stem>.<pid>-<random>.partial<suffix>`,
hidden, so `list_models` and a folder listing pass over it) and renamed over the target
only once complete: Ctrl+C or a crash mid-write leaves the old file as it was. A writer
killed mid-write (kill -9, power) leaves its temporary file; the next write into the
folder removes those whose process has ended.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import time
from pathlib import Path
from typing import Iterator


@contextlib.contextmanager
def replacing(path: Path, suffix: str | None = None) -> Iterator[Path]:
    """A temporary path beside `path` for the block to write; renamed over `path` when
    the block ends, removed if it raises (KeyboardInterrupt included). It ends in `suffix`
    (default: `path`'s), as Keras, PIL and matplotlib choose their format by it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_partials(path.parent)
    suffix = path.suffix if suffix is None else suffix
    while True:
        temporary = path.with_name(f".{path.stem}.{os.getpid()}-{secrets.token_hex(4)}.partial{suffix}")
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


_PARTIAL = re.compile(r"^\..+\.(?:(?P<pid>\d+)-)?[0-9a-f]{8}\.partial(\.[^.]+)?$")
_UNOWNED_AGE_S = 3600  # a partial file named before writers put their pid in it


def remove_stale_partials(folder: Path) -> list[Path]:
    """The temporary files in `folder` of writers that are gone, removed; the paths."""
    removed = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = _PARTIAL.match(entry.name)
        if not match:
            continue
        try:
            stale = (not _alive(int(match["pid"])) if match["pid"]
                     else time.time() - entry.stat().st_mtime > _UNOWNED_AGE_S)
            if stale and entry.is_file():
                entry.unlink()
                removed.append(entry)
        except OSError:
            continue  # another cleaner got there first, or we may not: not ours to force
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # someone else's process: alive
    return True
