import json
import os

import h5py
import numpy as np
import pytest

from workbench.errors import BadInput
from workbench.results import store
from workbench.running.quiet import import_tensorflow
import workbench  # noqa: F401  (registers the lessons' Keras classes)

import_tensorflow()
import keras  # noqa: E402


def tiny_model(seed=0):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((4,))
    return keras.Model(inputs, keras.layers.Dense(3, name="dense")(inputs))


META = {"lesson": "knn", "params": {"k": 3}, "dataset": "digits", "metrics": {"test_accuracy": 0.5},
        "history": [{"epoch": 1, "loss": 0.25}]}


def test_round_trip_keeps_weights_and_metadata(tmp_path):
    model = tiny_model()
    path = store.save_model(model, tmp_path / "m.h5", META)
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")

    reloaded = keras.models.load_model(path)  # plain Keras, no workbench helper
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)

    info = store.describe(path)
    assert info.metadata["lesson"] == "knn"
    assert info.metadata["params"] == {"k": 3}
    assert info.metadata["history"] == [{"epoch": 1, "loss": 0.25}]
    assert info.metadata["schema"] == store.SCHEMA_VERSION
    assert {"tensorflow", "keras"} <= set(info.metadata["versions"])
    assert "created" in info.metadata
    assert [(l.name, l.type, l.params) for l in info.layers][-1] == ("dense", "Dense", 4 * 3 + 3)
    assert info.total_params == model.count_params()


def test_metadata_is_json_in_the_root_attribute(tmp_path):
    path = store.save_model(tiny_model(), tmp_path / "m.h5", {**META, "metrics": {"x": np.float32(0.5)}})
    with h5py.File(path, "r") as f:
        record = json.loads(f.attrs["workbench"])
    assert record["metrics"] == {"x": 0.5}


def test_a_failed_save_leaves_the_previous_model_intact(tmp_path, monkeypatch):
    path = store.save_model(tiny_model(0), tmp_path / "m.h5", META)
    before = path.read_bytes()
    model = tiny_model(1)

    def save_then_interrupt(filepath, *args, **kwargs):
        with open(filepath, "wb") as f:
            f.write(b"half a model")
        raise KeyboardInterrupt

    monkeypatch.setattr(model, "save", save_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        store.save_model(model, path, META)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["m.h5"]  # no temporary left behind


def test_missing_corrupt_and_foreign_files_get_one_clear_error(tmp_path):
    with pytest.raises(BadInput, match="does not exist"):
        store.describe(tmp_path / "nope.h5")
    (tmp_path / "junk.h5").write_bytes(os.urandom(2048))
    with pytest.raises(BadInput, match="not an HDF5 file"):
        store.describe(tmp_path / "junk.h5")
    with h5py.File(tmp_path / "data.h5", "w") as f:
        f["x"] = np.arange(3)
    with pytest.raises(BadInput, match="an HDF5 file but not a Keras model"):
        store.describe(tmp_path / "data.h5")
    good = store.save_model(tiny_model(), tmp_path / "good.h5", META)
    (tmp_path / "truncated.h5").write_bytes(good.read_bytes()[:3000])
    with pytest.raises(BadInput, match="not an HDF5 file"):
        store.describe(tmp_path / "truncated.h5")


def test_load_model_checks_the_kind(tmp_path):
    path = store.save_model(tiny_model(), tmp_path / "m.h5", META)
    model, info = store.load_model(path, lessons=("knn",))
    assert info.lesson == "knn" and model.count_params() == 15
    with pytest.raises(BadInput, match="is a 'knn' model; this needs a 'lstm' model"):
        store.load_model(path, lessons=("lstm",))
    plain = tmp_path / "plain.h5"
    tiny_model().save(plain)
    with pytest.raises(BadInput, match="not a workbench model; this needs a 'lstm' model"):
        store.load_model(plain, lessons=("lstm",))


def test_list_models_skips_unreadable_files_and_sorts_newest_first(tmp_path):
    store.save_model(tiny_model(), tmp_path / "old.h5", {**META, "created": "2020-01-01T00:00:00+00:00"})
    store.save_model(tiny_model(), tmp_path / "new.h5", {**META, "created": "2030-01-01T00:00:00+00:00"})
    (tmp_path / "junk.h5").write_bytes(b"not a model")
    (tmp_path / ".m.123.partial.h5").write_bytes(b"unfinished")
    assert [info.path.name for info in store.list_models(tmp_path)] == ["new.h5", "old.h5"]
    assert store.list_models(tmp_path / "missing") == []


def test_models_dir_follows_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("WORKBENCH_MODELS", raising=False)
    assert str(store.models_dir()) == "saved_models"
    monkeypatch.setenv("WORKBENCH_MODELS", str(tmp_path))
    assert store.models_dir() == tmp_path
    assert store.models_dir("elsewhere").name == "elsewhere"


@pytest.mark.parametrize("target, message", [
    ("model.keras", "--out must name an .h5 file"),
    ("file.txt/model.h5", "is not a folder"),
])
def test_unwritable_targets_are_refused_before_work(tmp_path, target, message):
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(BadInput, match=message):
        store.check_writable_target(tmp_path / target)
