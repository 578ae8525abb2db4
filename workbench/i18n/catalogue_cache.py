"""The .po catalogues' messages, kept parsed between launches.

Reading a .po file with Babel costs about 25 ms for the import (its header's dates bring
in `_strptime`) and a few ms a file; the Chinese app reads nine before its first frame.
The messages of each file are kept as JSON in the user's cache folder (platformdirs', or
`$WORKBENCH_CACHE_DIR`), with the file's size and modification time: a catalogue edited
since is parsed again, as Python's bytecode cache works. The .po file stays the only source
a translator or a lesson pack touches; the cache can be deleted at any time.

A cache that cannot be read or written is passed over in silence: it only saves time.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Callable

from workbench import files

ENV = "WORKBENCH_CACHE_DIR"
FORMAT = 1  # raised when the cached form changes, so older entries are parsed again


def folder() -> Path:
    chosen = os.environ.get(ENV)
    if not chosen:
        from platformdirs import user_cache_dir

        chosen = user_cache_dir("keras-workbench", appauthor=False)
    return Path(chosen) / "catalogues"


def messages(path: Path, parse: Callable[[Path], dict[str, str]]) -> dict[str, str]:
    """`parse(path)`, or what it gave last time if `path` has not changed since."""
    stat = path.stat()
    stamp = {"format": FORMAT, "source": str(path), "size": stat.st_size,
             "mtime_ns": stat.st_mtime_ns}
    entry = folder() / f"{hashlib.sha256(str(path).encode()).hexdigest()[:24]}.json"
    try:
        cached = json.loads(entry.read_text(encoding="utf-8"))
        if cached.get("stamp") == stamp and isinstance(cached.get("messages"), dict):
            return cached["messages"]
    except (OSError, ValueError, AttributeError):
        pass
    parsed = parse(path)
    try:
        files.write_text(entry, json.dumps({"stamp": stamp, "messages": parsed}, ensure_ascii=False))
    except OSError:
        pass
    return parsed
