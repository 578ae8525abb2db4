"""The learner's functions, run in a process of their own and called from here.

`Sandbox(path, names)` starts `workbench.course.sandbox_child` on the learner's file and
hands out `LearnerFunction`s: callables that send their arguments to the child on a
private pipe and return what the learner's function returned there (arguments it changed
in place are changed here too). What comes back is data only (`wire`), and the workbench
judges it, so the learner's code can compute a wrong answer but cannot declare a verdict.

The child runs in a fresh, empty working folder (relative paths touch nothing of the
learner's), in a session of its own with a hard memory limit; when the sandbox closes,
every process the learner's code started is ended with it, even one that left the session.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
import weakref
from pathlib import Path
from typing import Any, Sequence

MEMORY_LIMIT_BYTES = 4 << 30  # address space for the NumPy exercises
# TensorFlow's import alone reserves about 2 GiB of address space on the CPU; the GPU's
# driver far more, so the sandbox never sees a GPU (the exercises' models are tiny).
KERAS_MEMORY_LIMIT_BYTES = 8 << 30
TOKEN_ENV = "WORKBENCH_SANDBOX"  # marks every process of one sandbox, to end them all
OUTPUT_TAIL_LINES = 5


class SandboxFault(Exception):
    """The learner's code did not give an answer; the message says why, for the learner."""


class NotWritten(SandboxFault, NotImplementedError):
    def __init__(self) -> None:
        super().__init__("not written yet: the body still raises NotImplementedError")


class LearnerRaised(SandboxFault):
    """The learner's function raised `type_name`; the message holds their lines of the traceback."""

    def __init__(self, message: str, type_name: str = ""):
        super().__init__(message)
        self.type_name = type_name


class TimedOut(SandboxFault):
    pass


class Missing(SandboxFault):
    pass


class Sandbox:
    def __init__(self, path: str | os.PathLike, names: Sequence[str], *, lesson: str | None = None,
                 keras: bool = False, timeout: float = 30.0, per_call: bool = False):
        """`timeout`: seconds the learner's code may take in all (`per_call`: in each call)."""
        self.path = Path(path).resolve()
        self.timeout, self.per_call = timeout, per_call
        self.left = timeout
        self.scratch = Path(tempfile.mkdtemp(prefix="workbench-sandbox-"))
        self.token = uuid.uuid4().hex
        requests_read, self._requests = os.pipe()
        self._answers, answers_write = os.pipe()
        command = [sys.executable, "-m", "workbench.course.sandbox_child", "--file", str(self.path),
                   "--names", ",".join(names), "--requests", str(requests_read),
                   "--responses", str(answers_write)]
        command += ["--lesson", lesson] if lesson else []
        self.memory = KERAS_MEMORY_LIMIT_BYTES if keras else MEMORY_LIMIT_BYTES
        command += ["--memory", str(self.memory)] + (["--keras"] if keras else [])
        env = {**os.environ, TOKEN_ENV: self.token, "PYTHONDONTWRITEBYTECODE": "1",
               "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "-1"}
        self._log = self.scratch / "output.txt"
        with open(self._log, "wb") as log:
            self.process = subprocess.Popen(command, cwd=self.scratch, env=env, stdin=subprocess.DEVNULL,
                                            stdout=log, stderr=subprocess.STDOUT,
                                            pass_fds=(requests_read, answers_write),
                                            start_new_session=True)
        os.close(requests_read)
        os.close(answers_write)
        os.set_blocking(self._requests, False)
        self._finalizer = weakref.finalize(self, _end, self.process, self.token, self.scratch,
                                           (self._requests, self._answers))
        self._spawned = time.monotonic()
        self.found: set[str] | None = None  # known once the file has imported (`ready`)

    def ready(self) -> "Sandbox":
        """Waits for the file's import, within `timeout` of the start: SandboxFault if it
        raised, TimedOut if it is still importing. Started early, a sandbox imports while
        the workbench does other work (the previous lesson's checks, its own imports)."""
        if self.found is None:
            try:
                self.left = self.timeout - (time.monotonic() - self._spawned)
                hello = self._answer(time.monotonic())
            except BaseException:
                self.close()
                raise
            if not isinstance(hello.get("ready"), list):
                raise self._garbled("no greeting")
            self.found = set(hello["ready"])
            self.left = self.timeout  # the import had its own; the calls get theirs
        return self

    def allow(self, seconds: float) -> None:
        """A fresh time budget: the next exercise's."""
        self.timeout = self.left = seconds

    @property
    def closed(self) -> bool:
        return not self._finalizer.alive

    def function(self, name: str, *, harness: bool = False) -> "LearnerFunction":
        if name not in self.ready().found:
            raise Missing(f"{self.path.name} has no function named {name}")
        return LearnerFunction(self, name, harness)

    def call(self, name: str, args: tuple, kwargs: dict, *, harness: bool = False) -> Any:
        from workbench.course import wire  # NumPy: not before the app's first frame

        started = time.monotonic()
        if self.per_call:
            self.left = self.timeout
        frame = wire.encode({"name": name, "harness": harness, "args": list(args), "kwargs": kwargs})
        self._write(frame, started + self.left)
        answer = self._answer(started)
        changed = answer.get("changed")
        if "returned" not in answer or not isinstance(changed, dict) or not all(
                (key.isdigit() and int(key) < len(args)) or key in kwargs for key in changed):
            raise self._garbled("an answer that is not one")
        for key, value in changed.items():
            _mirror(args[int(key)] if key.isdigit() else kwargs[key], value)
        return answer["returned"]

    def _write(self, data: bytes, deadline: float) -> None:
        import select

        view = memoryview(data)
        while view:
            if not select.select([], [self._requests], [], max(0.0, deadline - time.monotonic()))[1]:
                self._fail_timeout()
            try:
                written = os.write(self._requests, view[:1 << 20])
            except BlockingIOError:
                continue
            except BrokenPipeError:
                raise self._died() from None
            view = view[written:]

    def _answer(self, started: float) -> dict:
        from workbench.course import wire

        try:
            answer = wire.receive(self._answers, started + self.left)
        except TimeoutError:
            self._fail_timeout()
        except EOFError:
            raise self._died() from None
        except wire.Malformed as exc:
            raise self._garbled(str(exc)) from None
        finally:
            self.left -= time.monotonic() - started
        if not isinstance(answer, dict):
            raise self._garbled(type(answer).__name__)
        if "raised" in answer:
            raise _raised(answer["raised"], self.memory)
        return answer

    def _garbled(self, what: str) -> SandboxFault:
        self.close()  # what comes next on the pipe cannot be trusted to be in step
        return SandboxFault(f"the process running your code sent back something that is not an "
                            f"answer ({what}); does your code write to file descriptors it did not open?")

    def _fail_timeout(self):
        self.close()
        raise TimedOut(f"still running after {self.timeout:g} s (an endless loop?); stopped")

    def _died(self) -> SandboxFault:
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        tail = self.output_tail()
        self.close()
        how = (f"killed by signal {-code}" + (" (out of memory?)" if code == -signal.SIGKILL else "")
               if code is not None and code < 0 else f"exit code {code}")
        said = f"; its last output:\n{tail}" if tail else ""
        return SandboxFault(f"the process running your code ended before answering ({how}): "
                            f"the code ended it (os._exit?) or crashed{said}")

    def output_tail(self) -> str:
        try:
            lines = self._log.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-OUTPUT_TAIL_LINES:])

    def close(self) -> None:
        self._finalizer()

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class LearnerFunction:
    """A learner's function, called in the sandbox as if it were here."""

    def __init__(self, sandbox: Sandbox, name: str, harness: bool):
        self.sandbox, self.__name__, self.harness = sandbox, name, harness

    @property
    def source_file(self) -> Path:
        return self.sandbox.path

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.sandbox.call(self.__name__, args, kwargs, harness=self.harness)

    def __repr__(self) -> str:
        return f"<your {self.__name__} in {self.sandbox.path.name}>"


