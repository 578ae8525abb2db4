"""The numbers in this lesson's notes, computed from the models, next to the lecture's.

The tables between the `figures` markers in notes.md are this module's output:
`python -m lessons.cnn.figures` rewrites them, and a test fails when they are stale.
"""

from __future__ import annotations

from pathlib import Path

from lessons.cnn import ARCHITECTURES
from workbench.authoring import anatomy_of, BYTES_PER_VALUE, human, shape_text, table, update

NOTES = Path(__file__).with_name("notes.md")

# The CS231n slide's VGG16 memory column, layer by layer as it prints them (values per
# image): input, then conv/pool outputs, then the three FC layers.
VGG16_SLIDE_MEMORY = ([150_528] + [3_211_264] * 2 + [802_816] + [1_605_632] * 2 + [401_408]
                      + [802_816] * 3 + [200_704] + [401_408] * 3 + [100_352] + [100_352] * 3
                      + [25_088] + [4_096, 4_096, 1_000])
VGG16_SLIDE_TOTAL = 24_000_000  # "TOTAL memory: 24M * 4 bytes ~= 96MB / image"


def _mb(n_bytes: int) -> str:
    return f"{n_bytes / 1e6:.1f} MB"


def lecture_comparison() -> list[tuple[str, str, str, str]]:
    """(figure, what the lecture says, what the model gives, why they differ or '')."""
    alexnet = anatomy_of("alexnet")
    conv1, fc6 = alexnet.layer("conv1"), alexnet.layer("fc6")
    conv1_weights = 96 * 11 * 11 * 3
    vgg16 = anatomy_of("vgg16")
    vgg_values = vgg16.forward_activation_bytes // BYTES_PER_VALUE
    early = sum(layer.activations for layer in vgg16.layers if layer.name.startswith(("block1", "block2")))
    googlenet = anatomy_of("googlenet")
    classifier = googlenet.layer("predictions").params
    naive, reduced = anatomy_of("inception_naive"), anatomy_of("inception_reduced")
    naive_out, reduced_out = naive.layers[-1], reduced.layers[-1]
    # The lecture's own terms, output positions x filters x window x input depth.
    positions = 28 * 28
    naive_terms = positions * (128 * 256 + 192 * 3 * 3 * 256 + 96 * 5 * 5 * 256)
    reduced_terms = positions * (64 * 256 + 64 * 256 + 128 * 256 + 192 * 3 * 3 * 64
                                 + 96 * 5 * 5 * 64 + 64 * 256)
    return [
        ("AlexNet conv1 output", "55x55x96", shape_text(conv1.output_shape), ""),
        ("AlexNet conv1 parameters", f"96x11x11x3 = {conv1_weights:,}", f"{conv1.params:,}",
         f"the lecture counts weights only; the model adds {conv1.params - conv1_weights} biases, one per filter"),
        ("AlexNet pool1, conv2, pool2", "27x27x96, 27x27x256, 13x13x256",
         ", ".join(shape_text(alexnet.layer(n).output_shape) for n in ("pool1", "conv2", "pool2")), ""),
        ("AlexNet parameters", "about 60M (62M in the recap)", f"{alexnet.total_params:,}", ""),
        ("AlexNet fc6 weights", "6x6x256x4096, about 38M", f"{fc6.params:,}",
         f"the model's figure includes {fc6.params - 6 * 6 * 256 * 4096:,} biases"),
        ("AlexNet parameters in FC layers", "more than half",
         f"{alexnet.share('params', {'Dense'}):.0%} (fc6 alone {fc6.params / alexnet.total_params:.0%})", ""),
        ("VGG16 parameters", "138M", f"{vgg16.total_params:,}", ""),
        ("VGG16 forward memory per image", f"{VGG16_SLIDE_TOTAL / 1e6:.0f}M values x 4 bytes, about 96 MB",
         f"{vgg_values / 1e6:.1f}M values, {_mb(vgg16.forward_activation_bytes)}",
         f"the slide's own per-layer list adds up to {sum(VGG16_SLIDE_MEMORY) / 1e6:.1f}M values; "
         f"its {VGG16_SLIDE_TOTAL / 1e6:.0f}M total does not follow from it"),
        ("VGG16 memory in blocks 1-2", "most memory is in the early convolutions",
         f"{early / vgg_values:.0%} of the values", ""),
        ("GoogLeNet parameters", "5M (12x fewer than AlexNet)", f"{googlenet.total_params:,}",
         f"5M is AlexNet's 60M divided by 12; the paper's own table sums to about 6.8M, of which "
         f"the 1000-way classifier alone is {human(classifier)}"),
        ("GoogLeNet MACs", "1.5 billion multiply-adds (paper)", human(googlenet.total_macs), ""),
        ("naive Inception output", "28x28x672", shape_text(naive_out.output_shape), ""),
        ("naive Inception cost", "854M ops (later in the notes: 840M)", f"{naive.total_macs:,} MACs",
         f"the notes' own three terms sum to {naive_terms:,}: 854M is right, 840M a slip"),
        ("Inception with 1x1 bottlenecks, output", "28x28x480", shape_text(reduced_out.output_shape), ""),
        ("Inception with 1x1 bottlenecks, cost", "358M ops", f"{reduced.total_macs:,} MACs",
         f"the lecture's six listed terms sum to {reduced_terms:,}; 358M does not follow from them"),
    ]


def totals() -> list[tuple[str, str, str, str, str]]:
    """(architecture, input, parameters, MACs, forward activation memory) at full size."""
    rows = []
    for arch in ARCHITECTURES:
        body = anatomy_of(arch.name)
        rows.append((arch.name, shape_text(arch.input_shape), f"{body.total_params:,}",
                     f"{body.total_macs:,}", human(body.forward_activation_bytes, "B")))
    return rows


def render() -> str:
    return "\n\n".join([
        "### The lecture's figures, recomputed",
        table(("figure", "lecture", "computed from the model", "why they differ"), lecture_comparison()),
        "### Every architecture at full size",
        table(("arch", "input", "parameters", "MACs per image", "activations (float32)"), totals()),
    ])


if __name__ == "__main__":
    update(NOTES, render)
