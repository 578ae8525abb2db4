"""Anatomy of a Keras model: per layer, what it outputs, what it stores, what it costs.

Every figure is read off the built model, never typed in: the output shape from the
layer's symbolic output, parameters from its weights, multiply-accumulates (MACs) from
its kernel and output shapes. MACs count the products with learned weights (conv, dense,
recurrent), as the lecture's operation counts do; pooling, normalisation, additions and
activations are elementwise and counted as 0. Biases are not MACs either.

A layer called more than once (shared weights) is counted for one call.

Activation memory is what one image's forward pass keeps: every layer's output (the
input included) in float32. A model that takes sequences of any length (the LSTM) is
counted per time step. Layers that only relabel their input (Flatten, Reshape,
Dropout at inference) add nothing, since no new values are computed.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from typing import Any

from workbench import registry
from workbench.errors import BadInput, InputTooSmall

BYTES_PER_VALUE = 4  # float32
VIEW_LAYERS = {"Flatten", "Reshape", "Dropout", "SpatialDropout1D", "SpatialDropout2D",
               "SpatialDropout3D", "GaussianDropout", "AlphaDropout", "Permute"}
RECURRENT_GATES = {"LSTM": 4, "GRU": 3, "SimpleRNN": 1}
# Building a model allocates its weights: VGG16 at 1024x1024 would hold 2 billion FC
# parameters (8 GB), so --input stays within sizes that build in seconds on a laptop.
MAX_SIDE, MAX_CHANNELS = 512, 2048
_INPUT = re.compile(r"^\s*(\d+)\s*[xX×]\s*(\d+)\s*[xX×]\s*(\d+)\s*$")


@dataclass(frozen=True)
class LayerAnatomy:
    name: str
    type: str
    output_shape: list[int]
    params: int
    macs: int
    activations: int


@dataclass(frozen=True)
class Anatomy:
    arch: str
    input_shape: list[int]
    layers: list[LayerAnatomy]
    # Of total_params, those training changes (BatchNorm's moving statistics are not).
    trainable_params: int = 0

    @property
    def total_params(self) -> int:
        return sum(layer.params for layer in self.layers)

    @property
    def total_macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    @property
    def forward_activation_bytes(self) -> int:
        kept = (layer.activations for layer in self.layers if layer.type not in VIEW_LAYERS)
        return BYTES_PER_VALUE * sum(kept)

    def layer(self, name: str) -> LayerAnatomy:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)

    def share(self, field: str, types: set[str]) -> float:
        """The fraction of `field` (params, macs, activations) in layers of these types."""
        total = sum(getattr(layer, field) for layer in self.layers)
        part = sum(getattr(layer, field) for layer in self.layers if layer.type in types)
        return part / total if total else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"arch": self.arch, "input_shape": self.input_shape,
                "layers": [asdict(layer) for layer in self.layers],
                "total_params": self.total_params, "trainable_params": self.trainable_params,
                "total_macs": self.total_macs,
                "forward_activation_bytes": self.forward_activation_bytes}


def parse_input(text: str) -> tuple[int, int, int]:
    """"227x227x3" -> (227, 227, 3), or BadInput."""
    match = _INPUT.match(text or "")
    if not match:
        raise BadInput(f"input must look like HxWxC (e.g. 227x227x3), got {text!r}")
    height, width, channels = (int(g) for g in match.groups())
    if not (1 <= height <= MAX_SIDE and 1 <= width <= MAX_SIDE and 1 <= channels <= MAX_CHANNELS):
        raise BadInput(f"input {text!r} is out of range: height and width 1..{MAX_SIDE}, "
                       f"channels 1..{MAX_CHANNELS}")
    return height, width, channels


def architecture(name: str) -> registry.Architecture:
    known = registry.architectures()
    if name not in known:
        raise BadInput(f"unknown architecture {name!r}; choose one of {', '.join(known)}")
    return known[name]


def anatomy_of(name: str, input_shape: tuple[int, int, int] | None = None,
               classes: int | None = None) -> Anatomy:
    """Build the named architecture (no training, random weights) and take it apart."""
    arch = architecture(name)
    if classes is not None and classes < 1:
        raise BadInput(f"--classes must be at least 1, got {classes}")
    from workbench.running.quiet import import_tensorflow

    import_tensorflow()
    try:
        model = arch.build(input_shape, classes)
    except InputTooSmall as exc:  # the builder names the layer where the size ran out
        shape = shape_text(input_shape or arch.input_shape)
        raise BadInput(f"input {shape} is too small for {name}: {exc}") from None
    return of_model(model, name)


def of_model(model, name: str | None = None) -> Anatomy:
    """The anatomy of any built Keras functional or sequential model."""
    layers = [_layer_anatomy(layer) for layer in _flat_layers(model)]
    input_shape = _dims(model.inputs[0].shape)
    if not layers or layers[0].type != "InputLayer":  # Sequential models hide their input
        layers.insert(0, LayerAnatomy("input", "InputLayer", input_shape, 0, 0, _count(input_shape)))
    trainable = sum(math.prod(w.shape) for w in model.trainable_weights)
    return Anatomy(name or model.name, input_shape, layers, int(trainable))


def _flat_layers(model):
    """Layers in order, with nested models opened up so their convolutions are seen."""
    for layer in model.layers:
        if hasattr(layer, "layers") and layer.layers and hasattr(layer, "inputs"):
            yield from _flat_layers(layer)
        else:
            yield layer


def _layer_anatomy(layer) -> LayerAnatomy:
    output = _dims(layer.output.shape)
    return LayerAnatomy(layer.name, type(layer).__name__, output, int(layer.count_params()),
                        _macs(layer, output), _count(output))


def _dims(shape) -> list[int | None]:
    """A shape without its batch axis; None where the model accepts any length."""
    return [None if d is None else int(d) for d in shape[1:]]


def _count(dims) -> int:
    """Values in one example; a free length (a text model's sequence) counts as one step."""
    return math.prod(1 if d is None else d for d in dims)


def _macs(layer, output: list[int]) -> int:
    kind = type(layer).__name__
    out = _count(output)
    if kind in ("Conv1D", "Conv2D", "Conv3D"):
        # Each output value is a dot product over the window and the input channels
        # (divided by groups): kernel shape (*window, in/groups, filters).
        return out * math.prod(layer.kernel.shape[:-1])
    if kind == "DepthwiseConv2D":
        return out * math.prod(layer.kernel.shape[:2])
    if kind == "SeparableConv2D":
        # Depthwise: every output position, every (input channel x multiplier), a window;
        # pointwise: a 1x1 convolution over those channels.
        positions = _count(output[:-1])
        window_h, window_w, channels, multiplier = layer.depthwise_kernel.shape
        return positions * channels * multiplier * window_h * window_w + out * channels * multiplier
    if kind == "Dense":
        return out * int(layer.kernel.shape[0])
    if kind in RECURRENT_GATES:
        steps, features = layer.input.shape[1] or 1, int(layer.input.shape[2])
        units = layer.cell.units
        return steps * RECURRENT_GATES[kind] * units * (features + units)
    return 0


def shape_text(dims) -> str:
    """(55, 55, 96) -> '55x55x96'; T stands for a sequence length the model leaves free."""
    return "x".join("T" if d is None else str(d) for d in dims)


def human(n: float, unit: str = "") -> str:
    """1234567 -> '1.23M'; the units a learner reads anatomy in."""
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(n) >= size:
            return f"{n / size:.3g}{suffix}{unit}"
    return f"{n:g}{unit}"
