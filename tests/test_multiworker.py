"""`--distribute multiworker`: TensorFlow's MultiWorkerMirroredStrategy over processes,
proven with two CPU workers on localhost.

The reference for "it trains as one process would" is a one-process run of the same
lesson with the same global batch; the faults (a worker killed, a worker that cannot
start, Ctrl+C, a port taken) are caused for real and the processes looked for after.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import h5py
import numpy as np
import pytest

import workbench
from tests.conftest import one_line_error, recorded_outcomes, run_cli
from workbench.running import cluster
from workbench.tui.widgets.run_panel import distribute_line

MULTI = ("--distribute", "multiworker")
TWO = (*MULTI, "--workers", "2")


def marked_env(**extra: str) -> dict[str, str]:
    """An environment whose mark every process of the run inherits, to find them after."""
    return {"WORKBENCH_TEST_RUN": uuid.uuid4().hex, **extra}


def processes_marked(mark: str) -> list[int]:
    """Live processes (not zombies) whose environment carries `mark`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if f"WORKBENCH_TEST_RUN={mark}".encode() not in (entry / "environ").read_bytes():
                continue
            if (entry / "stat").read_text().split()[2] != "Z":
                found.append(int(entry.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def meta_metric(folder, name: str):
    return model_meta(folder / "models" / "linear-softmax.h5")["metrics"][name]


def model_meta(path) -> dict:
    with h5py.File(path, "r") as f:
        return json.loads(f.attrs["workbench"])


# -- refused before any work --------------------------------------------------------------

REFUSED = [
    (("run", "knn", *TWO), {}, "lesson 'knn' cannot train across workers"),
    (("run", "linear", *MULTI, "--workers", "0"), {}, "workers must be 1..64; got 0"),
    (("run", "linear", *MULTI, "--workers", "-1"), {}, "workers must be 1..64; got -1"),
    (("run", "linear", *MULTI, "--workers", "1.5"), {}, "workers: expected an integer, got '1.5'"),
    (("run", "linear", *MULTI, "--workers", "two"), {}, "workers: expected an integer, got 'two'"),
    (("run", "linear", "--workers", "2"), {}, "--workers applies to --distribute multiworker only"),
    (("run", "linear", *MULTI), {"TF_CONFIG": ""}, "needs --workers N"),
    (("run", "linear", *MULTI), {"TF_CONFIG": "{not json"}, "TF_CONFIG is not a cluster description"),
    (("run", "linear", *MULTI), {"TF_CONFIG": cluster.tf_config([1, 2], 5)},
     "TF_CONFIG's task worker 5 is not in its cluster"),
    (("run", "linear", *TWO), {"TF_CONFIG": cluster.tf_config([1, 2], 0)},
     "TF_CONFIG describes one already"),
    (("run", "linear", *TWO, "--mine"), {}, "does not combine with --distribute multiworker"),
    (("run", "linear", "--set", "method=random_search", *TWO), {},
     "linear: method=random_search searches in NumPy, in one process, without Keras' fit"),
    (("run", "backprop", "--set", "example=staged", *TWO), {},
     "backprop: example=staged works a graph by hand, without Keras' fit"),
    (("--workers", "0"), {}, "workers must be 1..64; got 0"),
    (("--workers", "2", "runs"), {}, "--workers before a command is the app's"),
]


@pytest.mark.parametrize("args, env, says", REFUSED, ids=[" ".join(a[1:]) for a, _, _ in REFUSED])
def test_what_cannot_run_across_workers_exits_2_before_any_work(args, env, says, tmp_path):
    proc = run_cli(*args, "--models-dir", str(tmp_path / "models"), env=env)
    assert proc.returncode == 2, proc.stderr
    assert says in one_line_error(proc)
    assert not (tmp_path / "models").exists()  # no history row: the run never began


def test_the_backprop_graph_cannot_run_across_workers(tmp_path):
    proc = run_cli("run", "backprop", *TWO, "--models-dir", str(tmp_path / "models"))
    assert proc.returncode == 2, proc.stderr
    assert one_line_error(proc) == (
        "workbench: error: backprop: example=add_mul works a graph by hand, without Keras' fit; "
        "only example=network trains; run it without --distribute multiworker")
    assert not (tmp_path / "models").exists()


def test_the_tf_config_of_a_cluster_names_this_process():
    config = lambda kind, index: json.dumps({  # noqa: E731
        "cluster": {"chief": ["a:1"], "worker": ["b:1", "c:1"]},
        "task": {"type": kind, "index": index}})
    assert cluster.joined_task({"TF_CONFIG": config("chief", 0)}) == cluster.Task(3, 0)
    assert cluster.joined_task({"TF_CONFIG": config("worker", 1)}) == cluster.Task(3, 2)
    assert cluster.joined_task({"TF_CONFIG": cluster.tf_config([5, 6], 1)}).chief is False
    ports = cluster.free_ports(3)
    assert len(set(ports)) == 3
    for port in ports:  # each can be bound now
        with socket.socket() as s:
            s.bind(("localhost", port))


def test_the_run_tab_line_says_what_trained():
    what = {"strategy": "MultiWorkerMirroredStrategy", "workers": 2, "replicas": 2}
    assert distribute_line(what, "en") == ("trained with MultiWorkerMirroredStrategy: 2 workers, "
                                           "2 replicas")
    assert distribute_line(what, "zh") == "用 MultiWorkerMirroredStrategy 训练：2 个 worker，2 个副本"
    mirrored = {"strategy": "MirroredStrategy", "workers": 1, "replicas": 2}
    assert distribute_line(mirrored, "en") == "trained with MirroredStrategy: 2 replicas"


# -- two workers train as one process does ------------------------------------------------

def test_two_local_workers_train_linear_as_one_process_with_that_batch(tmp_path):
    env = marked_env(WORKBENCH_TENSORBOARD="1")
    proc = run_cli("run", "linear", "--set", "epochs=3", *TWO, "--json", "--quiet",
                   "--models-dir", str(tmp_path / "multi"), env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    result = json.loads(proc.stdout)
    assert result["distribute"] == {"strategy": "MultiWorkerMirroredStrategy", "workers": 2,
                                    "replicas": 2, "worker": 0}
    assert processes_marked(env["WORKBENCH_TEST_RUN"]) == []  # no worker outlives the run

    one = workbench.run("linear", epochs=3, models_dir=str(tmp_path / "one"), record=False)
    assert one.distribute is None
    multi, single = result["metrics"], one.metrics
    # The same weights to start from and the same loss: not divided by the replicas.
    assert multi["initial_loss"] == pytest.approx(single["initial_loss"], rel=1e-4)
    # The global batch of 64 split 32 + 32: the same steps, summed in another order.
    assert multi["final_loss"] == pytest.approx(single["final_loss"], rel=0.03)
    assert abs(multi["test_accuracy"] - single["test_accuracy"]) <= 0.02
    meta = model_meta(result["model_path"])
    single_meta = model_meta(one.model_path)
    for mine, theirs in zip(meta["history"], single_meta["history"]):
        assert mine["loss"] == pytest.approx(theirs["loss"], rel=0.03)
    assert meta["distribute"] == result["distribute"] and meta["replicas"] == 2

    # The chief alone kept the model, the history row and the TensorBoard logs.
    kept = sorted(p.name for p in (tmp_path / "multi").iterdir())
    assert kept == ["history.sqlite", "linear-softmax.h5", "tensorboard"]
    assert recorded_outcomes(tmp_path / "multi") == [("linear", "done", None)]
    (board,) = (tmp_path / "multi" / "tensorboard").iterdir()
    assert [p.name for p in board.iterdir()] == ["01-train"]


KERAS_UNFIXED = """
import json, os, sys
os.environ["TF_CONFIG"] = sys.argv[1]
import numpy as np, tensorflow as tf, keras
from workbench.running import keras_fixes
strategy = tf.distribute.MultiWorkerMirroredStrategy()
x = np.random.default_rng(0).random((64, 4), dtype="float32")
y = np.random.default_rng(1).integers(0, 3, 64)
with strategy.scope():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer="sgd", loss=loss)
data = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
out = {"keras": keras.__version__}
def said(exc):  # its start and its end: a value it quotes sits between
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text if len(text) < 300 else text[:100] + " ... " + text[-200:]
def fit(name):
    try:
        model.fit(data, epochs=1, verbose=0)
        out[name] = "worked"
    except Exception as exc:
        out[name] = said(exc)
with strategy.scope():
    fit("fit")
    with keras_fixes._replaced(keras.src.backend.tensorflow.trainer.TensorFlowTrainer,
                               "_maybe_symbolic_build", keras_fixes._build_from_local_batch):
        fit("fit_built_locally")
    with keras_fixes.multi_worker_training():
        fit("fit_fixed")
    scores = model(x)
    out["loss_in_scope"] = float(loss(y, scores))
    with keras_fixes.losses_outside_steps():
        out["loss_fixed"] = float(loss(y, scores))
out["loss_alone"] = float(loss(y, scores))

def probe_gradient():
    with tf.GradientTape() as tape:
        probe = loss(y, model(x))
    return [g.numpy().tolist() for g in tape.gradient(probe, model.trainable_variables)]

def bowl_step():
    w = keras.Variable([1.0, -2.0])
    optimizer = keras.optimizers.SGD(0.1)
    optimizer.apply_gradients([(2 * w.value, w)])  # the bowl sum(w^2)'s gradient, no tape
    return w.numpy().tolist()

with strategy.scope():
    for name, measure in (("gradient", probe_gradient), ("bowl", bowl_step)):
        try:
            measure()
            out[name] = "worked"
        except Exception as exc:
            out[name] = said(exc)
        with keras_fixes.losses_outside_steps(), keras_fixes.measurements_outside_steps():
            out[name + "_fixed"] = measure()
out["gradient_alone"] = probe_gradient()
out["bowl_alone"] = [0.8, -1.6]  # w - 0.1 * 2w, by hand
print(json.dumps(out))
"""


def test_keras_still_needs_the_multi_worker_fixes():
    """workbench.running.keras_fixes, each correction reproduced: while Keras needs it this
    passes; the day Keras is fixed, it fails naming the correction that can go."""
    ports = cluster.free_ports(2)
    procs = [subprocess.Popen([sys.executable, "-c", KERAS_UNFIXED, cluster.tf_config(ports, i)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
             for i in range(2)]
    outs = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stderr[-3000:]
        outs.append(json.loads(stdout.strip().splitlines()[-1]))
    out = outs[0]
    gist = lambda said: {k: v[:60] if isinstance(v, str) else v for k, v in said.items()}  # noqa: E731
    assert gist(outs[1]) == gist(out)  # both workers saw the same (errors quote their own shard)
    assert out["fit"] != "worked", f"Keras {out['keras']} builds from a distributed batch: " \
        "keras_fixes._build_from_local_batch can go"
    assert "PerReplica" in out["fit"] and "unsupported type" in out["fit"], out["fit"]
    assert out["fit_built_locally"] != "worked", f"Keras {out['keras']} reduces scalar logs: " \
        "keras_fixes._mean_over_replicas can go"
    assert "Invalid reduction dimension 0" in out["fit_built_locally"], out["fit_built_locally"]
    assert out["fit_fixed"] == "worked"
    assert out["loss_in_scope"] == pytest.approx(out["loss_alone"] / 2, rel=1e-6), \
        f"Keras {out['keras']} no longer divides a loss outside a step: losses_outside_steps can go"
    assert out["loss_fixed"] == pytest.approx(out["loss_alone"], rel=1e-6)
    assert "DistributedVariable.handle is not available" in out["gradient"], \
        f"Keras {out['keras']} takes a tape's gradient outside a step: the handle fix can go"
    for fixed, alone in zip(out["gradient_fixed"], out["gradient_alone"]):
        np.testing.assert_allclose(fixed, alone, rtol=1e-6)
    assert "merge_call" in out["bowl"], \
        f"Keras {out['keras']} steps an optimizer outside a step: the merge fix can go"
    assert out["bowl_fixed"] == pytest.approx(out["bowl_alone"], rel=1e-6)


# -- faults (slow: each forms a cluster) ---------------------------------------------------

def start_long_run(tmp_path, env: dict) -> tuple[subprocess.Popen, list[str]]:
    """A multi-worker linear run long enough to be stopped, once its training is under way."""
    proc = subprocess.Popen([sys.executable, "-m", "workbench", "run", "linear", "--set",
                             "epochs=500", *TWO, "--models-dir", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **env})
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if line.startswith("epoch 2"):
            return proc, seen
    raise AssertionError("".join(seen))


def workers_of(mark: str, chief: int) -> list[int]:
    return [pid for pid in processes_marked(mark) if pid != chief]


@pytest.mark.slow
def test_a_worker_that_dies_ends_the_run_in_one_line_with_nothing_saved(tmp_path):
    env = marked_env()
    proc, _ = start_long_run(tmp_path, env)
    (worker,) = workers_of(env["WORKBENCH_TEST_RUN"], proc.pid)
    os.kill(worker, signal.SIGKILL)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 1
    last = stderr.strip().splitlines()[-1]
    assert last == "workbench: error: worker 1 of 2 failed (killed by SIGKILL); nothing was saved"
    assert "Traceback" not in stderr
    assert not list(tmp_path.glob("*.h5"))
    assert recorded_outcomes(tmp_path) == [("linear", "failed", last)]
    assert processes_marked(env["WORKBENCH_TEST_RUN"]) == []


SITECUSTOMIZE = """
import sys
if "workbench.running.worker" in sys.orig_argv:
    import os
    sys.stderr.write("TensorFlow is not installed here\\n")
    sys.stderr.flush()
    os._exit(3)
"""


@pytest.mark.slow
def test_a_worker_that_cannot_start_is_named_with_its_last_line(tmp_path):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text(textwrap.dedent(SITECUSTOMIZE))
    env = marked_env(PYTHONPATH=os.pathsep.join([str(tmp_path / "site"),
                                                 os.environ.get("PYTHONPATH", "")]))
    proc = run_cli("run", "linear", *TWO, "--models-dir", str(tmp_path / "models"), env=env)
    assert proc.returncode == 1
    assert one_line_error(proc) == ("workbench: error: worker 1 of 2 could not start (exit code "
                                    "3): TensorFlow is not installed here; nothing was saved")
    assert not (tmp_path / "models").exists() or not list((tmp_path / "models").glob("*.h5"))
    assert processes_marked(env["WORKBENCH_TEST_RUN"]) == []


@pytest.mark.slow
def test_ctrl_c_stops_every_worker(tmp_path):
    env = marked_env()
    proc, _ = start_long_run(tmp_path, env)
    assert len(workers_of(env["WORKBENCH_TEST_RUN"], proc.pid)) == 1
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert stderr.strip().splitlines()[-1] == "workbench: interrupted; nothing was saved"
    assert not list(tmp_path.glob("*.h5"))
    assert recorded_outcomes(tmp_path) == [("linear", "cancelled", None)]
    assert processes_marked(env["WORKBENCH_TEST_RUN"]) == []


TAKEN_FIRST = """
import sys
from workbench.running import cluster
taken, picks = int(sys.argv[1]), []
real = cluster.free_ports
def free_ports(count):
    picks.append(count)
    ports = real(count)
    if len(picks) == 1:  # the first pick loses one port to another program
        ports[int(sys.argv[2])] = taken
    return ports
cluster.free_ports = free_ports
from workbench.cli.main import main
code = main(sys.argv[3:])
print("picks", len(picks), file=sys.stderr)
sys.exit(code)
"""


@pytest.mark.slow
@pytest.mark.parametrize("whose", [0, 1], ids=["chief's port", "worker's port"])
def test_a_port_taken_meanwhile_starts_the_cluster_again(whose, tmp_path):
    with socket.socket() as other_program:
        other_program.bind(("localhost", 0))
        other_program.listen()
        port = other_program.getsockname()[1]
        proc = subprocess.run([sys.executable, "-c", TAKEN_FIRST, str(port), str(whose), "run",
                               "linear", "--set", "epochs=1", *TWO, "--json", "--quiet",
                               "--models-dir", str(tmp_path)],
                              capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "picks 2"
    assert json.loads(proc.stdout)["distribute"]["workers"] == 2


@pytest.mark.slow
def test_each_machine_runs_the_same_command_to_join_a_cluster(tmp_path):
    """The README's two-machine example, on one machine: TF_CONFIG names each one's task."""
    ports = cluster.free_ports(2)
    command = [sys.executable, "-m", "workbench", "run", "linear", "--set", "epochs=2", *MULTI]
    procs = [subprocess.Popen([*command, "--models-dir", str(tmp_path / f"machine{i}")],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "TF_CONFIG": cluster.tf_config(ports, i)})
             for i in (1, 0)]
    outputs = [proc.communicate(timeout=300) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], [err for _, err in outputs]
    worker_out, chief_out = (" ".join(out.split()) for out, _ in outputs)  # unwrapped
    assert "this was worker 1" in worker_out and "kept by the chief (worker 0)" in worker_out
    assert not (tmp_path / "machine1").exists()  # the worker kept nothing
    assert "this was worker 0 (the chief)" in chief_out
    assert (tmp_path / "machine0" / "linear-softmax.h5").exists()
    assert recorded_outcomes(tmp_path / "machine0") == [("linear", "done", None)]


@pytest.mark.slow
def test_a_tiny_resnet_across_two_workers_trains_as_one_process(tmp_path):
    knobs = ("--set", "depth=8", "--set", "width=0.25", "--set", "epochs=2", "--set",
             "batch_size=128", "--set", "compare=false", "--json", "--quiet")
    runs = {}
    for name, extra in (("one", ()), ("two", TWO)):
        proc = run_cli("run", "resnet", *knobs, *extra, "--models-dir", str(tmp_path / name))
        assert proc.returncode == 0, proc.stderr
        runs[name] = json.loads(proc.stdout)["metrics"]
    one, two = runs["one"], runs["two"]
    assert two["identity_max_error"] == 0.0
    # Same start (the chief's weights, broadcast), same global batch: the same curve, to
    # the spread of float sums taken in another order.
    for mine, theirs in zip(two["residual_loss_per_epoch"], one["residual_loss_per_epoch"]):
        assert mine == pytest.approx(theirs, rel=0.02)
    assert len(two["residual_first_conv_grad_norm"]) == 3


# -- the app: `workbench --workers N` ------------------------------------------------------

@pytest.mark.parametrize("lesson_id, values, step", [
    ("linear", {"epochs": 2, "learning_rate": 0.25}, None),
    ("backprop", {"example": "network", "hidden": 8}, None),
    ("resnet", {}, 4),
])
def test_the_app_spells_a_run_across_workers_out_for_the_cli(lesson_id, values, step, tmp_path):
    """The child's command, read back by the CLI's own parser, asks for the same run."""
    from workbench.cli.main import build_parser
    from workbench.running import runner
    from workbench.tui.child_run import command

    ready = runner.prepare(lesson_id, values, None, 7, step)
    argv = command(ready, workers=3, models_dir=tmp_path, out=tmp_path / "x.h5", lang="zh")
    assert argv[:3] == [sys.executable, "-m", "workbench"]
    args = build_parser().parse_args(argv[3:])
    again = runner.prepare(args.lesson, dict(a.split("=", 1) for a in args.assignments),
                           args.dataset, args.seed, args.step)
    assert again == ready
    assert (args.distribute, args.workers, args.json, args.lang) == ("multiworker", "3", True, "zh")
    assert (args.models_dir, args.out) == (str(tmp_path), str(tmp_path / "x.h5"))


async def test_the_app_refuses_a_lesson_that_cannot_spread_before_it_starts(tmp_path):
    from tests.test_app import make_app, screen_text

    app = make_app(tmp_path / "models", workers=2)
    async with app.run_test(size=(100, 30)) as pilot:
        # The header says it from the start, before any run, in the app's language.
        assert app.sub_title.endswith("each run across 2 worker processes")
        assert "each run across 2 worker processes" in screen_text(app)
        await pilot.press("ctrl+l")
        assert app.sub_title.endswith("每次运行分布在 2 个 worker 进程上")
        await pilot.press("ctrl+l")
        app.screen.select_lesson("knn")
        await pilot.pause()
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert app.screen.active_run is None
        said = [n.message for n in app._notifications]
        assert any("Not started: lesson 'knn' cannot train across workers" in m for m in said), said
    assert not (tmp_path / "models").exists() or not list((tmp_path / "models").glob("*.h5"))


@pytest.mark.slow
@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_the_app_trains_across_two_workers_and_says_so(lang, tmp_path, monkeypatch):
    from tests.test_app import make_app, run_to_end, set_value
    from textual.widgets import RichLog

    monkeypatch.setenv("WORKBENCH_LANG", lang)
    mark = uuid.uuid4().hex
    monkeypatch.setenv("WORKBENCH_TEST_RUN", mark)
    app = make_app(tmp_path / "models", workers=2)
    async with app.run_test(size=(100, 30)) as pilot:
        app.screen.select_lesson("linear")
        await pilot.pause()
        set_value(app, "linear", "epochs", "2")
        await pilot.press("ctrl+r")
        panel = await run_to_end(app, pilot, timeout=300)
        assert panel.outcome == "done"
        unwrapped = lambda text: "".join(text.split())  # noqa: E731  (wrapped at 100 columns)
        log = unwrapped("".join(line.text for line in panel.query_one("#run-log", RichLog).lines))
        assert unwrapped(distribute_line({"strategy": "MultiWorkerMirroredStrategy",
                                          "workers": 2, "replicas": 2}, lang)) in log
        # the child's events, streamed: its log lines in the app's language, its metrics
        said = "在 2 个 worker 上训练" if lang == "zh" else "training across 2 workers"
        assert unwrapped(said) in log
        assert panel._metrics["test_accuracy"] == meta_metric(tmp_path, "test_accuracy")
    meta = model_meta(tmp_path / "models" / "linear-softmax.h5")
    assert meta["distribute"]["workers"] == 2 and meta["params"]["epochs"] == 2
    assert recorded_outcomes(tmp_path / "models") == [("linear", "done", None)]
    assert processes_marked(mark) == []


ORPHAN = """
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import os, time; "
                          "from workbench.running.lifeline import die_with_parent; "
                          "die_with_parent(os.getppid()); print('alive', flush=True); time.sleep(60)"],
                         stdout=subprocess.PIPE, text=True)
assert child.stdout.readline().strip() == "alive"
print(child.pid, flush=True)
time.sleep(60)
"""


def test_a_child_on_a_lifeline_goes_when_its_parent_is_killed():
    """A worker, or the app's run in a child, when the process that started it is
    SIGKILLed (nothing of it runs to stop them): the kernel ends them too."""
    parent = subprocess.Popen([sys.executable, "-c", ORPHAN], stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 5
    while not gone(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gone(child)


def gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except OSError:
        return True


def test_every_kind_of_event_crosses_to_the_app_as_a_line_and_back():
    import numpy as np

    from workbench.running import events

    sent = [events.Stage("training", 17, epochs=2), events.Progress("training", 3, 17, {"loss": 0.5}),
            events.Log("k=5", {"zh": "k = 5"}, "warning"), events.Metric("test_accuracy", 0.9),
            events.EpochEnd(2, {"loss": 0.25}, "plain"),
            events.Picture("W", [[[0.0, 1.0]]], ["cat"], 1),
            events.Chart("norms", "layer", [1, 2], {"relu": [0.5, 0.25]}, True, {"a": [1.0]}, True),
            events.Artifact("model", "/m/linear.h5")]
    assert {type(e) for e in sent} == set(events.Event.__args__)  # every kind the runner emits
    for event in sent:
        line = events.to_line(event)
        assert "\n" not in line and events.from_line(line) == event
    assert events.from_line(events.to_line(events.Metric("m", np.float32(0.5)))) == events.Metric("m", 0.5)
    assert events.from_line("workbench: error: no") is None
