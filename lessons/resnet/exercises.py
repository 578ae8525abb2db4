"""The residual network's exercise: the basic block, in Keras' functional API. The
learner's block is built in the sandbox and comes back as the model's JSON (`built`);
here it is rebuilt from Keras' own layers only, put beside the lesson's block with the
same weights and their outputs compared; and its residual branch is zeroed, which must
leave relu(x)."""

from __future__ import annotations

import zlib

import numpy as np

from lessons.checking import expect_close
from workbench.authoring import Exercise, Failed


def basic_block(x, filters, stride=1):
    from lessons.resnet.blocks import basic_block as lessons_block

    return lessons_block(x, filters, stride, name=f"reference_{filters}_{stride}")


def _model(block, shape, filters, stride):
    import keras

    image = keras.Input(shape)
    return keras.Model(image, block(image, filters, stride=stride))


def _same_weights(model) -> None:
    """Every weight set from its shape and role alone, so two blocks with the same layers
    get the same weights whatever their layer names or order."""
    for variable in model.weights:
        role = variable.name.split("/")[-1]
        seed = zlib.crc32(f"{role}{tuple(variable.shape)}".encode())
        value = np.random.default_rng(seed).normal(size=variable.shape) * 0.3
        if role == "moving_variance":
            value = np.abs(value) + 0.5
        variable.assign(value.astype("float32"))


def built(block, shape, filters, stride) -> str:
    """The harness, beside the learner's code: their block as a model, in JSON."""
    return _model(block, tuple(shape), filters, stride).to_json()


def _build(function, shape, filters, stride, what):
    import keras

    from workbench.authoring import LearnerRaised

    try:
        description = function(shape, filters, stride)
    except LearnerRaised as exc:
        if exc.type_name not in ("ValueError", "TypeError"):
            raise
        raise Failed(f"{what} could not be built ({str(exc).splitlines()[-1]}){_shape_hint(shape, filters, stride)}") from None
    except (ValueError, TypeError) as exc:  # the lesson's own tests call the block here
        raise Failed(f"{what} could not be built ({type(exc).__name__}: {str(exc).splitlines()[0]})"
                     f"{_shape_hint(shape, filters, stride)}") from None
    if not isinstance(description, str):
        raise Failed(f"{what}: the block did not give a Keras model")
    try:  # safe mode: Keras' own layers only, no Lambda, nothing that runs code
        return keras.models.model_from_json(description)
    except Exception as exc:  # noqa: BLE001  (a custom layer, a Lambda, a garbled description)
        raise Failed(f"{what}: the block uses something other than Keras' built-in layers "
                     f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})") from None


def _shape_hint(shape, filters, stride) -> str:
    if not _changes_shape(shape, filters, stride):
        return ""
    how = (f"stride {stride} and {shape[-1]} -> {filters} channels" if stride != 1 and filters != shape[-1]
           else f"stride {stride}" if stride != 1 else f"{shape[-1]} -> {filters} channels")
    return (f": this block changes the shape ({how}), so the shortcut must too, a 1x1 convolution "
            f"with the block's stride and `filters` filters and a BatchNormalization (a "
            f"projection), whenever stride != 1 or the channels change")


def _shortcut_hint(model, reference, shape, filters, stride) -> str:
    import keras

    def convs(m):
        return sum(isinstance(layer, keras.layers.Conv2D) for layer in m.layers)

    if convs(model) > convs(reference):
        return (": a projection where the shape is kept; the shortcut is then x itself, "
                "which is what lets the block start as the identity")
    if convs(model) < convs(reference):
        return _shape_hint(shape, filters, stride)
    return ""


# Every configuration of the basic block: the shape kept (the identity shortcut), and each
# way of changing it, by stride, by channels or by both (a projection on the shortcut).
CONFIGURATIONS = (((8, 8, 16), 16, 1, "an identity block, 16 -> 16 filters, stride 1"),
                  ((8, 8, 16), 16, 2, "a block that halves the size, 16 -> 16 filters, stride 2"),
                  ((8, 8, 16), 32, 1, "a block that widens, 16 -> 32 filters, stride 1"),
                  ((8, 8, 16), 32, 2, "a downsampling block, 16 -> 32 filters, stride 2"))


def _changes_shape(shape, filters, stride) -> bool:
    return stride != 1 or filters != shape[-1]


def check_basic_block(function) -> None:
    import keras

    for shape, filters, stride, what in CONFIGURATIONS:
        model = _build(function, shape, filters, stride, what)
        reference = _model(basic_block, shape, filters, stride)
        out_shape = tuple(model.output.shape[1:])
        if out_shape != tuple(reference.output.shape[1:]):
            raise Failed(f"{what}: output shape {out_shape}, expected {tuple(reference.output.shape[1:])}")
        convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
        if any(layer.use_bias for layer in convs):
            raise Failed(f"{what}: a convolution has a bias; use_bias=False, the BatchNormalization "
                         f"after it adds its own shift")
        if model.count_params() != reference.count_params():
            shortcut = _shortcut_hint(model, reference, shape, filters, stride)
            raise Failed(f"{what}: {model.count_params():,} weights, expected "
                         f"{reference.count_params():,} (conv3x3-BN-ReLU-conv3x3-BN"
                         + (", and a 1x1 conv + BN on the shortcut)" if _changes_shape(shape, filters, stride)
                            else ", the shortcut x itself)") + shortcut)
        x = np.random.default_rng(0).normal(size=(2, *shape)).astype("float32")
        if not _changes_shape(shape, filters, stride):
            _expect_identity_when_residual_is_zero(model, convs, x)
        _same_weights(model)
        _same_weights(reference)
        expect_close(model(x, training=False), reference(x, training=False),
                     f"{what}: output with the same weights as the lesson's block", rtol=1e-4, atol=1e-4)


def _expect_identity_when_residual_is_zero(model, convs, x) -> None:
    import keras

    for layer in convs:
        layer.kernel.assign(np.zeros(layer.kernel.shape, "float32"))
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.beta.assign(np.zeros(layer.beta.shape, "float32"))
            layer.moving_mean.assign(np.zeros(layer.moving_mean.shape, "float32"))
    got = np.asarray(model(x, training=False))
    if not np.allclose(got, np.maximum(x, 0), atol=1e-6):
        hint = (": the ReLU after the addition is missing" if np.allclose(got, x, atol=1e-6)
                else ": is the input added back (the identity shortcut)?")
        raise Failed(f"with its residual branch at zero the block should return relu(x){hint}")


EXERCISES = (
    Exercise("basic_block", "ResNet's basic block in Keras' functional API",
             '''def basic_block(x, filters, stride=1):
    """ResNet's basic block: relu(F(x) + shortcut(x)), x a Keras tensor (N, H, W, C).

    F: Conv2D(filters, 3, strides=stride, padding="same", use_bias=False),
    BatchNormalization, ReLU, Conv2D(filters, 3, padding="same", use_bias=False),
    BatchNormalization. The shortcut is x itself, or, when the block changes the shape
    (stride 2 or C != filters), Conv2D(filters, 1, strides=stride, use_bias=False) and
    BatchNormalization (a projection). Then keras.layers.Add, then ReLU.
    Start with: from keras import layers
    """''', check_basic_block, basic_block, needs_keras=True, harness=built),
)
