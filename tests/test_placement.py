"""Devices, mixed precision and MirroredStrategy, proven on the CPU CI has."""

import json
import subprocess
import sys

import h5py
import pytest

import workbench
from tests.conftest import one_line_error, run_cli
from workbench.errors import BadInput
from workbench.running import events


def test_devices_report_names_what_tensorflow_sees():
    proc = run_cli("devices", "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    types = [d["type"] for d in report["devices"]]
    assert "CPU" in types
    gpus = [d for d in report["devices"] if d["type"] == "GPU"]
    assert report["run_device"].startswith(gpus[0]["name"]) if gpus else report["run_device"] == "CPU"


def layer_policies(path):
    with h5py.File(path, "r") as f:
        config = json.loads(f.attrs["model_config"])
    policies = {}
    for layer in config["config"]["layers"]:
        dtype = layer["config"].get("dtype")
        policies[layer["config"]["name"]] = dtype["config"]["name"] if isinstance(dtype, dict) else dtype
    return policies


def test_mixed_precision_on_cpu_runs_bfloat16_says_so_and_matches_float32(tmp_path):
    seen = []
    mixed = workbench.run("linear", epochs=8, precision="mixed", on_event=seen.append,
                          out=str(tmp_path / "mixed.h5"))
    plain = workbench.run("linear", epochs=8, out=str(tmp_path / "plain.h5"))
    notices = [e.text for e in seen if isinstance(e, events.Log) and e.text.startswith("notice:")]
    assert any("mixed_bfloat16" in n for n in notices)
    policies = layer_policies(mixed.model_path)
    assert policies["subtract_mean_image"] == "mixed_bfloat16"
    assert policies["scores"] == "float32"  # the scores, and so the loss, stay in float32
    assert layer_policies(plain.model_path)["subtract_mean_image"] == "float32"
    assert abs(mixed.metrics["test_accuracy"] - plain.metrics["test_accuracy"]) <= 0.02
    assert workbench.results.store.describe(mixed.model_path).metadata["precision"] == "mixed_bfloat16"
    import keras

    assert keras.config.dtype_policy().name == "float32"  # the policy does not leak past the run


MIRRORED_ON_TWO_CPUS = """
import json, tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import workbench
out = {}
for mode in ("none", "mirrored"):
    r = workbench.run("linear", epochs=8, distribute=mode, out=FOLDER + f"/{mode}.h5")
    out[mode] = {"device": r.device, "test_accuracy": r.metrics["test_accuracy"],
                 "final_loss": r.metrics["final_loss"],
                 "replicas": workbench.results.store.describe(r.model_path).metadata["replicas"]}
print(json.dumps(out))
"""


def test_mirrored_strategy_on_two_logical_cpus_matches_one_device(tmp_path):
    code = MIRRORED_ON_TWO_CPUS.replace("FOLDER", repr(str(tmp_path)))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["mirrored"]["device"] == "2 replicas: CPU:0, CPU:1"
    assert out["mirrored"]["replicas"] == 2 and out["none"]["replicas"] == 1
    # Two replicas of batch 64 make a global batch of 128: half the steps, same data.
    assert abs(out["mirrored"]["test_accuracy"] - out["none"]["test_accuracy"]) <= 0.03
    assert out["mirrored"]["final_loss"] == pytest.approx(out["none"]["final_loss"], rel=0.5)


def test_mirrored_with_one_device_says_what_it_did(tmp_path):
    seen = []
    result = workbench.run("linear", epochs=2, distribute="mirrored", on_event=seen.append,
                           models_dir=str(tmp_path))
    assert any("needs two or more devices" in e.text for e in seen if isinstance(e, events.Log))
    assert workbench.results.store.describe(result.model_path).metadata["replicas"] == 1


def test_options_on_a_lesson_that_does_not_train_are_noted(tmp_path):
    seen = []
    workbench.run("knn", folds=0, precision="mixed", on_event=seen.append, models_dir=str(tmp_path))
    assert any("does not train" in e.text for e in seen if isinstance(e, events.Log))


@pytest.mark.parametrize("option, value", [("precision", "double"), ("distribute", "horovod")])
def test_unknown_values_are_bad_input(option, value, tmp_path):
    with pytest.raises(BadInput, match=f"--{option} must be one of"):
        workbench.run("linear", models_dir=str(tmp_path), **{option: value})
    proc = run_cli("run", "linear", f"--{option}", value)
    assert proc.returncode == 2
    assert "invalid choice" in one_line_error(proc)
