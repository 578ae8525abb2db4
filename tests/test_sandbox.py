"""The learner's code cannot forge a verdict: it runs in a sandbox that only computes, and
the workbench judges what comes back. Each test is an attack or an accident a learner's
file could hold, checked through the real `workbench check` path (`exercises.check`)."""

from __future__ import annotations

import os
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import run_cli, solved_source
from workbench.course import exercises, sandbox, wire

RIGHT_VOTE = """
def predict_labels(dists, y_train, k=1):
    nearest = np.argsort(dists, axis=1, kind="stable")[:, :k]
    counts = (y_train[nearest][..., None] == np.arange(int(y_train.max()) + 1)).sum(axis=1)
    return np.argmax(counts, axis=1)
"""
WRONG_VOTE = """
def predict_labels(dists, y_train, k=1):
    return np.zeros(len(dists), dtype=int)
"""


def checked(folder: Path, source: str, target: str = "knn.predict_labels", timeout: float = 20):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{target.split('.')[0]}.py").write_text("import numpy as np\n" + textwrap.dedent(source))
    (outcome,) = exercises.check([target], folder, timeout=timeout)
    return outcome


FORGERIES = {
    "a verdict printed on stdout, then a hard exit": """
import json, os
os.write(1, json.dumps({"status": "pass", "message": "every check passed"}).encode() + b"\\n")
os._exit(0)
""",
    "NumPy's comparisons patched to agree": """
np.allclose = lambda *a, **k: True
np.isclose = lambda a, b, **k: np.ones(np.shape(a), bool)
np.array_equal = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
""",
    "the checker's own failure class patched away": """
import sys
for module in list(sys.modules.values()):
    if hasattr(module, "Failed"):
        module.Failed = type("Failed", (Exception,), {})
    if hasattr(module, "expect_close"):
        module.expect_close = lambda value, *a, **k: value
""",
    "forged answers written to every open file descriptor": """
from workbench.course import wire
for fd in range(3, 256):
    try:
        os.write(fd, wire.encode({"ready": ["predict_labels"]})
                 + wire.encode({"returned": "pass", "changed": {}}) * 5)
    except OSError:
        pass
import os
""",
    "a pickle that would run code in the reader": """
import os, pickle, struct
payload = pickle.dumps(os.system)
for fd in range(3, 256):
    try:
        os.write(fd, struct.pack("<Q", len(payload)) + payload)
    except OSError:
        pass
""",
}


@pytest.mark.parametrize("attack", list(FORGERIES))
def test_a_wrong_answer_is_never_a_pass_whatever_the_file_does(attack, tmp_path):
    source = "import os\n" + textwrap.dedent(FORGERIES[attack]) + WRONG_VOTE
    outcome = checked(tmp_path / "ws", source)
    assert outcome.status in ("fail", "error"), (attack, outcome)


def test_a_forged_verdict_and_exit_is_an_error_naming_the_exit(tmp_path):
    outcome = checked(tmp_path / "ws", "import os\n" + FORGERIES["a verdict printed on stdout, then a hard exit"])
    assert outcome.status == "error"
    assert outcome.message.startswith("the process running your code ended before answering (exit code 0)")
    # Its output is shown, as output: a learner sees what their code printed.
    assert '{"status": "pass", "message": "every check passed"}' in outcome.message


def test_the_cli_reports_the_forgery_as_an_error_and_exits_1(tmp_path):
    folder = tmp_path / "ws"
    folder.mkdir()
    (folder / "knn.py").write_text("import os, json\n" + textwrap.dedent(
        FORGERIES["a verdict printed on stdout, then a hard exit"]))
    proc = run_cli("check", "knn", "--workspace", str(folder), "--json")
    assert proc.returncode == 1
    import json

    report = json.loads(proc.stdout)
    assert report["passed"] == 0 and {e["status"] for e in report["exercises"]} == {"error"}
    listed = json.loads(run_cli("exercises", "--json", "--workspace", str(folder)).stdout)
    assert {e["status"] for e in listed["exercises"] if e["lesson"] == "knn"} == {"error"}


