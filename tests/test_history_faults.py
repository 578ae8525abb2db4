"""A run history with something wrong in it still reads: one bad row costs one warning
that names it, NaN goes out as null, a read-only file or folder is read, and a locked or
full file is called that, not corrupt. The faults are written into real SQLite files."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import one_line_error, run_cli
from workbench.results import history


def _refuse(constant: str):
    raise AssertionError(f"not strict JSON: {constant}")


def strict_json(text: str):
    """`json.loads` as a strict parser reads: NaN, Infinity and -Infinity are refused."""
    return json.loads(text, parse_constant=_refuse)


def _history_of_four(folder: Path) -> Path:
    """Four finished linear runs (#1 to #4), as runs leave them."""
    path = folder / history.FILE_NAME
    record = history.History(path)
    for epochs in (1, 2, 3, 4):
        run = record.begin("linear", {"epochs": epochs, "learning_rate": 0.1})
        record.finish(run, "done", metrics={"test_accuracy": 0.25 * epochs, "final_loss": 1.0 / epochs},
                      history=[{"series": "", "epoch": e + 1, "loss": 2.0 - e / 10} for e in range(epochs)],
                      claims=[{"text": "accuracy rises", "holds": True, "measured": "0.5"}])
    return path


def _spoil(path: Path, statement: str) -> None:
    with sqlite3.connect(path) as db:
        db.execute(statement)


@pytest.fixture
def spoiled(tmp_path) -> Path:
    """#2's metrics are not JSON, #3's params are a JSON array: the other two are fine."""
    path = _history_of_four(tmp_path)
    _spoil(path, "UPDATE runs SET metrics = '{\"test_accuracy\": 0.5, ' WHERE id = 2")
    _spoil(path, "UPDATE runs SET params = '[2, 0.1]' WHERE id = 3")
    return tmp_path


METRICS_WARNING = ("workbench: warning: run #2 cannot be read: its metrics column is not valid JSON; "
                   "the other runs are listed")
PARAMS_WARNING = ("workbench: warning: run #3 cannot be read: its params column holds a JSON array, "
                  "not a JSON object; the other runs are listed")


def test_bad_rows_cost_one_warning_each_and_the_others_still_list(spoiled):
    listed = run_cli("runs", "--models-dir", str(spoiled), env={"COLUMNS": "160"})
    assert listed.returncode == 0
    assert listed.stderr.splitlines() == [PARAMS_WARNING, METRICS_WARNING]
    assert [line.split()[0] for line in listed.stdout.splitlines()] == ["#4", "#1"]
    as_json = run_cli("runs", "--json", "--models-dir", str(spoiled))
    assert as_json.returncode == 0 and as_json.stderr.splitlines() == [PARAMS_WARNING, METRICS_WARNING]
    assert [run["id"] for run in strict_json(as_json.stdout)["runs"]] == [4, 1]
    lesson = run_cli("runs", "--lesson", "linear", "--models-dir", str(spoiled))
    assert lesson.returncode == 0 and lesson.stderr.splitlines() == [PARAMS_WARNING, METRICS_WARNING]


@pytest.mark.parametrize("args, message", [
    (["show", "3"], "run #3 cannot be read: its params column holds a JSON array, not a JSON object"),
    (["compare", "1", "3"], "run #3 cannot be read: its params column holds a JSON array, not a JSON object"),
    (["show", "2", "--json"], "run #2 cannot be read: its metrics column is not valid JSON"),
])
def test_show_and_compare_of_a_bad_row_say_which_in_one_line(spoiled, args, message):
    proc = run_cli("runs", *args, "--models-dir", str(spoiled))
    assert proc.returncode == 2 and proc.stdout == ""
    assert one_line_error(proc) == f"workbench: error: {message}"


def test_show_and_compare_of_good_rows_beside_bad_ones_work(spoiled):
    shown = run_cli("runs", "show", "4", "--models-dir", str(spoiled), env={"COLUMNS": "120"})
    assert shown.returncode == 0 and shown.stderr == "", shown.stderr
    assert "✓ accuracy rises: 0.5" in shown.stdout
    compared = run_cli("runs", "compare", "1", "4", "--json", "--models-dir", str(spoiled))
    assert compared.returncode == 0 and compared.stderr == ""
    assert [run["params"]["epochs"] for run in strict_json(compared.stdout)["runs"]] == [1, 4]


@pytest.mark.parametrize("column, value, found, expected", [
    ("params", "'\"epochs=3\"'", "a string", "a JSON object"),
    ("params", "7", "a whole number", "a JSON object"),
    ("metrics", "'[0.5]'", "a JSON array", "a JSON object"),
    ("history", "'{\"loss\": 1}'", "a JSON object", "a JSON array"),
    ("history", "'[1, 2]'", "a JSON array of other things", "a JSON array of objects"),
    ("claims", "'[\"holds\"]'", "a JSON array of other things", "a JSON array of objects"),
    ("started", "x'32303236'", "a blob", "a string"),
    ("step", "'three'", "a string", "a whole number"),
    ("lesson", "x'00'", "a blob", "a string"),
])
def test_each_column_of_the_wrong_type_is_named(tmp_path, column, value, found, expected):
    path = _history_of_four(tmp_path)
    _spoil(path, f"UPDATE runs SET {column} = {value} WHERE id = 1")
    record = history.strict(tmp_path)
    assert [run.id for run in record.runs()] == [4, 3, 2]
    assert record.unreadable == {1: f"run #1 cannot be read: its {column} column holds {found}, not {expected}"}
    assert "运行 #1 无法读取" in history.in_language(record.unreadable[1], "zh")
    with pytest.raises(history.UnreadableRun, match=f"run #1 cannot be read: its {column} column"):
        record.get(1)


def test_nan_and_infinity_go_out_as_null_in_strict_json(tmp_path):
    record = history.History(tmp_path / history.FILE_NAME)
    run = record.begin("linear", {"learning_rate": 1e6})
    record.finish(run, "failed", metrics={"final_loss": float("nan"), "grad_norm": float("inf"),
                                          "low": float("-inf"), "test_accuracy": 0.1,
                                          "per_layer": {"dense": float("nan")}},
                  history=[{"series": "", "epoch": 1, "loss": float("nan")}])
    for args in (["runs", "--json"], ["runs", "show", "1", "--json"], ["runs", "compare", "1", "1", "--json"]):
        proc = run_cli(*args, "--models-dir", str(tmp_path))
        assert proc.returncode == 0, proc.stderr
        [row, *_] = strict_json(proc.stdout)["runs"]
        assert row["metrics"] == {"final_loss": None, "grad_norm": None, "low": None, "test_accuracy": 0.1,
                                  "per_layer": {"dense": None}}
    assert strict_json(run_cli("runs", "show", "1", "--json", "--models-dir", str(tmp_path)).stdout
                       )["runs"][0]["history"] == [{"series": "", "epoch": 1, "loss": None}]
    # The file keeps the numbers as they were (the app draws "nan"): only the JSON out is strict.
    assert str(history.strict(tmp_path).get(1).metrics["final_loss"]) == "nan"


# -- a history that cannot be written ------------------------------------------------------

def _read_only(folder: Path) -> None:
    for path in folder.iterdir():
        path.chmod(0o444)
    folder.chmod(0o555)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="root reads and writes past permissions; the read-only mount below stands in")
