"""The run history (SQLite beside the models) and the TensorBoard logs every training run writes."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

import workbench
from tests.conftest import kept_files, one_line_error, recorded_outcomes, run_cli
from workbench.results import history
from workbench.running.events import EpochEnd, Log


def test_a_run_is_recorded_with_what_it_was_and_what_it_gave(models_dir):
    result = workbench.run("linear", epochs=3, loss="svm")
    [run] = history.strict(models_dir).runs()
    assert run.id == result.run_id and run.lesson == "linear" and run.outcome == "done"
    assert run.params == result.params and run.params["epochs"] == 3
    assert run.metrics == pytest.approx(result.metrics)
    assert run.model_path == result.model_path and run.dataset == "digits" and run.seed == 0
    assert run.device == result.device and run.precision == "float32"
    assert run.started <= run.finished and run.step is None and run.claims == []
    # One row per epoch, as the model file keeps them: the same numbers.
    assert [row["epoch"] for row in run.history] == [1, 2, 3]
    from workbench.results import store

    saved = store.describe(result.model_path).metadata["history"]
    assert [row["loss"] for row in run.history] == pytest.approx([row["loss"] for row in saved])


def test_runs_come_newest_first_and_by_lesson(tmp_path):
    record = history.History(tmp_path / history.FILE_NAME)
    first = record.begin("knn", {"k": 1})
    second = record.begin("linear", {"epochs": 2}, step=3)
    record.finish(first, "done", metrics={"test_accuracy": 0.9})
    record.finish(second, "failed", message="workbench: error: loss became NaN")
    assert [r.id for r in record.runs()] == [second, first]
    assert [r.id for r in record.runs("knn")] == [first]
    assert record.get(second).message == "workbench: error: loss became NaN"
    assert record.latest_by_step("linear") == {}  # a failed run does not do a step
    with pytest.raises(ValueError, match="outcome must be one of"):
        record.finish(first, "exploded")


def test_the_file_is_wal_versioned_and_made_only_by_a_write(tmp_path):
    path = tmp_path / "models" / history.FILE_NAME
    record = history.History(path)
    assert record.runs() == [] and record.marks("knn").answers == {}
    assert not path.parent.exists()  # looking creates nothing
    record.answer("knn", 2, 1)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA user_version").fetchone()[0] == history.SCHEMA_VERSION
    assert record.marks("knn").answers == {2: 1}


def test_an_older_file_migrates_forward_and_keeps_its_runs(tmp_path, monkeypatch):
    path = tmp_path / history.FILE_NAME
    old = history.History(path)
    kept = old.begin("knn", {"k": 3})
    old.finish(kept, "done", metrics={"test_accuracy": 0.5})
    monkeypatch.setattr(history, "MIGRATIONS", history.MIGRATIONS + ("ALTER TABLE runs ADD COLUMN note TEXT",))
    monkeypatch.setattr(history, "SCHEMA_VERSION", len(history.MIGRATIONS))
    newer = history.History(path)
    assert newer.get(kept).metrics == {"test_accuracy": 0.5}  # read as it is: a reader writes nothing
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 2
    newer.answer("knn", 1, 0)  # the first write takes it forward
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 3
        assert "note" in [row[1] for row in db.execute("PRAGMA table_info(runs)")]
    assert newer.get(kept).metrics == {"test_accuracy": 0.5}


def test_a_file_from_a_newer_workbench_is_left_alone(tmp_path):
    path = tmp_path / history.FILE_NAME
    history.History(path).answer("knn", 2, 0)
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 99")
    found = history.open_history(tmp_path)
    assert isinstance(found, history.Unavailable)
    assert "written by a newer workbench (schema 99, this one reads up to 2)" in found.reason


def _record_many(path, lesson, count):
    record = history.History(path)
    for i in range(count):
        run = record.begin(lesson, {"i": i})
        record.finish(run, "done", metrics={"i": i})


def test_two_writers_at_once_both_get_every_run_recorded(tmp_path):
    path = tmp_path / history.FILE_NAME
    history.History(path).answer("knn", 1, 0)  # made once, as the first run would
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_record_many, args=(path, lesson, 40)) for lesson in ("app", "cli")]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(60)
        assert writer.exitcode == 0
    runs = history.History(path).runs()
    assert len(runs) == 80 and all(run.outcome == "done" for run in runs)
    assert sorted(run.metrics["i"] for run in runs if run.lesson == "cli") == list(range(40))


def test_a_cli_run_beside_another_is_recorded_too(tmp_path):
    """Two `workbench run`s at the same time (the app's and a terminal's): both recorded."""
    command = [sys.executable, "-m", "workbench", "run", "knn", "--quiet", "--set", "folds=0",
               "--set", "max_train=300", "--models-dir", str(tmp_path)]
    both = [subprocess.Popen([*command, "--out", str(tmp_path / f"knn-{i}.h5")],
                             stderr=subprocess.PIPE, text=True) for i in range(2)]
    for proc in both:
        assert proc.wait(120) == 0, proc.stderr.read()
    assert sorted(outcome for _, outcome, _ in recorded_outcomes(tmp_path)) == ["done", "done"]


def test_an_unusable_history_costs_one_warning_line_and_the_run_still_saves(tmp_path):
    path = tmp_path / history.FILE_NAME
    path.write_bytes(b"this is not a database at all, just text" * 100)
    before = path.read_bytes()
    proc = run_cli("run", "knn", "--quiet", "--set", "folds=0", "--set", "max_train=300",
                   "--models-dir", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert one_line_error(proc) == (f"warning: this run is not in the run history: {path} is not a "
                                    "usable run history (file is not a database)")
    assert (tmp_path / "knn.h5").exists()
    assert path.read_bytes() == before  # the learner's file is not touched
    listed = run_cli("runs", "--models-dir", str(tmp_path))
    assert listed.returncode == 2 and "is not a usable run history" in one_line_error(listed)


def test_ctrl_c_in_the_middle_of_a_run_is_recorded_as_cancelled(models_dir):
    def interrupt(event):
        if isinstance(event, EpochEnd):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        workbench.run("linear", epochs=50, on_event=interrupt)
    assert kept_files(models_dir) == []
    assert recorded_outcomes(models_dir) == [("linear", "cancelled", None)]


def test_history_off_records_nothing(models_dir):
    workbench.run("knn", folds=0, max_train=200, record=False)
    assert kept_files(models_dir) == [models_dir / "knn.h5"]
    assert not (models_dir / history.FILE_NAME).exists()


# -- TensorBoard ------------------------------------------------------------------------

def _scalars(folder):
    """{tag: [values by step]} from the event files under `folder` (TensorBoard's reader)."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    found = {}
    for events in sorted(folder.rglob("events.out.tfevents.*")):
        accumulator = EventAccumulator(str(events.parent), size_guidance={"tensors": 0})
        accumulator.Reload()
        for tag in accumulator.Tags()["tensors"]:
            import tensorflow as tf

            found[f"{events.parent.name}/{tag}"] = [float(tf.make_ndarray(e.tensor_proto))
                                                   for e in accumulator.Tensors(tag)]
    return found


def test_a_training_run_writes_its_epochs_to_tensorboard(models_dir, monkeypatch):
    monkeypatch.delenv("WORKBENCH_TENSORBOARD")  # (the suite turns them off elsewhere)
    result = workbench.run("linear", epochs=3)
    logs = models_dir / "tensorboard" / str(result.run_id)
    scalars = _scalars(logs)
    run = history.strict(models_dir).get(result.run_id)
    assert scalars["train/epoch_loss"] == pytest.approx([row["loss"] for row in run.history], rel=1e-5)
    assert scalars["validation/epoch_loss"] == pytest.approx([row["val_loss"] for row in run.history],
                                                             rel=1e-5)
    assert scalars["train/epoch_accuracy"] == pytest.approx([row["accuracy"] for row in run.history],
                                                            rel=1e-5)
    # Keras' tags: the optimizer's rate beside the metrics, and no validation copy of it.
    assert scalars["train/epoch_learning_rate"] == pytest.approx([0.1] * 3)
    assert "validation/epoch_learning_rate" not in scalars
    assert not list(logs.rglob("*.pb"))  # no graph, no profile: scalars only


def _tiny_fit(board, epochs: int) -> dict:
    """`epochs` of a one-layer model on 32 samples with `board` among its callbacks; the history."""
    import keras
    import numpy as np

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    x, y = np.random.default_rng(0).normal(size=(32, 4)), np.arange(32) % 2
    return model.fit(x, y, validation_data=(x, y), epochs=epochs, batch_size=8, verbose=0,
                     callbacks=[board]).history


def test_every_epoch_reaches_the_event_files_from_the_writing_thread(tmp_path, monkeypatch):
    """The records are built and written on a thread, handed over in batches (here after
    every epoch as well as at the fit's end): once the run has waited for it, each epoch
    is there once, in order, with the numbers Keras reported."""
    from workbench.running.callbacks import EpochTensorBoard

    monkeypatch.setattr(EpochTensorBoard, "WRITE_INTERVAL_S", 0.0)
    board = EpochTensorBoard(str(tmp_path / "01-train"))
    history_ = _tiny_fit(board, epochs=12)
    board.finish_writing()
    scalars = _scalars(tmp_path)
    assert scalars["train/epoch_loss"] == pytest.approx(history_["loss"], rel=1e-6)
    assert scalars["train/epoch_accuracy"] == pytest.approx(history_["accuracy"], rel=1e-6)
    assert scalars["validation/epoch_loss"] == pytest.approx(history_["val_loss"], rel=1e-6)
    assert scalars["train/epoch_learning_rate"] == pytest.approx([0.05] * 12)
    assert [p.parent.name for p in sorted(tmp_path.rglob("events.out.tfevents.*"))] == [
        "train", "validation"]  # one file each: the batches go to the same writers


def _failing_writer(error):
    """TensorBoard's writer, failing at the third epoch as a disk or a folder would."""
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    class Failing(EventFileWriter):
        def add_event(self, event):
            if event.step == 2:
                raise error(f"{self._file_name}")
            super().add_event(event)

    return Failing


def test_a_write_that_fails_on_the_writing_thread_is_said_by_finish_writing(tmp_path, monkeypatch):
    import tensorflow as tf

    from workbench.running import callbacks

    monkeypatch.setattr(callbacks, "EventFileWriter", _failing_writer(
        lambda where: tf.errors.PermissionDeniedError(None, None, f"{where}; Permission denied")))
    warnings = []
    board = callbacks.EpochTensorBoard(str(tmp_path / "01-train"), warn=warnings.append)
    _tiny_fit(board, epochs=4)  # the fit itself never waits for the thread, nor fails
    assert warnings == []
    board.finish_writing()
    [warning] = warnings
    assert warning.startswith(f"{tmp_path / '01-train'}: PermissionDeniedError: ")
    assert len(_scalars(tmp_path)["train/epoch_loss"]) == 2  # the epochs before, kept; none after
    board.finish_writing()  # said once
    assert len(warnings) == 1


def test_a_full_disk_on_the_writing_thread_fails_the_run_at_finish_writing(tmp_path, monkeypatch):
    import errno

    import tensorflow as tf

    from workbench.running import callbacks

    monkeypatch.setattr(callbacks, "EventFileWriter", _failing_writer(
        lambda where: tf.errors.ResourceExhaustedError(None, None, f"{where}; No space left on device")))
    board = callbacks.EpochTensorBoard(str(tmp_path / "01-train"), warn=lambda reason: None)
    _tiny_fit(board, epochs=4)
    with pytest.raises(OSError) as raised:
        board.finish_writing()
    assert raised.value.errno == errno.ENOSPC
    assert raised.value.filename == str(tmp_path / "01-train")


def test_tensorboard_logs_can_be_turned_off(models_dir, monkeypatch):
    monkeypatch.delenv("WORKBENCH_TENSORBOARD")
    workbench.run("linear", epochs=1, tensorboard=False)
    monkeypatch.setenv("WORKBENCH_TENSORBOARD", "0")
    workbench.run("linear", epochs=1)
    assert not (models_dir / "tensorboard").exists()
    assert len(history.strict(models_dir).runs()) == 2
    from workbench.cli.main import build_parser

    assert build_parser().parse_args(["run", "linear", "--no-tensorboard"]).tensorboard is False
    assert build_parser().parse_args(["run", "linear"]).tensorboard is None  # the environment decides


# -- workbench runs ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def two_linear_runs(tmp_path_factory):
    """A models folder with two real runs in its history, made once: the tests only read it."""
    folder = tmp_path_factory.mktemp("two-runs")
    workbench.run("linear", epochs=2, learning_rate=0.05, models_dir=str(folder))
    workbench.run("linear", epochs=3, models_dir=str(folder))
    return folder


def test_runs_lists_shows_and_compares(two_linear_runs, tmp_path):
    folder = ["--models-dir", str(two_linear_runs)]
    listed = run_cli("runs", "--json", *folder)
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)["runs"]
    assert [r["id"] for r in rows] == [2, 1]
    assert set(rows[0]) == {"id", "lesson", "step", "params", "outcome", "metrics", "model_path",
                            "started", "finished"}
    assert rows[1]["params"]["learning_rate"] == 0.05 and rows[0]["outcome"] == "done"
    text = run_cli("runs", "--lesson", "linear", *folder, env={"COLUMNS": "160"})
    lines = text.stdout.splitlines()
    assert lines[0].startswith("#2") and "test_accuracy" in lines[0] and "(epochs=3)" in lines[0]
    assert "(learning_rate=0.05 epochs=2)" in lines[1]

    shown = run_cli("runs", "show", "1", *folder, env={"COLUMNS": "120"})
    assert shown.returncode == 0 and "learning_rate=0.05" in shown.stdout and "loss by epoch" in shown.stdout

    png = tmp_path / "plots" / "loss.png"
    compared = run_cli("runs", "compare", "1", "2", "--png", str(png), *folder, env={"COLUMNS": "120"})
    assert compared.returncode == 0, compared.stderr
    differing = [line.split() for line in compared.stdout.splitlines()
                 if line.split()[:1] in (["learning_rate"], ["epochs"])]
    assert differing == [["learning_rate", "0.05", "0.1"], ["epochs", "2", "3"]]
    assert "#1 loss" in compared.stdout and "#2 loss" in compared.stdout
    with Image.open(png) as image:
        assert image.format == "PNG" and image.size == (800, 450)