def test_processes_the_code_starts_end_with_the_check_and_do_not_cost_a_timeout(tmp_path):
    pids_file = tmp_path / "pids.txt"
    source = f"""
import subprocess
pids = [subprocess.Popen(["sleep", "100"]).pid for _ in range(50)]
pids += [subprocess.Popen(["sleep", "100"], start_new_session=True).pid for _ in range(3)]
open({str(pids_file)!r}, "w").write(" ".join(map(str, pids)))
""" + RIGHT_VOTE
    started = time.monotonic()
    outcome = checked(tmp_path / "ws", source, timeout=20)
    assert outcome.status == "pass", outcome
    assert time.monotonic() - started < 20  # not the timeout: nothing waits on the sleepers
    pids = [int(p) for p in pids_file.read_text().split()]
    assert len(pids) == 53
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.05)
    assert [pid for pid in pids if _alive(pid)] == []  # the three that left the session too


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_the_code_runs_in_a_scratch_folder_that_is_removed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    where = tmp_path / "where.txt"
    source = f"""
import os
open("junk.txt", "w").write("x")
open({str(where)!r}, "w").write(os.getcwd())
""" + RIGHT_VOTE
    assert checked(tmp_path / "ws", source).status == "pass"
    scratch = Path(where.read_text())
    assert scratch != tmp_path and scratch != tmp_path / "ws"
    assert not (tmp_path / "junk.txt").exists() and not (tmp_path / "ws" / "junk.txt").exists()
    assert not scratch.exists()


def test_the_memory_limit_cannot_be_raised_by_the_code(tmp_path):
    said = tmp_path / "said.txt"
    source = f"""
import resource
try:
    resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    open({str(said)!r}, "w").write("raised")
except (ValueError, OSError) as refused:
    open({str(said)!r}, "w").write("refused")

def predict_labels(dists, y_train, k=1):
    return np.ones((1 << 20, 1 << 14))
"""
    outcome = checked(tmp_path / "ws", source)
    assert said.read_text() == "refused"
    assert (outcome.status, outcome.message) == (
        "error", "ran out of memory (more than 4 GiB asked for): look for a huge array")


def test_an_import_that_never_ends_is_a_timeout(tmp_path):
    outcome = checked(tmp_path / "ws", "while True:\n    pass\n" + RIGHT_VOTE, timeout=2)
    assert (outcome.status, outcome.message) == ("timeout", "still running after 2 s (an endless loop?); stopped")


def test_a_name_bound_by_import_is_not_read_for_loops(tmp_path):
    """The no-loops rule reads the learner's source from the file, never asks their process."""
    outcome = checked(tmp_path / "ws", "from lessons.knn.exercises import compute_distances_no_loops\n",
                      target="knn.compute_distances_no_loops")
    assert (outcome.status, outcome.message) == (
        "fail", "compute_distances_no_loops is not a def in knn.py: write it as a function there, "
                "so the check can read it")
    helper_loop = """
def compute_distances_no_loops(X, X_train):
    return distances(X, X_train)

def distances(X, X_train):
    return np.array([np.sqrt(((X_train - x) ** 2).sum(1)) for x in X])
"""
    outcome = checked(tmp_path / "ws", helper_loop, target="knn.compute_distances_no_loops")
    assert outcome.status == "fail" and outcome.message.startswith("line 7 is a Python loop"), outcome


# -- --mine: the learner's functions in the sandbox, never in the workbench ---------------

def test_mine_runs_the_learners_functions_in_another_process(tmp_path):
    from workbench.running import runner

    folder = tmp_path / "ws"
    folder.mkdir()
    pids = tmp_path / "pids.txt"
    (folder / "knn.py").write_text(solved_source("knn") + textwrap.dedent(f"""
        import os
        with open({str(pids)!r}, "a") as log:
            log.write(f"{{os.getpid()}}\\n")
        """))
    request = runner.prepare("knn", {"folds": 0}, None, 0)
    with exercises.mine_functions("knn", request.settings.mine_uses(), folder) as mine:
        box = mine.box
        metrics = runner.execute(request, models_dir=tmp_path / "m", mine=mine).metrics
    assert metrics["mine_agreement"] == 1.0
    seen = {int(line) for line in pids.read_text().split()}
    assert os.getpid() not in seen and box.process.pid in seen
    assert box.process.poll() is not None and not box.scratch.exists()  # closed with the run


def test_a_mine_function_that_fails_mid_run_is_one_line(tmp_path):
    folder = tmp_path / "ws"
    folder.mkdir()
    (folder / "knn.py").write_text(solved_source("knn") + textwrap.dedent("""
        import os
        _checked = os.environ.get("WORKBENCH_SANDBOX")
        _calls = []
        _original = predict_labels
        def predict_labels(dists, y_train, k=1):
            if dists.shape[0] > 100:  # the run's call, not the check's
                raise RuntimeError("only in the run")
            return _original(dists, y_train, k)
        """))
    proc = run_cli("run", "knn", "--mine", "--set", "folds=0", "--workspace", str(folder),
                   "--models-dir", str(tmp_path / "m"))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.splitlines()[-1] == ("workbench: error: your predict_labels failed during "
                                            "the run: RuntimeError: only in the run")


