"""How numbers, metrics and errors are written, the same in the CLI and in the app."""

from __future__ import annotations

import re
from typing import Any, Iterator, Mapping

from workbench.errors import WorkbenchError


def error_line(exc: BaseException) -> str:
    """The one line a failure is shown as: the CLI's stderr, the app's status line."""
    if isinstance(exc, WorkbenchError):
        return f"workbench: {exc}" if exc.exit_code == 130 else f"workbench: error: {exc}"
    return (f"workbench: internal error: {type(exc).__name__}: {exc} "
            "(set WORKBENCH_DEBUG=1 for the traceback)")


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