def test_a_read_only_history_file_and_folder_still_list(tmp_path):
    folder = tmp_path / "models"
    folder.mkdir()
    _history_of_four(folder)
    _read_only(folder)
    try:
        proc = run_cli("runs", "--json", "--models-dir", str(folder))
        shown = run_cli("runs", "show", "4", "--models-dir", str(folder))
    finally:
        folder.chmod(0o755)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert [run["id"] for run in strict_json(proc.stdout)["runs"]] == [4, 3, 2, 1]
    assert shown.returncode == 0, shown.stderr


def test_a_history_on_a_read_only_disk_still_lists(tmp_path):
    """The folder mounted read-only (EROFS: root cannot write there either), in a mount
    namespace of the child's own: SQLite cannot make its shared-memory index beside a WAL
    file there, and the history is read all the same."""
    from tests.test_run_lifecycle import can_mount_a_small_disk

    disk = tmp_path / "disk"
    disk.mkdir()
    if not can_mount_a_small_disk(disk):
        pytest.skip("no user and mount namespaces here (unshare) to mount a disk read-only")
    make = (f"from pathlib import Path; from tests.test_history_faults import _history_of_four; "
            f"_history_of_four(Path({str(disk)!r}))")
    script = (f'mount -t tmpfs -o size=1m tmpfs "{disk}" && "{sys.executable}" -c "{make}" && '
              f'mount -o remount,ro "{disk}" && "{sys.executable}" -m workbench runs --json --models-dir "{disk}" '
              f'&& "{sys.executable}" -m workbench run knn --set folds=0 --set max_train=200 --quiet '
              f'--no-tensorboard --models-dir "{disk}" --out "{tmp_path}/knn.h5"')
    proc = subprocess.run(["unshare", "--map-root-user", "--mount", "sh", "-c", script], capture_output=True,
                          text=True, timeout=300, cwd=Path(__file__).parents[1])
    assert proc.returncode == 0, proc.stderr
    assert [run["id"] for run in strict_json(proc.stdout[:proc.stdout.rindex("}") + 1])["runs"]] == [4, 3, 2, 1]
    # A run there is told why it is not recorded: read-only, not "not a usable run history".
    assert proc.stderr.splitlines() == [
        f"warning: this run is not in the run history: the run history is read-only "
        f"({disk}/history.sqlite: Read-only file system)"]


