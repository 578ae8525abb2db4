"""A run's life in the run history, through the faults that used to leave it `running`
forever or lose it: a process killed with -9, a lock taken by another process in the
middle of a run, an exception after the run has begun, a full disk under the TensorBoard
logs, a TensorBoard folder that cannot be written. Each fault is real or a stand-in that
fails the way the real one does (the same exception, from the same call); no test waits
on a clock."""

from __future__ import annotations

import dataclasses
import json
import os
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import workbench
from tests.conftest import kept_files, one_line_error, recorded_outcomes, run_cli
from workbench.results import history
from workbench.running import runner
from workbench.running.events import EpochEnd, Log

LINEAR = ["--set", "epochs=2"]


def _warnings(events) -> list[str]:
    return [e.text for e in events if isinstance(e, Log) and e.level == "warning"]


def _rows(folder: Path) -> list[tuple]:
    """What the file itself says (not what a reader makes of it): id, outcome, message."""
    with sqlite3.connect(folder / history.FILE_NAME) as db:
        return db.execute("SELECT id, outcome, message FROM runs ORDER BY id").fetchall()


def _listed(folder: Path) -> list[dict]:
    proc = run_cli("runs", "--json", "--models-dir", str(folder))
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    return json.loads(proc.stdout)["runs"]


# -- a run whose process is gone -----------------------------------------------------------

HOLD = textwrap.dedent('''
    # Loaded by the child's interpreter at start: its run stops after the first epoch
    # and says so on stdout, then waits there to be killed.
    import os, time
    if os.environ.get("WORKBENCH_TEST_HOLD") == "1":
        from workbench.running import context

        own = context.RunContext.callbacks

        def callbacks(self, *args, **kwargs):
            import keras

            class Hold(keras.callbacks.Callback):
                def on_epoch_end(self, epoch, logs=None):
                    print("holding", flush=True)
                    time.sleep(600)

            return [*own(self, *args, **kwargs), Hold()]

        context.RunContext.callbacks = callbacks
''')