def _raised(raised: Any, memory: int) -> SandboxFault:
    kind = raised.get("kind") if isinstance(raised, dict) else None
    if kind == "todo":
        return NotWritten()
    if kind == "exit":
        return LearnerRaised(f"the code called sys.exit({raised.get('code')}); a function should return",
                             "SystemExit")
    if kind == "memory":
        return LearnerRaised(f"ran out of memory (more than {memory >> 30} GiB asked for): "
                             f"look for a huge array", "MemoryError")
    if kind == "error":
        return LearnerRaised(str(raised.get("message", "")), str(raised.get("type", "")))
    return SandboxFault("the process running your code sent back something that is not an answer")


def _mirror(original: Any, changed: Any) -> None:
    """What a call did to an argument in place, done to the caller's own object."""
    import numpy as np

    if isinstance(original, np.ndarray) and isinstance(changed, np.ndarray) and original.shape == changed.shape:
        original[...] = changed
    elif isinstance(original, dict) and isinstance(changed, dict):
        original.clear()
        original.update(changed)
    elif isinstance(original, list) and isinstance(changed, list):
        original[:] = changed
    elif isinstance(original, np.random.Generator) and isinstance(changed, np.random.Generator):
        original.bit_generator.state = changed.bit_generator.state


def _end(process: subprocess.Popen, token: str, scratch: Path, fds: tuple[int, ...]) -> None:
    """The child, everything it started (its session, and any process carrying its
    token that left it), its pipes and its folder."""
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, AttributeError):
        pass
    for pid in _carrying(token):
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass
    shutil.rmtree(scratch, ignore_errors=True)


def _carrying(token: str) -> list[int]:
    """Processes whose environment holds the sandbox's token (Linux's /proc; elsewhere none)."""
    marker = f"{TOKEN_ENV}={token}".encode()
    pids = []
    for entry in Path("/proc").glob("[0-9]*") if Path("/proc/self/environ").exists() else ():
        try:
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                pids.append(int(entry.name))
        except (OSError, ValueError):
            continue
    return pids
