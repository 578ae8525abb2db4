"""The transfer lesson's exercise: a new task's classifier on a pretrained backbone, frozen
or fine-tuned from a named layer on. A Keras model cannot leave the sandbox, so the
harness (`built`) builds a small stand-in backbone there, hands it to the learner's
function and sends back the model's JSON and weights. Here the model is rebuilt from
Keras' own layers only and judged by what it does, never by what it reports: its output,
the backbone's weights, which weights Keras trains, one training step (frozen weights and
BatchNorm statistics must stay put, trainable ones must move), and the backbone's call.

Keras 3 runs a BatchNormalization layer in inference mode when it is frozen, whatever
`training` says; `fit` passes training=True to every layer, nested models included, so the
backbone's training=False is seen only in the model's description (its call arguments).
"""

from __future__ import annotations

import json

import numpy as np

from workbench.authoring import Exercise, Failed

PIXELS = (8, 8, 3)
# The stand-in backbone: conv-BN-ReLU blocks, then the global average (include_top=False,
# pooling="avg"): images to a feature vector of the last block's width.
BLOCKS = (("block1", 4), ("block2", 6), ("block3", 8))
LAYERS = tuple(f"{block}_{part}" for block, _ in BLOCKS for part in ("conv", "bn", "relu")) + ("avg_pool",)
WEIGHTED = tuple(name for name in LAYERS if not name.endswith("_relu") and name != "avg_pool")
SEED = 231
# (trainable_from, classes): the frozen backbone, then fine-tuning from the middle block.
CASES = ((None, 3), ("block2_conv", 5))
UNKNOWN = "block9_conv"


def build_transfer_model(backbone, classes, trainable_from=None):
    from lessons.transfer.modes import build_transfer_model as lessons_own

    return lessons_own(backbone, classes, trainable_from)


def pretrained_backbone():
    """The stand-in for a pretrained backbone, the same in the sandbox and here: every
    weight, BatchNorm's moving statistics included, drawn from SEED in the model's order."""
    import keras
    from keras import layers

    pixels = keras.Input(PIXELS, name="pixels")
    x = pixels
    for block, filters in BLOCKS:
        x = layers.Conv2D(filters, 3, padding="same", name=f"{block}_conv")(x)
        x = layers.BatchNormalization(name=f"{block}_bn")(x)
        x = layers.ReLU(name=f"{block}_relu")(x)
    backbone = keras.Model(pixels, layers.GlobalAveragePooling2D(name="avg_pool")(x), name="backbone")
    rng = np.random.default_rng(SEED)
    for variable in backbone.weights:
        value = rng.normal(size=variable.shape) * 0.5
        if variable.name in ("gamma", "moving_variance"):
            value = np.abs(value) + 0.5
        variable.assign(value.astype("float32"))
    return backbone


def built(build, classes, trainable_from=None) -> dict:
    """The harness, beside the learner's code: their model, as JSON and weights."""
    import keras

    model = build(pretrained_backbone(), classes, trainable_from)
    if not isinstance(model, keras.Model):
        return {"returned": type(model).__name__}
    return {"json": model.to_json(), "weights": [np.asarray(w) for w in model.get_weights()]}


def _call(function, classes, trainable_from):
    """What `function` built, as data; a ValueError or TypeError it raised, as one line."""
    from workbench.authoring import LearnerRaised

    try:
        return function(classes, trainable_from), None
    except LearnerRaised as exc:
        if exc.type_name not in ("ValueError", "TypeError"):
            raise
        return None, f"{exc.type_name}: {str(exc).strip().splitlines()[-1] if str(exc).strip() else ''}"
    except (ValueError, TypeError) as exc:  # the lesson's own tests call it in this process
        return None, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


def _rebuilt(function, classes, trainable_from, what):
    import keras

    answer, raised = _call(function, classes, trainable_from)
    if raised:
        raise Failed(f"{what} raised {raised}")
    if not isinstance(answer, dict) or not isinstance(answer.get("json"), str):
        returned = answer.get("returned") if isinstance(answer, dict) else type(answer).__name__
        raise Failed(f"{what} returned {returned}, not a Keras model")
    try:  # safe mode: Keras' own layers only, no Lambda, nothing that runs code
        model = keras.models.model_from_json(answer["json"])
    except Exception as exc:  # noqa: BLE001  (a custom layer, a Lambda, a garbled description)
        raise Failed(f"{what}: the model uses something other than Keras' built-in layers "
                     f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})") from None
    if not isinstance(model, keras.Model):
        raise Failed(f"{what} returned a {type(model).__name__}, not a Keras model")
    weights = answer.get("weights")
    if (not isinstance(weights, list) or len(weights) != len(model.weights)
            or any(np.shape(w) != tuple(v.shape) for w, v in zip(weights, model.weights))):
        raise Failed(f"{what}: the model's weights do not fit its own description")
    model.set_weights([np.asarray(w, dtype="float32") for w in weights])
    return model, json.loads(answer["json"])


