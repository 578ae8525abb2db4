"""The processes of a multi-worker run: which one this is, and the local workers it starts.

`--distribute multiworker` with `TF_CONFIG` set joins a cluster someone else describes
(each machine runs the same command; `task` says which worker this one is). With
`--workers N` this process describes one on localhost instead: it is worker 0, the chief,
and starts workers 1..N-1 as child processes (`python -m workbench.running.worker`),
each told the run by `WORKBENCH_WORKER_RUN` and its place by its own `TF_CONFIG`.

What can go wrong is the point of most of this module:
- a port picked free can be taken before TensorFlow binds it (TensorFlow's gRPC server
  will not share one, so it cannot be held for it). So the workers start TensorFlow
  first and wait; only then are the ports picked and sent to them on stdin, each binds
  at once, and the chief binds its own once theirs listen. A port lost all the same
  starts the cluster again on fresh ports, a few times;
- making the strategy waits until every process of the cluster has joined, and cannot
  be interrupted: the chief makes its strategy in a thread of its own and gives up, with
  the worker's last line, when a worker dies meanwhile;
- a worker that dies leaves the others waiting in an all-reduce for ever: the chief
  watches every worker, and on a death ends its own collective ops (`on_failure`), so
  the run fails at once with the worker's last line on stderr;
- Ctrl+C reaches the chief alone (the workers run in sessions of their own) and every
  worker is stopped when the chief leaves the run, however it leaves; a worker whose
  chief has gone stops by itself (workbench.running.worker).
"""

from __future__ import annotations

import collections
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from workbench.drawing.numbers import error_said
from workbench.errors import BadInput, WorkbenchError

RUN_ENV = "WORKBENCH_WORKER_RUN"  # the run a local worker carries out, as JSON
LOG_ENV = "WORKBENCH_WORKER_LOG"  # where a local worker's native stderr goes
WAITING = "workbench-worker: waiting"  # a worker's stdout line: TensorFlow is loaded, send TF_CONFIG
PORT_TAKEN = "Could not start gRPC server"  # TensorFlow's words for a port in use
START_TRIES = 4
START_TIMEOUT_S = 300.0  # a worker imports TensorFlow and checks the run before it waits
BIND_TIMEOUT_S = 60.0  # from TF_CONFIG sent to a worker's port listening
JOIN_TIMEOUT_S = 300.0  # for the chief's strategy: every process joining the cluster
FINISH_TIMEOUT_S = 300.0  # after the chief's training, for the workers to end theirs
STOP_GRACE_S = 3.0
READ_TO_END_S = 2.0  # for an ended worker's pipes to be read to their end


class WorkerFailed(WorkbenchError):
    """A worker of the run died, could not start, or did not finish; nothing was saved."""


@dataclass(frozen=True)
class Task:
    """This process's place in the cluster: `index` of `workers`; index 0 is the chief,
    which alone keeps the model, the run history and the TensorBoard logs."""

    workers: int
    index: int

    @property
    def chief(self) -> bool:
        return self.index == 0

    @property
    def name(self) -> str:
        return f"worker {self.index} of {self.workers}"


