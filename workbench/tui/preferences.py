"""What the app remembers between launches (the language), in one small JSON file.

It lives in the platform's config folder (`platformdirs`), or in `$WORKBENCH_CONFIG_DIR`.
A missing or unreadable file means "nothing remembered": a preference is never worth an
error. Writes go to a temporary file first, so a crash never leaves half a file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from workbench import files

ENV = "WORKBENCH_CONFIG_DIR"
FILE = "preferences.json"


def path() -> Path:
    folder = os.environ.get(ENV)
    if not folder:
        from platformdirs import user_config_dir

        folder = user_config_dir("keras-workbench", appauthor=False)
    return Path(folder) / FILE


def load() -> dict[str, Any]:
    try:
        value = json.loads(path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def remember(**values: Any) -> None:
    """Merge `values` into the file; an unwritable folder is passed over in silence (the
    app still works, it just forgets)."""
    target = path()
    merged = {**load(), **values}
    try:
        files.write_text(target, json.dumps(merged, ensure_ascii=False, indent=1))
    except OSError:
        pass