def _leaves(model):
    """Every layer of `model` that is not itself a model, nested models walked into."""
    import keras

    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _leaves(layer)
        else:
            yield layer


def _names(names) -> str:
    return ", ".join(names)


def _expect_softmax(model, classes, what, images) -> None:
    shapes = [tuple(output.shape) for output in model.outputs]
    shape = shapes[0] if len(shapes) == 1 else shapes
    if shape != (None, classes):
        raise Failed(f"{what}: the output has shape {shape}, expected (None, {classes}): one "
                     f"probability per class of the new task, from a new head of {classes} units")
    out = np.asarray(model(images, training=False), dtype=np.float64)
    sums = out.sum(axis=1)
    if np.all(out >= 0) and np.allclose(sums, 1.0, atol=1e-5):
        return
    hint = ("each output lies in [0, 1] but they do not add up to 1: a sigmoid?" if np.all(out >= 0)
            and np.all(out <= 1) else "scores (logits), not probabilities: no activation?")
    raise Failed(f"{what}: the output is not a softmax over the {classes} classes (a row sums to "
                 f"{sums[np.argmax(np.abs(sums - 1))]:.4g}, the smallest output is {out.min():.4g}; "
                 f"{hint}): the head is Dense(classes, activation=\"softmax\")")


def _expect_the_backbone(model, reference, what) -> dict:
    """The backbone's layers, by name, holding the weights it was given."""
    found = {layer.name: layer for layer in _leaves(model)}
    missing = [name for name in LAYERS if name not in found]
    if missing:
        raise Failed(f"{what}: the model has no layer {missing[0]!r} of the backbone it was given: "
                     f"build on that backbone, not a new network")
    for name in WEIGHTED:
        mine, given = found[name].get_weights(), reference.get_layer(name).get_weights()
        if len(mine) != len(given) or any(not np.array_equal(a, b) for a, b in zip(mine, given)):
            raise Failed(f"{what}: the backbone's layer {name!r} no longer holds its pretrained "
                         f"weights: reuse the backbone as it is given (no clone_model, no fresh "
                         f"initialisation), or there is nothing left to transfer")
    return found


def _step(model, images, labels):
    """One training step as `fit` takes it (training=True, Keras' trainable weights);
    the frozen weights it changed and the trainable ones it did not."""
    import keras
    import tensorflow as tf

    frozen = {id(v): keras.ops.convert_to_numpy(v).copy() for v in model.non_trainable_weights}
    trainable = {id(v): keras.ops.convert_to_numpy(v).copy() for v in model.trainable_weights}
    with tf.GradientTape() as tape:
        predicted = model(images, training=True)
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(labels, predicted))
    for variable, gradient in zip(model.trainable_weights, tape.gradient(loss, model.trainable_weights)):
        if gradient is not None:
            variable.assign_sub(gradient)
    now = keras.ops.convert_to_numpy
    moved = [v for v in model.non_trainable_weights if not np.array_equal(now(v), frozen[id(v)])]
    still = [v for v in model.trainable_weights if np.array_equal(now(v), trainable[id(v)])]
    return moved, still


def _expect_trainable(model, found, trainable_from, what, images, labels) -> None:
    trains = {id(v) for v in model.trainable_weights}
    training = [name for name in WEIGHTED if any(id(w) in trains for w in found[name].weights)]
    moved, still = _step(model, images, labels)
    batch_norms = [name for name in training if name.endswith("_bn")]
    statistics = dict.fromkeys(v.path.rsplit("/", 1)[0] for v in moved
                               if v.name in ("moving_mean", "moving_variance"))
    drifted = (f"; one training step moved the moving mean and variance of {_names(statistics)} "
               f"away from the source task's statistics: a trainable BatchNormalization layer runs "
               f"in training mode during fit, training=False on the backbone's call or not"
               if statistics else "")
    if trainable_from is None:
        if training:
            raise Failed(f"{what}: the backbone should be frozen and only the new head train, but "
                         f"these layers of the backbone train: {_names(training)} "
                         f"(backbone.trainable = False){drifted}")
    else:
        start = LAYERS.index(trainable_from)
        expected = [name for name in WEIGHTED if LAYERS.index(name) >= start and not name.endswith("_bn")]
        before = [name for name in training if LAYERS.index(name) < start]
        if batch_norms:
            raise Failed(f"{what}: BatchNormalization layers train: {_names(batch_norms)}. When "
                         f"fine-tuning they stay frozen (layer.trainable = False), so that they keep "
                         f"normalising with the source task's statistics{drifted}")
        if before:
            raise Failed(f"{what}: layers before {trainable_from!r} train: {_names(before)}; only "
                         f"{trainable_from!r} and the layers after it should")
        if not training:
            raise Failed(f"{what}: no layer of the backbone trains; {_names(expected)} should: was "
                         f"trainable_from ignored?")
        missing = [name for name in expected if name not in training]
        if missing:
            raise Failed(f"{what}: {_names(missing)} should train too: trainable_from names the first "
                         f"layer that trains, and every layer after it trains, BatchNormalization "
                         f"excepted")
    head = [layer for layer in _leaves(model) if layer.name not in LAYERS and layer.weights]
    frozen_head = [layer.name for layer in head if not all(id(w) in trains for w in layer.weights)]
    if not head or frozen_head:
        raise Failed(f"{what}: the new head does not train" + (f" ({_names(frozen_head)} frozen)"
                     if frozen_head else "") + ": it is the part that must learn the new task")
    if moved:
        raise Failed(f"{what}: one training step changed frozen weights: "
                     f"{_names(v.path for v in moved)}{drifted}")
    if still:
        raise Failed(f"{what}: one training step left {_names(v.path for v in still)} unchanged, "
                     f"though Keras trains them: the loss does not reach them")


