"""How numbers, metrics and errors are written, the same in the CLI and in the app."""

from __future__ import annotations

import errno
import re
from typing import Any, Iterator, Mapping

from workbench.errors import WorkbenchError

_NO_SPACE = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))


def disk_full(exc: BaseException | None) -> OSError | bool:
    """Whether `exc` (or an exception it was raised from) is a full disk or quota: an
    OSError with ENOSPC (returned, for its file name), SQLite's SQLITE_FULL, or the words
    of the operating system that TensorFlow's file writers and HDF5 pass on."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in _NO_SPACE:
            return exc
        if getattr(exc, "sqlite_errorname", None) == "SQLITE_FULL" or "No space left on device" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def error_line(exc: BaseException) -> str:
    """The one line a failure is shown as: the CLI's stderr, the app's status line."""
    full = disk_full(exc) if not isinstance(exc, WorkbenchError) else False
    if full:
        where = getattr(full, "filename", None)
        return ("workbench: error: no space left on device" + (f" for {where}" if where else "")
                + " (free some space or use --models-dir)")
    if isinstance(exc, WorkbenchError):
        return f"workbench: {exc}" if exc.exit_code == 130 else f"workbench: error: {exc}"
    return (f"workbench: internal error: {type(exc).__name__}: {exc} "
            "(set WORKBENCH_DEBUG=1 for the traceback)")


def error_said(line: str) -> str:
    """What an `error_line` says, without the prefix it adds (a child's line, passed on)."""
    return line.removeprefix("workbench: error: ").removeprefix("workbench: ")


def json_safe(value: Any) -> Any:
    """`value` with every NaN and infinity as None: strict JSON has no such numbers, and
    `json.dumps` would write NaN and Infinity, which strict parsers reject."""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    if isinstance(value, dict):
        return {key: json_safe(v) for key, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def number(value: Any) -> str:
    """Four significant digits for floats, thousands separators for big integers."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    if isinstance(value, (list, tuple)):
        if len(value) > 6:  # per-epoch series (ResNet's twins): the curves show them whole
            return f"{number(value[0])} … {number(value[-1])} ({len(value)} values)"
        return ", ".join(number(v) for v in value)
    return str(value)


def numbers(values: Mapping[str, Any]) -> str:
    """`loss 0.1234  accuracy 0.9` for a line of live or per-epoch numbers."""
    return "  ".join(f"{name} {number(value)}" for name, value in values.items())


def epoch_line(epoch: int, logs: Mapping[str, float], series: str = "") -> str:
    return f"epoch {epoch}{f' ({series})' if series else ''}: {numbers(logs)}"


def metric_rows(metrics: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(name, shown value) per metric; nested dicts (kNN's timings) become dotted names."""
    for name, value in metrics.items():
        if isinstance(value, dict):
            yield from metric_rows(value, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", number(value)


_SET = re.compile(r"--set (\w+)=([^\s`]+)")
_SET_SPAN = re.compile(r"`(--set [^`]+)`")


def app_wording(text: str, markdown: bool = False) -> str:
    """Notes and logs say `--set k=1`, which is the CLI's way; in the app the same text
    names the form's field instead (`k = 1`). In Markdown only code spans that hold
    nothing but settings change, so the command examples in code blocks stay whole."""
    if markdown:
        return _SET_SPAN.sub(lambda span: "`" + app_wording(span.group(1)) + "`", text)
    return _SET.sub(r"\1 = \2", text)
