"""The benchmark code paths at toy sizes: they run, agree and print; no timing is asserted."""

import json
import os
import sys

import numpy as np
import pytest

from benchmarks import knn, run, startup, throughput
from benchmarks.common import Row


def test_knn_case_runs_and_every_side_predicts_the_same_labels():
    rows = knn.measure(quick=True, n_train=200, n_test=30, image_shape=(4, 4, 3))  # raises if not
    assert [r.unit for r in rows] == ["predictions/s", "predictions/s"]
    assert rows[0].budget == 2.0 and all(r.ratio > 0 for r in rows)
    assert "BLAS numpy: " in rows[0].alternative_label  # the kernel scikit-learn's side ran on


def test_the_knn_comparison_runs_without_the_openblas_overrides(monkeypatch):
    # Set here, they would pin OpenBLAS to another kernel in a child that inherited them.
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Prescott")
    monkeypatch.setenv("OPENBLAS_L2_SIZE", "262144")
    assert not set(knn.BLAS_OVERRIDES) & set(knn.fair_environment())
    child = knn.run_child("describe")
    assert child["overrides"] == {"OPENBLAS_CORETYPE": None, "OPENBLAS_L2_SIZE": None}
    # "numpy: openblas 0.3.31 SkylakeX": which library, its version and the kernel it picked.
    numpy_blas = next(part for part in child["blas"].split(", ") if part.startswith("numpy: "))
    assert len(numpy_blas.split()) >= 3


def test_a_disagreement_stops_the_knn_benchmark():
    with pytest.raises(AssertionError, match="disagree on 1 of 3 test vectors"):
        knn._same("two-loop distance", np.array([1, 2, 3]), np.array([1, 2, 4]))


# Keras' fit defaults to shuffle=True and says it is ignored for a dataset, which shuffles itself.
@pytest.mark.filterwarnings("ignore:`shuffle=True` was passed")
def test_throughput_rows_have_no_alternative():
    import keras

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x, y = np.zeros((40, 4), "float32"), np.zeros(40, "int32")
    rows = throughput.model_rows("toy", model, x, y, 8, "vectors/s", 1, quick=True)
    assert [r.case for r in rows] == ["toy: training", "toy: inference"]
    assert all(r.alternative is None and r.ratio is None and r.verdict == "" and r.ours > 0 for r in rows)


ROWS = [
    Row("generation", 12345.6, "chars/s", "compiled", alternative=15.0, alternative_label="per char",
        budget=100.0),
    Row("overhead", 1.06, "s per fit", "workbench", alternative=1.0, alternative_label="bare",
        higher_is_better=False, budget=0.95),
    Row("throughput", 70701.2, "chars/s", "model.predict"),
]


def test_table_shows_ratios_verdicts_and_throughput_rows_without_an_alternative():
    lines = run.table(ROWS).splitlines()
    assert lines[2] == ("| generation | 12,346 (compiled) | 15 (per char) | 823.0x | chars/s "
                        "| >= 100x: met |")
    assert lines[3] == "| overhead | 1.06 (workbench) | 1 (bare) | 0.94x | s per fit | >= 0.95x: MISSED |"
    assert lines[4] == "| throughput | 70,701 (model.predict) | - | - | chars/s |  |"


def test_main_writes_the_table_and_json(tmp_path, monkeypatch, capsys):
    class FakeCase:
        @staticmethod
        def measure(quick):
            return ROWS if quick else []

    monkeypatch.setattr(run, "CASES", {"fake": FakeCase})
    monkeypatch.setattr(run, "machine", lambda: "test machine")
    out = tmp_path / "latest.json"
    monkeypatch.setattr(sys, "argv", ["run", "--quick", "--json", str(out)])
    run.main()
    assert "| throughput | 70,701" in capsys.readouterr().out
    saved = json.loads(out.read_text())
    assert saved["quick"] is True
    assert [(r["ratio"] is None, r["verdict"]) for r in saved["rows"]] == [
        (False, "met"), (False, "MISSED"), (True, "")]


def test_child_timing_stops_at_the_marker_and_reports_failures():
    assert startup.child_seconds(["-c", "print('READY', flush=True)"], until_line="READY") > 0
    with pytest.raises(RuntimeError, match="READY not reached"):
        startup.child_seconds(["-c", "print('something else')"], until_line="READY")
    with pytest.raises(RuntimeError, match="exit 3"):
        startup.child_seconds(["-c", "import sys; sys.exit(3)"])


def test_start_up_children_cache_bytecode_for_both_sides_in_a_folder_of_their_own(monkeypatch):
    """Ours compiled at every launch and TensorFlow's cached would not be a fair race."""
    import importlib

    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    fresh = importlib.reload(startup)
    assert "PYTHONDONTWRITEBYTECODE" not in fresh._ENV
    cache = fresh._ENV["PYTHONPYCACHEPREFIX"]
    assert os.path.isdir(cache) and not os.listdir(cache)
    fresh.child_seconds(["-c", "import benchmarks.common"])
    assert any(name.endswith(".pyc") for _, _, names in os.walk(cache) for name in names)


def test_start_up_children_have_no_remembered_lesson_and_take_the_language_asked(monkeypatch, tmp_path):
    """The developer's own preferences (a lesson, a language) must not change what is timed."""
    import importlib

    monkeypatch.setenv("WORKBENCH_CONFIG_DIR", str(tmp_path / "mine"))
    fresh = importlib.reload(startup)
    config, cache = fresh._ENV["WORKBENCH_CONFIG_DIR"], fresh._ENV["WORKBENCH_CACHE_DIR"]
    assert str(tmp_path) not in config and str(tmp_path) not in cache
    report = tmp_path / "seen.json"
    fresh.child_seconds(["-c", "import json, os, sys; json.dump({k: os.environ.get(k) for k in "
                               "('WORKBENCH_LANG', 'WORKBENCH_CONFIG_DIR', 'WORKBENCH_CACHE_DIR')}, "
                               f"open({str(report)!r}, 'w'))"], env={"WORKBENCH_LANG": "zh"})
    assert json.loads(report.read_text()) == {"WORKBENCH_LANG": "zh", "WORKBENCH_CONFIG_DIR": config,
                                              "WORKBENCH_CACHE_DIR": cache}