@pytest.mark.parametrize("args, message", [
    (["runs", "show"], "runs show takes one run id, e.g. workbench runs show 3"),
    (["runs", "compare", "1"], "runs compare takes two or more run ids, e.g. workbench runs compare 3 4"),
    (["runs", "show", "99"], "no run #99 in the history; 'workbench runs' lists them"),
    (["runs", "show", "one"], "run ids are numbers (see 'workbench runs'); got 'one'"),
    (["runs", "delete", "1"], "unknown runs command 'delete'; use show ID or compare ID ID..."),
    (["runs", "compare", "1", "2", "--png", "curves.jpg"], "--png must name a .png file; got 'curves.jpg'"),
    (["runs", "compare", "1", "2", "--metric", "nonsense"], "no run here logged 'nonsense' per epoch"),
    (["runs", "--lesson", "knnn"], "unknown lesson 'knnn'; choose one of"),
])
def test_runs_refuses_bad_input_in_one_line(two_linear_runs, args, message):
    proc = run_cli(*args, "--models-dir", str(two_linear_runs))
    assert proc.returncode == 2
    assert one_line_error(proc).startswith(f"workbench: error: {message}")


def test_a_history_from_a_newer_workbench_is_warned_about_and_left_as_it_was(models_dir):
    path = models_dir / history.FILE_NAME
    history.History(path).answer("knn", 1, 0)
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 7")
    seen = []
    result = workbench.run("knn", folds=0, max_train=200, on_event=seen.append)
    warnings = [e.text for e in seen if isinstance(e, Log) and e.level == "warning"]
    assert warnings == [f"warning: this run is not in the run history: {path} was written by a "
                        "newer workbench (schema 7, this one reads up to 2)"]
    assert result.run_id is None and (models_dir / "knn.h5").exists()
    with sqlite3.connect(path) as db:  # (WAL: the bytes move between files; the contents stay)
        assert db.execute("PRAGMA user_version").fetchone()[0] == 7
        assert db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 0
        assert db.execute("SELECT lesson, step, answer FROM answers").fetchall() == [("knn", 1, 0)]


def _record_one_run(folder: str, start, k: int) -> None:
    start.wait()
    record = history.History(Path(folder) / history.FILE_NAME)
    record.finish(record.begin("knn", {"k": k}), "done", metrics={})


def test_runs_that_create_the_history_at_the_same_moment_are_all_recorded(tmp_path):
    """Four processes open a new folder's history at once: one creates the tables, the
    others wait for its lock and find them (before, all but one lost their run to
    'table runs already exists')."""
    context = multiprocessing.get_context("fork")
    for trial in range(3):
        folder = tmp_path / str(trial)
        start = context.Barrier(4)
        workers = [context.Process(target=_record_one_run, args=(str(folder), start, k))
                   for k in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
        assert [w.exitcode for w in workers] == [0] * 4
        runs = history.strict(folder).runs()
        assert sorted(r.params["k"] for r in runs) == [0, 1, 2, 3]
