"""A run's files are named before it starts, the same way the runner then writes them."""

from __future__ import annotations

import dataclasses

import pytest

from workbench import registry
from workbench.errors import BadInput
from workbench.results import store
from workbench.running import runner
import workbench
from tests.conftest import kept_files


@pytest.mark.parametrize("text, name", [("", None), ("  ", None), ("mine", "mine.h5"),
                                        (" mine.h5 ", "mine.h5"), ("run-2", "run-2.h5")])
def test_a_typed_model_name_gets_its_h5(text, name):
    assert store.model_file_name(text) == name


@pytest.mark.parametrize("text, message", [
    ("a/b", "a file name, without folders: 'a/b'"),
    ("..", "a file name, without folders: '..'"),
    (".hidden", "a visible file name, not starting with '.': '.hidden'"),
    ("m.keras", "models are .h5 files; 'm.keras' ends in '.keras'"),
])
def test_a_name_that_is_not_a_plain_h5_file_name_is_refused(text, message):
    with pytest.raises(BadInput) as refused:
        store.model_file_name(text)
    assert str(refused.value) == message


@pytest.mark.parametrize("lesson_id, values, names", [
    ("knn", {}, ["knn.h5"]),
    ("linear", {"loss": "svm"}, ["linear-svm.h5"]),
    ("cnn", {"arch": "vgg16"}, ["cnn-vgg16.h5"]),
    # The residual net is the run's result: first, so it is the one --out names.
    ("resnet", {}, ["resnet-20.h5", "resnet-20-plain.h5"]),
    ("resnet", {"depth": 29, "block": "bottleneck", "compare": False}, ["resnet-29-bottleneck.h5"]),
    ("resnet", {"family": "imagenet", "depth": 18, "compare": False, "shortcut": False},
     ["resnet-18-imagenet-plain.h5"]),
    ("lstm", {}, ["lstm.h5"]),
])
def test_planned_paths_follow_the_settings(tmp_path, lesson_id, values, names):
    req = runner.prepare(lesson_id, values, None)
    assert runner.planned_paths(req.lesson, req.settings, models_dir=tmp_path) == [tmp_path / n for n in names]
    out = tmp_path / "mine.h5"
    planned = runner.planned_paths(req.lesson, req.settings, out=out, models_dir=tmp_path)
    assert planned == [out] + [tmp_path / n for n in names[1:]]


def test_the_files_written_are_the_files_planned(models_dir):
    req = runner.prepare("linear", {"loss": "svm", "epochs": 1}, None)
    planned = runner.planned_paths(req.lesson, req.settings)
    result = runner.execute(req)
    assert [result.model_path] == [str(p) for p in planned]
    assert kept_files(models_dir) == planned


def test_a_lesson_that_saves_other_files_than_it_declares_fails_and_writes_nothing(models_dir, monkeypatch):
    lesson = registry.get("linear")
    monkeypatch.setattr(type(lesson.settings()), "saves", lambda self: ("other",))
    with pytest.raises(RuntimeError, match=r"saved \('softmax',\) but its settings declare \('other',\)"):
        workbench.run("linear", epochs=1)
    assert kept_files(models_dir) == []


def test_every_lesson_declares_what_it_saves():
    for lesson in registry.lessons():
        saves = lesson.settings().saves()
        assert isinstance(saves, tuple) and saves, lesson.id
        assert len(set(saves)) == len(saves), lesson.id  # two files never share a name
        assert dataclasses.is_dataclass(lesson.settings)
