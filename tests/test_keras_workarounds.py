"""Keras problems the workbench works around, each reproduced directly: while the problem
is there the test passes; the day a Keras release fixes it, the test fails and names the
workaround that can go.

Plain assertions, not `xfail(strict=True)`: an xfail would also count as "still broken"
any other error (TensorFlow failing to start, a timeout, a typo here), and so could pass
for ever without telling anything. Here the test passes only on the very error Keras is
known for, fails with "Keras fixed it" when evaluate works, and fails showing the output
when anything else happens.
"""

import json
import os
import subprocess
import sys

# Two logical CPUs must be set before TensorFlow starts, so this runs in a process of its
# own (the test process may have started TensorFlow already). 359 samples, as the digits'
# validation split: under two replicas the last batch splits 180 + 179.
MIRRORED_EVALUATE = """
import json
import numpy as np
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import keras
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
with strategy.scope():
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(3)])
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["sparse_categorical_accuracy"])
x = np.random.default_rng(0).random((359, 8, 8, 1), dtype="float32")
y = np.random.default_rng(1).integers(0, 3, 359)
data = tf.data.Dataset.from_tensor_slices((x, y)).batch(512)
out = {"keras": keras.__version__, "replicas": strategy.num_replicas_in_sync,
       "predicted": list(model.predict(data, verbose=0).shape)}
try:
    model.evaluate(data, verbose=0)
    out["evaluate"] = "worked"
except tf.errors.InvalidArgumentError as exc:
    out["evaluate"] = str(exc)
print(json.dumps(out))
"""


def test_mirrored_evaluate_still_fails_on_an_uneven_last_batch():
    """lessons/common.py's `split_accuracies` scores with `model.predict`, not
    `model.evaluate`: under a MirroredStrategy Keras' evaluate fails when the last batch
    does not split evenly across the replicas, where predict gathers it fine."""
    proc = subprocess.run([sys.executable, "-c", MIRRORED_EVALUATE], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "CUDA_VISIBLE_DEVICES": ""})  # CPUs only
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["replicas"] == 2 and out["predicted"] == [359, 3]  # the workaround's way works
    assert out["evaluate"] != "worked", (
        f"Keras fixed it (Keras {out['keras']}): the workaround in lessons/common.py "
        "(split_accuracies: model.predict instead of model.evaluate) can go")
    assert "AddN" in out["evaluate"] and "[180,8,8,1] != " in out["evaluate"], out["evaluate"]
