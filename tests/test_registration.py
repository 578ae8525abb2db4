"""A saved model reloads with plain Keras in a fresh program, whichever is imported first."""

import subprocess
import sys

import pytest


@pytest.mark.parametrize("imports", ["import workbench, keras", "import keras, workbench",
                                     "import lessons, keras"])
def test_plain_load_model_after_importing_workbench(saved_knn, imports):
    code = (f"{imports}\n"
            f"m = keras.models.load_model({str(saved_knn)!r})\n"
            "print(type(m.get_layer('knn')).__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "KNearestNeighbors"
