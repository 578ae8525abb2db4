"""The command line as a script uses it: exit codes, one-line errors, JSON on stdout."""

import json
import os
import signal
import subprocess
import sys
import threading
import time

import h5py
import numpy as np
import pytest

from tests.conftest import kept_files, one_line_error, run_cli
from workbench import registry


def test_help_and_list_do_not_import_tensorflow():
    code = ("import sys, contextlib, io\n"
            "from workbench.cli.main import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    assert main(['list']) == 0\n"
            "    assert main(['show', 'knn']) == 0\n"
            "    try: main(['--help'])\n"
            "    except SystemExit: pass\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_list_json_names_every_lesson_of_the_catalogue_in_course_order():
    proc = run_cli("list", "--json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # no broken plug-in
    lessons = json.loads(proc.stdout)["lessons"]
    catalogue = registry.lessons()
    assert [l["id"] for l in lessons] == [l.id for l in catalogue]
    assert [l.position for l in catalogue] == sorted(l.position for l in catalogue)
    assert {"knn", "linear", "cnn", "resnet", "lstm"} <= {l["id"] for l in lessons}
    assert all(l["title"] and l["summary"] for l in lessons)


def test_show_prints_notes_and_the_parameter_table():
    proc = run_cli("show", "knn")
    assert proc.returncode == 0
    for name in ("k", "metric", "folds", "k_choices", "max_train"):
        assert name in proc.stdout
    assert "1,3,5,8,10,12,15,20" in proc.stdout  # the default, formatted as it is typed


def test_run_json_is_one_object_and_the_model_is_saved(tmp_path):
    proc = run_cli("run", "knn", "--set", "folds=0", "--seed", "1", "--json",
                   "--models-dir", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)  # the whole of stdout is exactly one JSON object
    assert set(result) == {"lesson", "params", "dataset", "metrics", "model_path", "seconds", "device",
                           "step", "claims", "predictions", "run_id", "distribute"}
    assert result["step"] is None and result["claims"] == [] and result["run_id"] == 1
    assert result["distribute"] is None  # one process, one device
    assert result["predictions"] == []  # nothing to score outside a guided path
    assert result["lesson"] == "knn" and result["dataset"] == "digits"
    assert result["params"]["folds"] == 0 and result["params"]["k"] == 5
    assert 0.97 <= result["metrics"]["test_accuracy"] <= 1
    assert result["model_path"] == str(tmp_path / "knn.h5")
    with h5py.File(result["model_path"], "r") as f:
        meta = json.loads(f.attrs["workbench"])
    assert meta["metrics"] == result["metrics"] and meta["seed"] == 1


def test_tensorflow_noise_never_reaches_stderr(tmp_path):
    proc = run_cli("run", "knn", "--quiet", "--set", "folds=0", "--models-dir", str(tmp_path))
    assert proc.returncode == 0
    assert proc.stderr == ""


@pytest.mark.parametrize("args, message", [
    (["run", "nope"], "unknown lesson 'nope'; choose one of "
     + ", ".join(lesson.id for lesson in registry.lessons())),
    (["run", "knn", "--out", "/proc/x.h5"], "cannot write '/proc/x.h5': '/proc' does not take new files"),
    (["run", "knn", "--set", "kk=3"], "unknown parameter 'kk' for lesson 'knn'"),
    (["run", "knn", "--set", "k=three"], "k: expected an integer, got 'three'"),
    (["run", "knn", "--set", "k=0"], "k must be >= 1; got 0"),
    (["run", "knn", "--set", "folds=11"], "folds must be 0 or 2..10; got 11"),
    (["run", "knn", "--set", "k=2000"], "k must be in 1..1078 (the training-set size); got 2000"),
    (["run", "knn", "--set", "k"], "--set expects NAME=VALUE, got 'k'"),
    (["run", "knn", "--dataset", "imagenet"], "unknown dataset 'imagenet' for knn"),
    (["run", "knn", "--dataset", ""], "unknown dataset '' for knn"),
    (["run", "cnn", "--set", "learning_rate=inf"], "learning_rate: expected a finite number, got 'inf'"),
    (["run", "knn", "--seed", "-1"], "seed must be 0..4294967295; got -1"),
    (["run", "knn", "--out", "model.txt"], "--out must name an .h5 file"),
    (["bogus"], "invalid choice: 'bogus'"),
    (["show", "nope"], "unknown lesson 'nope'"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, message):
    proc = run_cli(*args, "--models-dir", str(tmp_path)) if args[0] == "run" else run_cli(*args)
    assert proc.returncode == 2
    assert message in one_line_error(proc)
    # Nothing kept; a check that needs the data (k against the training-set size) is made
    # once the run has begun, so the run history records that failed run.
    assert kept_files(tmp_path) == []


def test_out_under_a_file_is_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    proc = run_cli("run", "knn", "--out", str(tmp_path / "file" / "m.h5"))
    assert proc.returncode == 2
    assert "is not a folder" in one_line_error(proc)


def test_offline_dataset_names_the_file_and_the_cache_folder(tmp_path):
    env = {"KERAS_HOME": str(tmp_path / "keras"), "https_proxy": "http://127.0.0.1:9",
           "http_proxy": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}
    proc = run_cli("run", "knn", "--dataset", "mnist", "--models-dir", str(tmp_path / "m"), env=env)
    assert proc.returncode == 2
    line = one_line_error(proc)
    assert "mnist.npz" in line and str(tmp_path / "keras" / "datasets") in line


def _ctrl_c_as_in_a_terminal():
    """A suite started in the background (`.ci/run &`) has SIGINT ignored, and children
    inherit that; a command typed in a terminal does not."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_mid_run_exits_130_and_keeps_the_old_model(tmp_path):
    target = tmp_path / "linear.h5"
    target.write_bytes(b"the previous model")
    # 1,000 epochs: a minute of training, so the signal lands mid-run even on a loaded
    # machine (a kNN run once finished before its Ctrl+C arrived).
    proc = subprocess.Popen([sys.executable, "-m", "workbench", "run", "linear", "--out", str(target),
                             "--set", "epochs=1000"], stderr=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, preexec_fn=_ctrl_c_as_in_a_terminal)
    first_line = proc.stderr.readline()  # the run has started once the lesson speaks
    assert first_line.startswith("initial softmax loss"), first_line
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err.endswith("workbench: interrupted; nothing was saved\n") and "Traceback" not in err
    assert target.read_bytes() == b"the previous model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["linear.h5"]


def test_an_interrupt_swallowed_by_library_code_still_cancels_the_run(request):
    from workbench.errors import Cancelled
    from workbench.running.interrupts import interrupt_cancels

    cancel = threading.Event()
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal
    request.addfinalizer(lambda: signal.signal(signal.SIGINT, previous))
    with pytest.raises(KeyboardInterrupt):
        with interrupt_cancels(cancel):
            try:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(1)  # the handler runs here, and raises
            except:  # noqa: E722  (as Keras' compile_utils does while it traces a step)
                pass
            assert cancel.is_set()
            raise Cancelled()  # what the run's next batch raises: it leaves as Ctrl+C
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back


def test_inspect_shows_metadata_metrics_and_layers(saved_knn):
    proc = run_cli("inspect", str(saved_knn), "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["workbench"]["lesson"] == "knn"
    assert report["workbench"]["params"]["k"] == 5
    assert [l["type"] for l in report["layers"]] == ["InputLayer", "Flatten", "KNearestNeighbors"]
    # the remembered images, their labels and their squared norms
    assert report["total_params"] == 1078 * 64 + 1078 + 1078
    table = run_cli("inspect", str(saved_knn))
    assert "KNearestNeighbors" in table.stdout and "test_accuracy" in table.stdout


def test_inspect_refuses_corrupt_and_non_keras_files(tmp_path):
    (tmp_path / "junk.h5").write_bytes(np.random.default_rng(0).bytes(4096))
    with h5py.File(tmp_path / "data.h5", "w") as f:
        f["x"] = np.arange(3)
    for name, message in [("junk.h5", "not an HDF5 file"), ("data.h5", "not a Keras model"),
                          ("missing.h5", "does not exist")]:
        proc = run_cli("inspect", str(tmp_path / name))
        assert proc.returncode == 2
        assert message in one_line_error(proc)


def test_models_lists_saved_models_with_their_key_metric(saved_knn):
    proc = run_cli("models", "--json", "--models-dir", str(saved_knn.parent))
    assert proc.returncode == 0
    (row,) = json.loads(proc.stdout)["models"]
    assert row["lesson"] == "knn" and row["path"] == str(saved_knn)
    assert row["key_metric"]["test_accuracy"] >= 0.97
    empty = run_cli("models", "--models-dir", str(saved_knn.parent / "none"))
    assert empty.returncode == 0 and "no models" in empty.stdout


def test_run_prints_the_lessons_key_numbers_before_all_metrics(tmp_path):
    proc = run_cli("run", "knn", "--set", "folds=0", "--quiet", "--models-dir", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    first, every = out.index("key results"), out.index("metric")
    assert first < every  # the key numbers come first
    words = " ".join(out[first:every].split())  # each meaning wraps at the width there is
    assert "share of the held-out test images the k nearest got right" in words
    meta = json.loads(h5py.File(tmp_path / "knn.h5", "r").attrs["workbench"])
    assert f"{meta['metrics']['test_accuracy']:.4g}" in out[first:every]