def joined_task(environ=os.environ) -> Task:
    """The task TF_CONFIG gives this process, or BadInput saying what is wrong with it.
    A cluster may name a "chief" beside its "worker"s (TensorFlow's own layout); it is
    then task 0 and the workers follow it."""
    text = environ.get("TF_CONFIG", "").strip()
    if not text:
        raise BadInput("--distribute multiworker needs --workers N (workers on this machine) "
                       "or TF_CONFIG describing the cluster to join")
    try:
        config = json.loads(text)
        cluster, task = config["cluster"], config["task"]
        chiefs, workers = list(cluster.get("chief", [])), list(cluster.get("worker", []))
        kind, index = task["type"], int(task["index"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BadInput(f"TF_CONFIG is not a cluster description ({type(exc).__name__}: {exc}); "
                       'expected {"cluster": {"worker": ["host:port", ...]}, '
                       '"task": {"type": "worker", "index": N}}') from None
    if len(chiefs) > 1 or not chiefs + workers:
        raise BadInput("TF_CONFIG's cluster needs at least one worker and at most one chief")
    if kind not in ("chief", "worker") or not 0 <= index < len(chiefs if kind == "chief" else workers):
        raise BadInput(f"TF_CONFIG's task {kind} {index} is not in its cluster "
                       "(the type must be chief or worker, the index one of its addresses)")
    return Task(len(chiefs) + len(workers), index if kind == "chief" else index + len(chiefs))


def task_of(cluster: "LocalCluster | Task") -> Task:
    """This process's task: the chief's of workers started here, or the one TF_CONFIG named."""
    return cluster.task if isinstance(cluster, LocalCluster) else cluster


def free_ports(count: int) -> list[int]:
    """`count` distinct ports free on localhost now (the kernel's choice)."""
    holders = []
    try:
        for _ in range(count):
            holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            holder.bind(("localhost", 0))
            holders.append(holder)
        return [holder.getsockname()[1] for holder in holders]
    finally:
        for holder in holders:
            holder.close()


def _listening(port: int, pid: int) -> bool:
    """Whether process `pid` listens on `port`; where /proc does not say (not Linux),
    whether anything does."""
    try:
        sockets = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
        tables = [Path(f"/proc/net/{name}").read_text().splitlines()[1:] for name in ("tcp", "tcp6")]
    except OSError:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.settimeout(0.5)
            return probe.connect_ex(("localhost", port)) == 0
    for table in tables:
        for row in table:  # sl local_address rem_address st ... inode
            fields = row.split()
            if (len(fields) > 9 and fields[3] == "0A"  # LISTEN
                    and int(fields[1].rsplit(":", 1)[1], 16) == port
                    and f"socket:[{fields[9]}]" in sockets):
                return True
    return False


def tf_config(ports: list[int], index: int) -> str:
    return json.dumps({"cluster": {"worker": [f"localhost:{port}" for port in ports]},
                       "task": {"type": "worker", "index": index}})


class Worker:
    """One child worker: its process, the last lines it wrote, whether it has bound its port."""

    def __init__(self, index: int, workers: int, command: list[str], env: dict[str, str],
                 native_log: Path):
        self.task = Task(workers, index)
        self.native_log = native_log
        self.waiting = threading.Event()
        self._lines: collections.deque[str] = collections.deque(maxlen=20)
        self.process = subprocess.Popen(command, env=env, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True, errors="replace", start_new_session=True)
        self._readers = [threading.Thread(target=self._read, args=(stream, keep), daemon=True)
                         for stream, keep in ((self.process.stdout, self._stdout),
                                              (self.process.stderr, self._stderr))]
        for reader in self._readers:
            reader.start()

    def _read(self, stream, keep: Callable[[str], None]) -> None:
        for line in stream:
            keep(line.rstrip("\n"))

    def _stdout(self, line: str) -> None:
        if line == WAITING:
            self.waiting.set()

    def send(self, config: str) -> None:
        """Its TF_CONFIG: the worker makes its strategy, and binds its port, at once."""
        try:
            self.process.stdin.write(config + "\n")
            self.process.stdin.flush()
        except OSError:  # it has died; its exit says why
            pass

    def _stderr(self, line: str) -> None:
        if line.strip():
            self._lines.append(line.strip())

    def _read_to_the_end(self) -> None:
        """Once the process has ended, its last lines may still be in the pipes: wait
        until the readers have met the pipes' end."""
        if self.process.poll() is not None:
            for reader in self._readers:
                reader.join(READ_TO_END_S)

    def last_line(self) -> str:
        """What the worker said last on stderr (its one-line error, as the CLI prints
        them), else the last line TensorFlow wrote natively (a crash), else nothing."""
        self._read_to_the_end()
        if self._lines:
            return error_said(self._lines[-1])
        try:
            native = [line for line in self.native_log.read_text(errors="replace").splitlines()
                      if line.strip()]
        except OSError:
            native = []
        return native[-1].strip() if native else ""

    def port_taken(self) -> bool:
        self._read_to_the_end()
        return any(PORT_TAKEN in line for line in self._lines)

    def ended(self) -> str:
        """How the process ended, in words: "exit code 1", "killed by SIGKILL"."""
        code = self.process.returncode
        if code is not None and code < 0:
            try:
                return f"killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exit code {code}"

    def failure(self, what: str) -> WorkerFailed:
        said = self.last_line()
        return WorkerFailed(f"{self.task.name} {what} ({self.ended()})"
                            + (f": {said}" if said else "") + "; nothing was saved")

    def stop(self) -> None:
        """SIGTERM to the worker's process group, SIGKILL to what is left after a grace."""
        for sig, wait in ((signal.SIGTERM, STOP_GRACE_S), (signal.SIGKILL, STOP_GRACE_S)):
            if self.process.poll() is not None:
                return
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                continue


class LocalCluster:
    """Workers 1..N-1 of a run on this machine; this process is worker 0, the chief.

    Used as a context manager around the whole run: entering sets this process's
    TF_CONFIG and starts the workers, leaving stops whatever still runs and restores
    TF_CONFIG. `strategy(make)` makes the chief's strategy once every worker has bound
    its port (starting them all again on fresh ports when one was taken); `watch`
    then reports a worker's death through `on_failure`, and `finish` waits for the
    workers to end their part after the chief's."""

    def __init__(self, workers: int, run: dict[str, Any]):
        self.task = Task(workers, 0)
        self.run = run
        self.workers: list[Worker] = []
        self.failure: WorkerFailed | None = None
        self._stopping = False
        self._previous_config: str | None = None
        self._folder: tempfile.TemporaryDirectory | None = None

    def __enter__(self) -> LocalCluster:
        self._previous_config = os.environ.get("TF_CONFIG")
        self._folder = tempfile.TemporaryDirectory(prefix="workbench-workers-")
        self._start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop_all()
        if self._previous_config is None:
            os.environ.pop("TF_CONFIG", None)
        else:
            os.environ["TF_CONFIG"] = self._previous_config
        self._folder.cleanup()

    # -- starting -----------------------------------------------------------------------
    def _start(self) -> None:
        base = {key: value for key, value in os.environ.items() if key != "TF_CONFIG"}
        base[RUN_ENV] = json.dumps(self.run)
        self._stopping = False
        self.workers = [
            Worker(i, self.task.workers, [sys.executable, "-m", "workbench.running.worker"],
                   {**base, LOG_ENV: str(self._log(i))}, self._log(i))
            for i in range(1, self.task.workers)]

    def _log(self, index: int) -> Path:
        return Path(self._folder.name) / f"worker-{index}.log"

    def _restart(self) -> None:
        self._stop_all()
        self._start()

    def _died(self, worker: Worker, what: str) -> bool:
        """False if `worker` is alive; True if it ended having lost its port (start
        again); WorkerFailed if it ended otherwise."""
        if worker.process.poll() is None:
            return False
        if worker.port_taken():
            return True
        raise worker.failure(what)

    def _until(self, worker: Worker, done: Callable[[], bool], timeout: float, what: str) -> bool:
        """Wait for `done()`; False when the worker lost its port meanwhile."""
        deadline = time.monotonic() + timeout
        while not done():
            if self._died(worker, "could not start"):
                return False
            if time.monotonic() > deadline:
                raise WorkerFailed(f"{worker.task.name} did not {what} within {timeout:.0f} s; "
                                   "nothing was saved")
            time.sleep(0.1)
        return True

    def _workers_bound(self) -> bool:
        """Every worker waiting, then told fresh ports, then listening on its own: True;
        False when one lost its port to another program on the way."""
        for worker in self.workers:
            self._until(worker, worker.waiting.is_set, START_TIMEOUT_S, "start")
        ports = free_ports(self.task.workers)
        os.environ["TF_CONFIG"] = tf_config(ports, 0)
        for worker, port in zip(self.workers, ports[1:]):
            worker.send(tf_config(ports, worker.task.index))
        return all(self._until(worker, lambda w=worker, port=port: _listening(port, w.process.pid),
                               BIND_TIMEOUT_S, "open its port")
                   for worker, port in zip(self.workers, ports[1:]))

    def strategy(self, make: Callable[[], Any]) -> Any:
        """`make()`, the chief's strategy, once the workers listen; a port lost to another
        program on the way: all again, on fresh ports. `make` waits for every worker to
        join, uninterruptibly, so it runs in a thread, and a worker's death ends the wait."""
        for _ in range(START_TRIES):
            if not self._workers_bound():
                self._restart()
                continue
            made: dict[str, Any] = {}

            def making() -> None:
                try:
                    made["strategy"] = make()
                except BaseException as exc:  # noqa: BLE001  (handed to the waiting thread)
                    made["error"] = exc

            maker = threading.Thread(target=making, daemon=True, name="workbench-cluster-join")
            maker.start()
            deadline = time.monotonic() + JOIN_TIMEOUT_S
            while maker.is_alive():
                maker.join(0.1)
                for worker in self.workers:
                    if self._died(worker, "failed"):  # its port went after all: it cannot join
                        raise worker.failure("could not start")
                if time.monotonic() > deadline:
                    raise WorkerFailed(f"the cluster did not form within {JOIN_TIMEOUT_S:.0f} s; "
                                       "nothing was saved")
            if "strategy" in made:
                return made["strategy"]
            if PORT_TAKEN not in str(made["error"]):
                raise made["error"]
            self._restart()  # the chief's own port was taken: TensorFlow lets it try again
        raise WorkerFailed(f"could not find {self.task.workers} free ports on localhost in "
                           f"{START_TRIES} tries: other programs took them first")

    # -- running ------------------------------------------------------------------------
    def watch(self, on_failure: Callable[[str], None]) -> None:
        """From now on, a worker that ends with an error (or a signal) before `finish`
        fails the run: `self.failure` says which and why, and `on_failure` is told."""
        def wait_for(worker: Worker) -> None:
            worker.process.wait()
            if worker.process.returncode != 0 and not self._stopping and self.failure is None:
                self.failure = worker.failure("failed")
                on_failure(str(self.failure))

        for worker in self.workers:
            threading.Thread(target=wait_for, args=(worker,), daemon=True).start()

    def death_behind(self, timeout: float = 2.0) -> WorkerFailed | None:
        """The worker death behind the chief's failed all-reduce, if there was one: the
        chief may hear of it (a connection reset) before the process is seen to end."""
        deadline = time.monotonic() + timeout
        while self.failure is None and time.monotonic() < deadline:
            dead = [w for w in self.workers if w.process.poll() not in (None, 0)]
            if dead:
                self.failure = self.failure or dead[0].failure("failed")
            else:
                time.sleep(0.05)
        return self.failure

    def check(self) -> None:
        if self.failure is not None:
            raise self.failure

    def finish(self) -> None:
        """Wait for every worker to end its part of the run; WorkerFailed if one fails."""
        deadline = time.monotonic() + FINISH_TIMEOUT_S
        for worker in self.workers:
            try:
                worker.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                raise WorkerFailed(f"{worker.task.name} did not finish within "
                                   f"{FINISH_TIMEOUT_S:.0f} s of the chief; nothing was saved") from None
            if worker.process.returncode != 0:
                self.failure = self.failure or worker.failure("failed")
        self.check()

    def _stop_all(self) -> None:
        self._stopping = True
        for worker in self.workers:
            worker.stop()
