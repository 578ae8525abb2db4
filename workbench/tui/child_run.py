"""The app's runs across workers (`workbench --workers N`): the CLI's, in a child process.

TensorFlow joins a process to one cluster, and only before its runtime starts; the app's
process starts it at its first run and goes on to run many. So a run across workers is
`workbench run LESSON --distribute multiworker --workers N --json` in a child of its
own, with the request spelled out in full: its events reach the Run tab as it emits
them (a line each on its stderr), its result comes from its JSON, Cancel is Ctrl+C to
it, and its one-line error is the run's. The child records the run in the same history and saves where the app would.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from typing import Callable

from workbench.cli.main import EVENT_LINES_ENV
from workbench.drawing.numbers import error_said
from workbench.errors import Cancelled, WorkbenchError
from workbench.running.events import Event, from_line
from workbench.running.runner import Request, Result

STOP_GRACE_S = 10.0  # after Ctrl+C, for the child to stop its workers and say so


class ChildRunFailed(WorkbenchError):
    """The child run ended with an error: its own line."""


def knob_text(value) -> str:
    """A setting as `--set NAME=VALUE` takes it back (a list: comma-separated)."""
    if isinstance(value, (list, tuple)):
        return ",".join(knob_text(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def command(ready: Request, *, workers: int, models_dir, out=None, lang: str = "en") -> list[str]:
    """The CLI command that carries out `ready` across `workers` processes here."""
    args = [sys.executable, "-m", "workbench", "run", ready.lesson.id, "--json",
            "--distribute", "multiworker", "--workers", str(workers),
            "--dataset", ready.dataset, "--seed", str(ready.seed), "--lang", lang]
    for name, value in ready.settings.to_dict().items():
        args += ["--set", f"{name}={knob_text(value)}"]
    if ready.step is not None:
        args += ["--step", str(ready.step)]
    if models_dir is not None:
        args += ["--models-dir", str(models_dir)]
    if out is not None:
        args += ["--out", str(out)]
    return args


def run_in_child(ready: Request, *, workers: int, models_dir, out, lang: str,
                 cancel: threading.Event, on_event: Callable[[Event], None]) -> Result:
    """Carry out `ready` across workers in a child; each of its events to `on_event`.
    Cancelled when `cancel` is set (the child and its workers stopped); ChildRunFailed
    with the child's own line when it fails."""
    child = subprocess.Popen(command(ready, workers=workers, models_dir=models_dir, out=out,
                                     lang=lang),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             errors="replace", env={**os.environ, EVENT_LINES_ENV: "1"})
    lines: list[str] = []
    reader = threading.Thread(target=_read_lines, args=(child.stderr, lines, on_event), daemon=True)
    reader.start()
    stdout: list[str] = []
    printed = threading.Thread(target=lambda: stdout.append(child.stdout.read()), daemon=True)
    printed.start()
    try:
        while child.poll() is None:
            if cancel.wait(0.2):
                _interrupt(child)
                break
    finally:
        if child.poll() is None:  # the app is leaving mid-run: nothing may outlive it
            _interrupt(child)
    reader.join(timeout=5)
    printed.join(timeout=5)
    if cancel.is_set() or child.returncode == 130:
        raise Cancelled()
    if child.returncode != 0:
        said = next((line for line in reversed(lines) if line.strip()), "")
        raise ChildRunFailed(error_said(said)
                             or f"the run across workers ended with exit code {child.returncode}")
    return Result(**json.loads("".join(stdout)))


def _read_lines(stream, lines: list[str], on_event: Callable[[Event], None]) -> None:
    """The child's events to `on_event`; its other lines (an error) kept in `lines`."""
    for line in stream:
        line = line.rstrip("\n")
        try:
            event = from_line(line)
        except (ValueError, KeyError, TypeError):  # not one of ours after all: a line to keep
            event = None
        if event is not None:
            on_event(event)
        elif line.strip():
            lines.append(line)


def _interrupt(child: subprocess.Popen) -> None:
    """Ctrl+C to the child (it stops its workers and records the run as cancelled);
    killed if it has not ended after a grace."""
    try:
        child.send_signal(signal.SIGINT)
        child.wait(timeout=STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
    except ProcessLookupError:
        pass