# -- the wire: data only ----------------------------------------------------------------------

def test_values_cross_the_wire_unchanged():
    rng = np.random.default_rng(5)
    rng.normal(size=3)
    value = {"x": np.arange(6.0).reshape(2, 3), "n": 3, "f": 2.5, "none": None, "flag": True,
             "pair": (np.int64(4), [np.float32(1.5), "text"]), "rng": rng,
             "ints": np.array([1, 2], dtype=np.uint8), "empty": np.zeros((0, 4))}
    back = wire.decode(wire.encode(value)[wire.LENGTH.size:])
    assert back.keys() == value.keys()
    np.testing.assert_array_equal(back["x"], value["x"])
    assert back["x"].flags.writeable and back["ints"].dtype == np.uint8 and back["empty"].shape == (0, 4)
    assert back["pair"] == (4, [1.5, "text"]) and type(back["pair"]) is tuple
    assert isinstance(back["pair"][0], np.int64) and isinstance(back["pair"][1][0], np.float32)
    assert (back["n"], back["f"], back["none"], back["flag"]) == (3, 2.5, None, True)
    assert back["rng"].normal() == rng.normal()  # the same state: the same next draw


def test_what_cannot_cross_is_named_not_run():
    back = wire.decode(wire.encode([lambda: 0, object(), np.array(["a"], dtype=object)])[wire.LENGTH.size:])
    assert [v.type_name for v in back] == ["function", "object", "array of object"]
    for garbage in (b"", b"\x05\x00\x00\x00\x00\x00\x00\x00{bad}",
                    wire.encode({"x": np.zeros(4)})[wire.LENGTH.size:-8],  # an array cut short
                    _frame({"tree": {"a": 0}, "arrays": [["|O", [1]]]}),  # object dtype
                    _frame({"tree": {"g": {"d": [["bit_generator", {"s": "os.system"}]]}}, "arrays": []}),
                    _frame({"tree": {"q": 1}, "arrays": []})):
        with pytest.raises(wire.Malformed):
            wire.decode(garbage)


def _frame(header: dict) -> bytes:
    import json

    text = json.dumps(header).encode()
    return wire.LENGTH.pack(len(text)) + text


def test_arguments_changed_in_place_are_changed_for_the_caller(tmp_path):
    path = tmp_path / "inplace.py"
    path.write_text(textwrap.dedent("""
        import numpy as np
        def update(x, state, rng):
            x *= 2
            state["seen"] = state.get("seen", 0) + 1
            return int(rng.integers(1000))
        """))
    with sandbox.Sandbox(path, ["update"], timeout=20) as box:
        x, state, rng = np.arange(3.0), {}, np.random.default_rng(0)
        here = np.random.default_rng(0)
        function = box.function("update")
        draws = [function(x, state, rng) for _ in range(2)]
    np.testing.assert_array_equal(x, [0.0, 4.0, 8.0])  # doubled twice, there and so here
    assert state == {"seen": 2}
    assert draws == [int(here.integers(1000)) for _ in range(2)]  # the caller's generator moved on


def test_one_exercise_ending_the_process_does_not_cost_the_others(tmp_path):
    folder = tmp_path / "ws"
    folder.mkdir()
    (folder / "knn.py").write_text(solved_source("knn") + textwrap.dedent("""
        import os
        def compute_distances_two_loops(X, X_train):
            os._exit(3)
        """))
    outcomes = exercises.check(["knn"], folder, timeout=20)
    assert [o.status for o in outcomes] == ["error", "pass", "pass"]
    assert "(exit code 3)" in outcomes[0].message


def test_a_file_that_never_imports_costs_one_timeout_not_one_per_exercise(tmp_path):
    folder = tmp_path / "ws"
    folder.mkdir()
    (folder / "knn.py").write_text("while True:\n    pass\n")
    started = time.monotonic()
    outcomes = exercises.check(["knn"], folder, timeout=2)
    assert [o.status for o in outcomes] == ["timeout"] * 3
    assert time.monotonic() - started < 5  # one wait of 2 s; three would be 6


def test_a_sandbox_started_early_is_not_timed_out_for_waiting_on_the_workbench(tmp_path):
    """The next lesson's sandbox imports while this one's checks run; a long wait on the
    workbench's side is not the learner's time."""
    path = tmp_path / "quick.py"
    path.write_text("def double(x):\n    return 2 * x\n")
    box = sandbox.Sandbox(path, ["double"], timeout=1)
    try:
        time.sleep(1.5)  # the workbench busy elsewhere, past the sandbox's whole budget
        assert box.function("double")(21) == 42
    finally:
        box.close()