def test_a_run_killed_with_sigkill_reads_interrupted_and_the_next_write_records_it(tmp_path):
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(HOLD)
    folder = tmp_path / "models"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(hook), os.environ.get("PYTHONPATH", "")]),
           "WORKBENCH_TEST_HOLD": "1"}
    child = subprocess.Popen([sys.executable, "-m", "workbench", "run", "linear", *LINEAR, "--quiet",
                              "--models-dir", str(folder)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env)
    try:
        ready, _, _ = select.select([child.stdout], [], [], 300)
        assert ready and child.stdout.readline() == "holding\n", child.stderr.read()
        [alive] = _listed(folder)
        assert alive["outcome"] == "running" and alive["finished"] is None  # it is: its process is there
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(60)
    assert child.returncode == -signal.SIGKILL
    [gone] = _listed(folder)
    assert (gone["id"], gone["outcome"]) == (1, "interrupted")
    listed = run_cli("runs", "--models-dir", str(folder))
    assert listed.stdout.split()[:5] == ["#1", alive["started"][:10], alive["started"][11:16], "linear",
                                         "interrupted"]
    # The file says so with the next write (another run's, an answer): for good, even if
    # the process id is given to another process later.
    assert _rows(folder) == [(1, "running", None)]
    history.History(folder / history.FILE_NAME).answer("linear", 1, 0)
    message = f"its process ({child.pid}) ended before the run did: killed, or the machine stopped"
    assert _rows(folder) == [(1, "interrupted", message)]
    assert history.strict(folder).get(1).finished is not None


def test_a_process_that_ended_is_told_from_one_that_lives_and_from_another_machine():
    me = history.this_process()
    assert not history.process_gone(me["host"], me["pid"], me["process"])
    assert not history.process_gone("another-machine", 1 << 22, None)  # cannot look: taken as alive
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    assert history.process_gone(me["host"], ended.pid, None)
    if me["process"] is not None:  # Linux: the same pid, started at another moment, is another process
        assert history.process_gone(me["host"], me["pid"], me["process"] + "0")


def test_a_running_row_from_the_first_schema_is_taken_as_over_when_the_file_moves_on(tmp_path):
    path = tmp_path / history.FILE_NAME
    with sqlite3.connect(path) as db:
        for statement in filter(str.strip, history.MIGRATIONS[0].split(";")):
            db.execute(statement)
        db.execute("PRAGMA user_version = 1")
        db.execute("INSERT INTO runs (lesson, params, started) VALUES ('knn', '{}', '2026-01-01')")
    assert history.strict(tmp_path).get(1).outcome == "running"  # read as it is: nothing tells
    history.History(path).answer("knn", 1, 0)
    assert _rows(tmp_path) == [(1, "interrupted", None)]


# -- a lock taken in the middle of a run ---------------------------------------------------

def _lock_at_first_epoch(path: Path, events: list, holder: list):
    def on_event(event):
        events.append(event)
        if isinstance(event, EpochEnd) and not holder:
            db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            db.execute("BEGIN EXCLUSIVE")  # another process's long transaction
            holder.append(db)
    return on_event


def test_an_outcome_that_meets_a_lock_is_kept_beside_the_file_and_written_once_it_is_free(
        models_dir, monkeypatch):
    monkeypatch.setattr(history, "BUSY_TIMEOUT_S", 0.2)  # how long a write waits: not a timing
    path = models_dir / history.FILE_NAME
    events, holder = [], []
    result = workbench.run("linear", epochs=2, on_event=_lock_at_first_epoch(path, events, holder))
    pending = models_dir / history.PENDING_DIR / f"{result.run_id}.json"
    assert _warnings(events) == [
        f"warning: the run history is locked by another process ({path}); this run's outcome is kept "
        f"in {pending} and goes into the history with its next write"]
    assert (models_dir / "linear-softmax.h5").exists()
    # While the lock holds: the file still says running, every reader already says done.
    assert _rows(models_dir) == [(result.run_id, "running", None)]
    [listed] = _listed(models_dir)
    assert listed["outcome"] == "done" and listed["metrics"]["test_accuracy"] == result.metrics["test_accuracy"]
    assert listed["model_path"] == result.model_path
    holder[0].execute("ROLLBACK")  # released, later
    holder[0].close()
    second = workbench.run("knn", folds=0, max_train=200)  # the next write
    assert _rows(models_dir) == [(result.run_id, "done", None), (second.run_id, "done", None)]
    run = history.strict(models_dir).get(result.run_id)
    assert [row["epoch"] for row in run.history] == [1, 2] and run.model_path == result.model_path
    assert not (models_dir / history.PENDING_DIR).exists()  # nothing left beside the file


def test_a_lock_that_is_released_while_the_outcome_waits_for_it_costs_nothing(models_dir, monkeypatch):
    """The outcome's write waits (the busy timeout) for a lock taken mid-run; the holder lets go
    while it waits: the outcome goes straight in, without a word."""
    import threading

    monkeypatch.setattr(history, "BUSY_TIMEOUT_S", 600.0)  # the write waits for the holder, however slow
    path = models_dir / history.FILE_NAME
    events, holder = [], []
    waiting = threading.Event()
    connect = sqlite3.connect

    def connecting(*args, **kwargs):  # the run's own connections: the outcome's write is about to wait
        if holder and kwargs.get("timeout") == history.BUSY_TIMEOUT_S:
            waiting.set()
        return connect(*args, **kwargs)

    def release():
        waiting.wait(300)
        holder[0].execute("ROLLBACK")

    monkeypatch.setattr(history.sqlite3, "connect", connecting)
    releaser = threading.Thread(target=release)
    releaser.start()
    result = workbench.run("linear", epochs=2, on_event=_lock_at_first_epoch(path, events, holder))
    releaser.join(60)
    assert _warnings(events) == []
    assert _rows(models_dir) == [(result.run_id, "done", None)]


def test_a_lock_held_when_a_run_begins_costs_one_warning_that_says_so(models_dir, monkeypatch):
    monkeypatch.setattr(history, "BUSY_TIMEOUT_S", 0.2)
    path = models_dir / history.FILE_NAME
    history.History(path).answer("knn", 1, 0)
    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    events = []
    try:
        result = workbench.run("knn", folds=0, max_train=200, on_event=events.append)
    finally:
        locker.execute("ROLLBACK")
    assert _warnings(events) == [f"warning: this run is not in the run history: the run history is "
                                 f"locked by another process ({path}; waited 0.2 s)"]
    assert result.run_id is None and (models_dir / "knn.h5").exists()
    assert _rows(models_dir) == []


# -- an exception after the run has begun --------------------------------------------------

def test_a_seed_numpy_refuses_after_the_run_began_is_recorded_as_failed(models_dir):
    """`keras.utils.set_random_seed` runs once the row is begun; whatever it raises (a seed
    past 2**32 - 1, which the checks before work are meant to refuse) ends the run as failed."""
    request = dataclasses.replace(runner.prepare("linear", {"epochs": 1}, None), seed=2 ** 32)
    with pytest.raises(ValueError):
        runner.execute(request)
    [(lesson, outcome, message)] = recorded_outcomes(models_dir)
    assert (lesson, outcome) == ("linear", "failed")
    assert message.startswith("workbench: internal error: ValueError: ") and "2**32" in message
    assert kept_files(models_dir) == []


def test_a_context_that_cannot_be_made_ends_the_run_as_failed(models_dir, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("no context today")

    monkeypatch.setattr(runner, "RunContext", broken)
    with pytest.raises(RuntimeError):
        workbench.run("knn", folds=0, max_train=200)
    assert recorded_outcomes(models_dir) == [
        ("knn", "failed", "workbench: internal error: RuntimeError: no context today "
                          "(set WORKBENCH_DEBUG=1 for the traceback)")]


# -- TensorBoard: a full disk, a folder that cannot be written -----------------------------

def _tensorboard_on(monkeypatch):
    monkeypatch.setenv("WORKBENCH_TENSORBOARD", "1")


def test_a_full_disk_under_the_tensorboard_logs_is_one_line_exit_1_and_leaves_no_folder(
        models_dir, monkeypatch, capsys):
    """The writer fails as TensorFlow's file writer does on a full disk (ResourceExhaustedError
    from gfile, after training started); the history, on another disk, still takes the run."""
    import tensorflow as tf
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    from workbench.cli.main import main
    from workbench.running import callbacks

    class FullDisk(EventFileWriter):
        def add_event(self, event):
            if event.step == 1:  # the second epoch's scalars: training is well under way
                raise tf.errors.ResourceExhaustedError(
                    None, None, f"{self._file_name}; No space left on device")
            super().add_event(event)

    _tensorboard_on(monkeypatch)
    monkeypatch.setattr(callbacks, "EventFileWriter", FullDisk)
    assert main(["run", "linear", "--set", "epochs=3", "--quiet"]) == 1
    board = models_dir / "tensorboard" / "1" / "01-train"
    line = f"workbench: error: no space left on device for {board} (free some space or use --models-dir)"
    assert capsys.readouterr().err == line + "\n"
    assert not (models_dir / "tensorboard").exists()  # no folder left, empty or half-written
    assert kept_files(models_dir) == []
    assert recorded_outcomes(models_dir) == [("linear", "failed", line)]


def can_mount_a_small_disk(where: Path) -> bool:
    """Whether this machine lets a child mount a tmpfs in a mount namespace of its own."""
    if not shutil.which("unshare") or not sys.platform.startswith("linux"):
        return False
    probe = subprocess.run(["unshare", "--map-root-user", "--mount", "sh", "-c",
                            f'mount -t tmpfs -o size=64k tmpfs "{where}"'], capture_output=True)
    return probe.returncode == 0


def test_a_full_disk_for_real_is_one_line_and_leaves_nothing_half_written(tmp_path, monkeypatch):
    """A 256 KiB tmpfs, filled to the last block before the run (mounted in a mount namespace
    of the child's own, so nothing outside it sees the disk)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if not can_mount_a_small_disk(disk):
        pytest.skip("no user and mount namespaces here (unshare) to mount a small disk in")
    _tensorboard_on(monkeypatch)
    script = (f'mount -t tmpfs -o size=256k tmpfs "{disk}" && '
              f'(dd if=/dev/zero of="{disk}/filler" bs=4k count=1000 2>/dev/null; true) && '
              f'"{sys.executable}" -m workbench run linear --set epochs=2 --quiet --models-dir "{disk}"; '
              f'echo "rc=$?"; cd "{disk}" && find . | sort')
    proc = subprocess.run(["unshare", "--map-root-user", "--mount", "sh", "-c", script],
                          capture_output=True, text=True, timeout=300)
    board = next(line for line in proc.stderr.splitlines() if "no space left" in line)
    assert proc.stderr.splitlines() == [
        f"warning: this run is not in the run history: the disk is full ({disk}/history.sqlite cannot grow)",
        board]
    assert board.startswith(f"workbench: error: no space left on device for {disk}/tensorboard/run-")
    assert board.endswith(" (free some space or use --models-dir)")
    lines = proc.stdout.splitlines()
    assert lines[0] == "rc=1"
    # SQLite made the file it could not write (empty, read as an empty history); no model,
    # no TensorBoard folder.
    assert lines[1:] == [".", "./filler", "./history.sqlite"]


def test_a_tensorboard_folder_that_cannot_be_written_is_refused_before_any_work(tmp_path, monkeypatch):
    _tensorboard_on(monkeypatch)
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "tensorboard").write_text("a file where the logs' folder goes\n")
    proc = run_cli("run", "linear", *LINEAR, "--models-dir", str(folder))
    assert proc.returncode == 2
    assert one_line_error(proc) == (
        f"workbench: error: TensorBoard logs cannot be written in {folder / 'tensorboard'}: "
        f"{folder / 'tensorboard'} is not a folder (use --no-tensorboard, or --models-dir for a "
        "folder you can write)")
    assert sorted(p.name for p in folder.iterdir()) == ["tensorboard"]  # no model, no history row
    off = run_cli("run", "linear", *LINEAR, "--quiet", "--no-tensorboard", "--models-dir", str(folder))
    assert off.returncode == 0, off.stderr


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="root writes into a read-only folder: the test above puts a file in the way instead")
def test_a_read_only_tensorboard_folder_is_refused_before_any_work(tmp_path, monkeypatch):
    _tensorboard_on(monkeypatch)
    folder = tmp_path / "models"
    (folder / "tensorboard").mkdir(parents=True)
    (folder / "tensorboard").chmod(0o555)
    try:
        proc = run_cli("run", "linear", *LINEAR, "--models-dir", str(folder))
    finally:
        (folder / "tensorboard").chmod(0o755)
    assert proc.returncode == 2
    assert one_line_error(proc) == (
        f"workbench: error: TensorBoard logs cannot be written in {folder / 'tensorboard'}: "
        "Permission denied (use --no-tensorboard, or --models-dir for a folder you can write)")


def test_a_tensorboard_writer_that_fails_otherwise_costs_a_warning_and_the_run_goes_on(
        models_dir, monkeypatch):
    import tensorflow as tf
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    from workbench.running import callbacks

    class Refused(EventFileWriter):
        def add_event(self, event):
            if event.step == 1:
                raise tf.errors.PermissionDeniedError(None, None, f"{self._file_name}; Permission denied")
            super().add_event(event)

    _tensorboard_on(monkeypatch)
    monkeypatch.setattr(callbacks, "EventFileWriter", Refused)
    events = []
    result = workbench.run("linear", epochs=3, on_event=events.append)
    board = models_dir / "tensorboard" / str(result.run_id) / "01-train"
    [warning] = _warnings(events)
    assert warning.startswith(f"warning: TensorBoard logs stopped, the run goes on: {board}: "
                              "PermissionDeniedError: ")
    assert recorded_outcomes(models_dir) == [("linear", "done", None)]
    assert (models_dir / "linear-softmax.h5").exists()
    assert sorted(p.name for p in board.iterdir()) == ["train", "validation"]  # the first epoch's, kept


def test_a_run_without_training_leaves_no_tensorboard_folder(models_dir, monkeypatch):
    _tensorboard_on(monkeypatch)
    workbench.run("knn", folds=0, max_train=200)
    assert not (models_dir / "tensorboard").exists()


def test_a_failed_run_keeps_the_logs_it_wrote_and_drops_its_empty_folders(models_dir, monkeypatch):
    from workbench.errors import BadInput

    _tensorboard_on(monkeypatch)

    def diverge(event):
        if isinstance(event, EpochEnd) and event.epoch == 2:
            raise BadInput("loss became NaN at epoch 2; lower learning_rate")

    with pytest.raises(BadInput):
        workbench.run("linear", epochs=3, on_event=diverge)
    [run] = history.strict(models_dir).runs()
    assert run.outcome == "failed"
    board = models_dir / "tensorboard" / str(run.id)
    assert sorted(p.relative_to(board).as_posix() for p in board.rglob("*") if p.is_dir()) == [
        "01-train", "01-train/train", "01-train/validation"]
