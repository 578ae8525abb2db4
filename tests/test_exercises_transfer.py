"""The transfer lesson's exercise: a new head on a pretrained backbone, frozen or fine-tuned.

The check passes the lesson's own implementation, calls an unwritten stub `todo`, passes
a learner's file written by hand and fails the classic mistakes (through the real sandbox:
the model crosses as JSON and weights) with a message that names them. What the check
relies on is held to Keras itself: the model's JSON carries each layer's `trainable` and
the backbone's training=False, the rebuilt model trains exactly the weights the learner's
did, and Keras 3's `fit` runs an unfrozen BatchNormalization in training mode whatever the
backbone's call says, so that it is the frozen layers that keep the statistics.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest

from workbench.course import exercises
from lessons.transfer import exercises as transfer

LESSON = "transfer"
NAME = "build_transfer_model"


def exercise() -> exercises.Exercise:
    (found,) = exercises.lesson_exercises(LESSON)
    return found


def learner_file(folder: Path, source: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{LESSON}.py"
    path.write_text("import numpy as np\nimport keras\n" + textwrap.dedent(source))
    return path


# -- a learner's function, written by hand; each mistake changes one piece -------------------

RIGHT = """
def build_transfer_model(backbone, classes, trainable_from=None):
    if trainable_from is None:
        backbone.trainable = False
    else:
        names = [layer.name for layer in backbone.layers]
        start = names.index(trainable_from)
        backbone.trainable = True
        for at, layer in enumerate(backbone.layers):
            layer.trainable = at >= start and not isinstance(layer, keras.layers.BatchNormalization)
    image = keras.Input(backbone.input_shape[1:])
    features = backbone(image, training=False)
    return keras.Model(image, keras.layers.Dense(classes, activation="softmax")(features))
"""

# Keras' guide's way: get_layer (its ValueError for an unknown name), flags set in a loop.
RIGHT_BY_GET_LAYER = """
def build_transfer_model(backbone, classes, trainable_from=None):
    backbone.trainable = trainable_from is not None
    if trainable_from is not None:
        first = backbone.get_layer(trainable_from)
        on = False
        for layer in backbone.layers:
            on = on or layer is first
            if isinstance(layer, keras.layers.BatchNormalization) or not on:
                layer.trainable = False
    inputs = keras.Input(shape=backbone.input_shape[1:])
    x = backbone(inputs, training=False)
    x = keras.layers.Dense(classes)(x)
    return keras.Model(inputs, keras.layers.Softmax()(x))
"""


def wrong(*swaps: tuple[str, str], source: str = RIGHT) -> str:
    """RIGHT with each (old, new) swapped in: one mistake."""
    for old, new in swaps:
        assert source.count(old) == 1, old
        source = source.replace(old, new)
    return source


BN = "and not isinstance(layer, keras.layers.BatchNormalization)"

# The layers' flags set right, inside a backbone whose own flag is False: in Keras 3 the
# model around it trains those layers (it gathers every variable whose own flag is True), so
# this is right too, whatever backbone.trainable_weights says.
LOCKED = f"""
def build_transfer_model(backbone, classes, trainable_from=None):
    backbone.trainable = False
    if trainable_from is not None:
        names = [layer.name for layer in backbone.layers]
        start = names.index(trainable_from)
        for at, layer in enumerate(backbone.layers):
            layer.trainable = at >= start {BN}
    image = keras.Input(backbone.input_shape[1:])
    features = backbone(image, training=False)
    return keras.Model(image, keras.layers.Dense(classes, activation="softmax")(features))
"""

# Classic mistakes, each with a piece of the message that must name it.
MISTAKES = [
    ("the backbone left trainable", wrong(("        backbone.trainable = False\n", "        pass\n")),
     "the backbone should be frozen and only the new head train, but these layers of the backbone "
     "train: block1_conv, block1_bn, block2_conv, block2_bn, block3_conv, block3_bn"),
    ("BatchNorm unfrozen when fine-tuning", wrong((f" {BN}", "")),
     "BatchNormalization layers train: block2_bn, block3_bn"),
    ("BatchNorm unfrozen: its statistics move", wrong((f" {BN}", "")),
     "one training step moved the moving mean and variance of block2_bn, block3_bn"),
    ("the backbone called without training=False", wrong(("backbone(image, training=False)", "backbone(image)")),
     "the backbone is not called with training=False"),
    ("the head on the backbone's output, no call", wrong(
        ("    image = keras.Input(backbone.input_shape[1:])\n    features = backbone(image, training=False)\n"
         "    return keras.Model(image,", "    return keras.Model(backbone.input,"),
        ("(features))", "(backbone.output))")),
     "the backbone is not called as one layer with training=False"),
    ("a head without softmax", wrong(('Dense(classes, activation="softmax")', "Dense(classes)")),
     "not probabilities: no activation?"),
    ("a sigmoid head", wrong(('activation="softmax"', 'activation="sigmoid"')), "a sigmoid?"),
    ("layers before trainable_from left trainable", wrong(("at >= start and not", "not")),
     "layers before 'block2_conv' train: block1_conv"),
    ("trainable_from ignored", """