def test_a_reader_never_opens_the_history_for_writing(spoiled, monkeypatch, capsys):
    """Stands in for a read-only file anywhere: every connection the listing opens is read-only."""
    from workbench.cli.main import main

    opened = []
    connect = sqlite3.connect

    def read_only(database, *args, **kwargs):
        opened.append(str(database))
        assert kwargs.get("uri") and "mode=ro" in str(database), f"opened for writing: {database}"
        return connect(database, *args, **kwargs)

    monkeypatch.setattr(history.sqlite3, "connect", read_only)
    assert main(["runs", "--json", "--models-dir", str(spoiled)]) == 0
    assert [run["id"] for run in strict_json(capsys.readouterr().out)["runs"]] == [4, 1]
    assert opened


# -- a locked or full file is called that ---------------------------------------------------

def test_a_full_disk_is_called_full_not_corrupt(tmp_path, monkeypatch):
    """SQLite's own SQLITE_FULL: each connection may not grow the file past its size now
    (`max_page_count`), as a disk with no block left would refuse it."""
    path = _history_of_four(tmp_path)
    connect = sqlite3.connect

    def no_room(*args, **kwargs):
        db = connect(*args, **kwargs)
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.execute(f"PRAGMA max_page_count = {pages}")
        return db

    monkeypatch.setattr(history.sqlite3, "connect", no_room)
    said = []
    record = history.Guarded(history.History(path), said.append)
    for i in range(200):  # until the file must grow
        if record.begin("linear", {"padding": "x" * 2000, "i": i}) is None:
            break
    assert said == [f"the disk is full ({path} cannot grow)"]
    assert history.in_language(said[0], "zh") == f"磁盘已满（{path} 无法再写入）"
    # Still read, no longer written: no second warning, no second wait.
    assert [run.id for run in record.runs()][-4:] == [4, 3, 2, 1]
    assert record.begin("linear", {}) is None and record.marks("linear").answers == {}
    assert len(said) == 1


def test_a_reader_of_a_locked_history_is_told_it_is_locked(tmp_path, monkeypatch):
    """A history in SQLite's rollback journal (not WAL, where reading never waits): a reader
    meets the writer's lock and says so."""
    monkeypatch.setattr(history, "BUSY_TIMEOUT_S", 0.1)
    path = _history_of_four(tmp_path)
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=DELETE")
    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    locker.execute("UPDATE runs SET outcome = 'done'")
    try:
        with pytest.raises(history.HistoryError) as caught:
            history.strict(tmp_path).runs()
    finally:
        locker.execute("ROLLBACK")
    assert str(caught.value) == f"the run history is locked by another process ({path}; waited 0.1 s)"
    assert caught.value.kind == "locked"
    assert [run.id for run in history.strict(tmp_path).runs()] == [4, 3, 2, 1]


def test_a_lock_costs_the_one_write_it_met_and_the_next_write_goes_in(tmp_path, monkeypatch):
    """The app keeps one history all session: a lock taken for a while by another process
    does not turn it off for good."""
    monkeypatch.setattr(history, "BUSY_TIMEOUT_S", 0.1)
    path = _history_of_four(tmp_path)
    said = []
    record = history.Guarded(history.History(path), said.append)
    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        record.answer("linear", 2, 1)
        assert [run.id for run in record.runs()] == [4, 3, 2, 1]  # reading a WAL file never waits
    finally:
        locker.execute("ROLLBACK")
    assert said == [f"the run history is locked by another process ({path}; waited 0.1 s)"]
    assert history.in_language(said[0], "zh") == f"运行历史被另一个进程锁住了（{path}；已等待 0.1 秒）"
    record.answer("linear", 3, 0)
    assert record.marks("linear").answers == {3: 0} and len(said) == 1


# -- the app's Runs screen -------------------------------------------------------------------

async def test_the_runs_screen_lists_the_good_rows_and_warns_of_the_bad_one(spoiled):
    from textual.widgets import DataTable

    from workbench.tui.app import WorkbenchApp

    app = WorkbenchApp(models_dir=str(spoiled), preload_tensorflow=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("h")
        deadline = time.monotonic() + 120
        while not (app.screen.id == "runs-screen" and app.screen.query_one(DataTable).row_count):
            assert time.monotonic() < deadline, "the Runs screen never listed a run"
            await pilot.pause(0.05)
        table = app.screen.query_one(DataTable)
        assert [str(table.get_row_at(i)[1]) for i in range(table.row_count)] == ["#4", "#1"]
        said = [note.message for note in app._notifications]
        assert said == [PARAMS_WARNING.removeprefix("workbench: warning: "),
                        METRICS_WARNING.removeprefix("workbench: warning: ")]
        await pilot.press("escape", "h")  # back again: the same rows, no second warning
        await pilot.pause(0.1)
        assert [note.message for note in app._notifications] == said
        assert app.screen.query_one(DataTable).row_count == 2