def _backbone_calls(config: dict):
    """The entries of a model's description (its JSON, nested models walked into) that
    are the backbone: a model holding the backbone's layers."""
    for entry in config.get("layers") or ():
        inner = entry.get("config") if isinstance(entry, dict) else None
        if not isinstance(inner, dict) or not isinstance(inner.get("layers"), list):
            continue
        names = {layer.get("config", {}).get("name") for layer in inner["layers"] if isinstance(layer, dict)}
        if set(LAYERS) <= names:
            yield entry
        else:
            yield from _backbone_calls(inner)


def _expect_inference_mode_call(description: dict, what: str) -> None:
    calls = list(_backbone_calls(description.get("config") or {}))
    how = "image = keras.Input(backbone.input_shape[1:]), then features = backbone(image, training=False)"
    if not calls:
        raise Failed(f"{what}: the backbone's layers are part of the model, but the backbone is not "
                     f"called as one layer with training=False: {how}")
    for entry in calls:
        nodes = entry.get("inbound_nodes") or []
        if not nodes or any((node.get("kwargs") or {}).get("training") is not False for node in nodes):
            raise Failed(f"{what}: the backbone is not called with training=False ({how}). Keras' "
                         f"transfer-learning guide asks for it (in tf.keras 2 it kept BatchNormalization "
                         f"in inference mode even inside fit); Keras 3's fit passes training=True to "
                         f"every layer anyway, and there it is the frozen BatchNormalization layers "
                         f"that keep the source task's statistics: both are part of the recipe")


def _expect_unknown_name_refused(function) -> None:
    from workbench.authoring import LearnerRaised

    what = f"build_transfer_model(backbone, 3, trainable_from={UNKNOWN!r})"
    try:
        function(3, UNKNOWN)
    except LearnerRaised as exc:
        if exc.type_name == "ValueError":
            return
        raise Failed(f"{what} raised {exc.type_name}: the backbone has no such layer; raise "
                     f"ValueError for it, the error Keras' backbone.get_layer raises") from None
    except ValueError:  # the lesson's own tests call it in this process
        return
    except NotImplementedError:
        raise
    except Exception as exc:  # noqa: BLE001  (as a LearnerRaised of another type, above)
        raise Failed(f"{what} raised {type(exc).__name__}: the backbone has no such layer; raise "
                     f"ValueError for it, the error Keras' backbone.get_layer raises") from None
    raise Failed(f"{what}: the backbone has no layer of that name and nothing was raised: raise "
                 f"ValueError naming it (backbone.get_layer raises one), or a misspelt name quietly "
                 f"trains the wrong layers")


def check_build_transfer_model(function) -> None:
    rng = np.random.default_rng(0)
    images = (rng.normal(size=(6, *PIXELS)) * 2 + 1).astype("float32")
    reference = pretrained_backbone()
    for trainable_from, classes in CASES:
        what = f"build_transfer_model(backbone, {classes}, trainable_from={trainable_from!r})"
        model, description = _rebuilt(function, classes, trainable_from, what)
        _expect_softmax(model, classes, what, images)
        found = _expect_the_backbone(model, reference, what)
        labels = np.arange(len(images)) % classes
        _expect_trainable(model, found, trainable_from, what, images, labels)
        _expect_inference_mode_call(description, what)
    _expect_unknown_name_refused(function)


EXERCISES = (
    Exercise("build_transfer_model", "A new head on a pretrained backbone: frozen, or fine-tuned from a layer on",
             '''def build_transfer_model(backbone, classes, trainable_from=None):
    """A classifier for a new task on a pretrained backbone, as a keras.Model.

    backbone: a Keras model from images to a feature vector (include_top=False,
    pooling="avg"). The model: image = keras.Input(backbone.input_shape[1:]), the
    backbone called on it with training=False, then a new head
    Dense(classes, activation="softmax").
    trainable_from=None: the backbone is frozen; only the head trains (modes 1 and 2).
    trainable_from="a layer name of the backbone": fine-tuning (mode 3); that layer and
    every layer after it train, except BatchNormalization layers, which stay frozen; the
    layers before it stay frozen. A name the backbone does not have: raise ValueError.
    Start with: import keras
    """''', check_build_transfer_model, build_transfer_model, needs_keras=True, harness=built),
)