def build_transfer_model(backbone, classes, trainable_from=None):
    backbone.trainable = False
    image = keras.Input(backbone.input_shape[1:])
    return keras.Model(image, keras.layers.Dense(classes, activation="softmax")(backbone(image, training=False)))
""", "no layer of the backbone trains; block2_conv, block3_conv should: was trainable_from ignored?"),
    ("the named layer left frozen", wrong(("at >= start", "at > start")),
     "block2_conv should train too: trainable_from names the first layer that trains"),
    ("an unknown name accepted", wrong(
        ("        names = [layer.name for layer in backbone.layers]\n        start = names.index(trainable_from)\n",
         "        names = [layer.name for layer in backbone.layers]\n"
         "        start = names.index(trainable_from) if trainable_from in names else len(names)\n")),
     "the backbone has no layer of that name and nothing was raised: raise ValueError"),
    ("an unknown name refused with KeyError", wrong(
        ("        start = names.index(trainable_from)\n",
         "        if trainable_from not in names:\n            raise KeyError(trainable_from)\n"
         "        start = names.index(trainable_from)\n")),
     "trainable_from='block9_conv') raised KeyError"),
    ("the pretrained weights thrown away", wrong(
        ("    if trainable_from is None:\n", "    backbone = keras.models.clone_model(backbone)\n"
                                           "    if trainable_from is None:\n")),
     "no longer holds its pretrained weights"),
    ("the whole model frozen", wrong(
        ("    return keras.Model(image, keras.layers.Dense(classes, activation=\"softmax\")(features))\n",
         "    model = keras.Model(image, keras.layers.Dense(classes, activation=\"softmax\")(features))\n"
         "    model.trainable = trainable_from is not None\n    return model\n")),
     "the new head does not train"),
]


def test_the_lesson_declares_one_keras_exercise_with_a_harness():
    ex = exercise()
    assert (ex.name, ex.needs_keras, ex.harness) == (NAME, True, transfer.built)


def test_the_lessons_own_implementation_passes():
    ex = exercise()
    assert exercises.judge(ex, ex.local(ex.reference)) == ("pass", "every check passed")


def test_layers_unfrozen_inside_a_frozen_backbone_train_and_pass():
    import keras

    namespace = {"keras": keras, "np": np}
    exec(textwrap.dedent(LOCKED), namespace)
    model = namespace[NAME](transfer.pretrained_backbone(), 3, "block2_conv")
    assert model.layers[1].trainable is False and model.layers[1].trainable_weights == []
    assert [p for p in _trainable_paths(model) if p.startswith("block")] == [
        "block2_conv/bias", "block2_conv/kernel", "block3_conv/bias", "block3_conv/kernel"]
    ex = exercise()
    assert exercises.judge(ex, ex.local(namespace[NAME])) == ("pass", "every check passed")


def test_the_stub_is_todo_and_hand_written_files_pass(tmp_path):
    path = exercises.start(LESSON, tmp_path / "stubs")
    assert path.read_text().count("raise NotImplementedError") == 1
    (outcome,) = exercises.check([LESSON], tmp_path / "stubs", timeout=60)
    assert (outcome.status, outcome.message) == (
        "todo", "not written yet: the body still raises NotImplementedError")
    for n, source in enumerate((RIGHT, RIGHT_BY_GET_LAYER)):
        learner_file(tmp_path / f"mine{n}", source)
        (outcome,) = exercises.check([LESSON], tmp_path / f"mine{n}", timeout=60)
        assert (outcome.id, outcome.status) == (f"{LESSON}.{NAME}", "pass"), outcome.message


@pytest.mark.parametrize("mistake, source, message", MISTAKES, ids=[m[0] for m in MISTAKES])
def test_classic_mistakes_fail_and_are_named(mistake, source, message, tmp_path):
    path = learner_file(tmp_path, source)
    outcome = exercises.check_one(LESSON, exercise(), path, timeout=60)
    assert outcome.status == "fail", (mistake, outcome.status, outcome.message)
    assert message in outcome.message, outcome.message


# -- what the check relies on, held to Keras ---------------------------------------------------

def _trainable_paths(model) -> list[str]:
    return sorted(v.path for v in model.trainable_weights)


def test_unfreeze_from_trains_the_named_layer_and_those_after_it_batchnorm_excepted():
    from lessons.transfer import modes

    backbone = transfer.pretrained_backbone()
    backbone.trainable = False  # as the frozen mode leaves it: the model's flag is reset too
    modes.unfreeze_from(backbone, "block2_conv")
    assert _trainable_paths(backbone) == ["block2_conv/bias", "block2_conv/kernel",
                                          "block3_conv/bias", "block3_conv/kernel"]
    modes.unfreeze_from(backbone, "block2_bn")  # a BatchNormalization layer named: it stays frozen
    assert _trainable_paths(backbone) == ["block3_conv/bias", "block3_conv/kernel"]
    with pytest.raises(ValueError, match="'block9_conv'"):
        modes.unfreeze_from(backbone, "block9_conv")
    model = modes.build_transfer_model(transfer.pretrained_backbone(), 4)
    assert _trainable_paths(model) == ["classes/bias", "classes/kernel"]


@pytest.mark.parametrize("source", [RIGHT, wrong((f" {BN}", "")), LOCKED,
                                    wrong(("        backbone.trainable = False\n", "        pass\n"))],
                         ids=["right", "BatchNorm unfrozen", "frozen model, unfrozen layers", "backbone trainable"])
@pytest.mark.parametrize("trainable_from", [None, "block2_conv"])
def test_the_rebuilt_model_trains_what_the_learners_model_trains(source, trainable_from):
    """The check judges the model rebuilt from JSON: each layer's `trainable`, the nested
    backbone's own flag included, must come through as Keras applied them."""
    import keras

    namespace = {"keras": keras, "np": np}
    exec(textwrap.dedent(source), namespace)
    model = namespace[NAME](transfer.pretrained_backbone(), 3, trainable_from)
    rebuilt = keras.models.model_from_json(model.to_json())
    assert _trainable_paths(rebuilt) == _trainable_paths(model)


def test_the_json_carries_the_backbones_training_false():
    import keras

    from lessons.transfer import modes

    for call, expected in (({"training": False}, [False]), ({}, [None])):
        backbone = transfer.pretrained_backbone()
        image = keras.Input(transfer.PIXELS)
        model = keras.Model(image, modes.head(8, 3)(backbone(image, **call)))
        (entry,) = transfer._backbone_calls(json.loads(model.to_json())["config"])
        assert [node["kwargs"].get("training") for node in entry["inbound_nodes"]] == expected


def test_keras_fit_trains_an_unfrozen_batchnorm_in_training_mode_despite_training_false():
    """Why the check reads training=False in the JSON and finds BatchNorm's drift in the
    step: in Keras 3 (keras-team/keras#20285) fit's training=True reaches every layer,
    overriding the backbone's training=False; a frozen BatchNormalization layer runs in
    inference mode whatever it is told."""
    import keras

    from lessons.transfer import modes

    rng = np.random.default_rng(1)
    x = (rng.normal(size=(16, *transfer.PIXELS)) * 2 + 1).astype("float32")
    y = rng.integers(0, 3, 16)
    moved = {}
    for frozen_batch_norm in (True, False):
        backbone = transfer.pretrained_backbone()
        model = modes.build_transfer_model(backbone, 3, "block1_conv")  # training=False in the graph
        if not frozen_batch_norm:
            backbone.get_layer("block2_bn").trainable = True
        before = modes.bn_moving_means(backbone)
        model.compile(keras.optimizers.SGD(0.01), "sparse_categorical_crossentropy")
        model.fit(x, y, batch_size=8, epochs=1, verbose=0)
        moved[frozen_batch_norm] = modes.largest_change(before, modes.bn_moving_means(backbone))
    assert moved[True] == 0.0
    assert moved[False] > 1e-3


def test_the_stand_in_backbone_is_the_same_wherever_it_is_built():
    a, b = transfer.pretrained_backbone(), transfer.pretrained_backbone()
    assert [layer.name for layer in a.layers[1:]] == list(transfer.LAYERS)
    assert a.output_shape == (None, 8)
    for u, v in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(u, v)
    means = a.get_layer("block2_bn").moving_mean
    assert np.all(np.abs(np.asarray(means)) > 0)  # far from a fresh layer's zeros
