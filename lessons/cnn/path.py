"""The guided path through the CNN classics: the output-size rule on AlexNet's first layer,
where a network keeps its parameters, what a bigger network buys on the digits, and the
learner's own convolution and max pool, forward and backward.
AlexNet (at 1/8 width, 8 epochs) and LeNet-5 (15 epochs) train in under half a minute each
on 2 CPU cores."""

from __future__ import annotations

from workbench.authoring import (Claim, Compare, compares, ExerciseStep, Experiment, number,
    Predict, Read, value)

ALEXNET = {"arch": "alexnet", "epochs": 8}
LENET = {"arch": "lenet", "epochs": 15}
GOOD_ENOUGH = 0.9  # test accuracy on the digits; chance is 0.1, a finished run about 0.96
LENET_PARAMS = 60_000  # "LeNet's 60 thousand parameters", in the notes


def _shape_text(shape) -> str:
    return "x".join(str(int(d)) for d in shape)


def _shape_is(name: str, want: tuple[int, ...], rule: str):
    """A judge: the metric `name` (a shape, as a list) is `want`; `rule` shows the arithmetic."""
    def judge(metrics):
        got = value(metrics, name)
        if not isinstance(got, (list, tuple)):
            raise ValueError(f"{name} is not a shape: {got!r}")
        return ([int(d) for d in got] == list(want),
                f"{name} {_shape_text(got)}, the rule gives {_shape_text(want)} ({rule})")

    return judge


def about_lenets_60k(metrics):
    """The parameters within 5% of the 60 thousand the notes give LeNet-5, shown whole."""
    params = value(metrics, "params")
    if isinstance(params, bool) or not isinstance(params, (int, float)):
        raise ValueError(f"params is not a count: {params!r}")
    off = abs(params - LENET_PARAMS) / LENET_PARAMS
    return off <= 0.05, (f"params {number(int(params))} vs LeNet's 60K: {100 * off:.1f}% off "
                         f"(at most 5%)")


STEPS = (
    Read("Four rules to read any CNN", "Four rules to read any CNN"),
    Predict(
        "AlexNet's first layer",
        "AlexNet's conv1 slides 96 filters of 11x11, stride 4, no padding, over a 227x227x3 "
        "image. What does it output?",
        ("55x55x96", "57x57x96", "217x217x96", "55x55x3"),
        0,
        "(227 - 11 + 2 x 0) / 4 + 1 = 55 positions across and 55 down, and one map per filter: "
        "55x55x96. The 3 input channels are summed inside each dot product; they do not survive "
        "as channels.",
        settled_by=3,
    ),
    Experiment(
        "AlexNet, narrowed to train on a laptop",
        ALEXNET,
        (
            Claim("At full size (227x227x3, width 1) AlexNet's conv1 outputs 55x55x96, as the "
                  "output-size rule says",
                  _shape_is("full_size_first_conv_output", (55, 55, 96), "(227 - 11) / 4 + 1 = 55, "
                            "96 filters"),
                  "The architecture is no longer alexnet: another network's first layer has "
                  "another window, stride and filter count (ZFNet's 7x7 stride 2 gives 110x110x96)"),
            compares("dense_params_share", ">", 0.5,
                     "Most of the trained AlexNet's parameters sit in its fully connected layers",
                     "The architecture was changed: NiN and GoogLeNet have no hidden fully "
                     "connected layers, and LeNet-5 keeps most of its weights in its C5 "
                     "convolution"),
            compares("test_accuracy", ">=", GOOD_ENOUGH,
                     "Even at 1/8 width on 67-pixel digits, AlexNet classifies at least 90% of the "
                     "test digits right",
                     "Too few epochs (the preset trains 8), or a learning rate or optimizer far "
                     "from Adam at 0.001; another seed moves the score by a point or two, not by "
                     "six"),
        ),
        look_for="The log's two first-layer shapes (here and at full size), the share of "
                 "parameters in fully connected layers, and the learned filters.",
    ),
    Read("The networks", "The networks"),
    Predict(
        "LeNet-5 against AlexNet on the digits",
        "LeNet-5 holds about 62 thousand parameters, the narrowed AlexNet you trained several "
        "times as many. On the digits' test images, how will LeNet-5 score?",
        ("Far below AlexNet: it is several times smaller", "Far above AlexNet",
         "About the same, within a few points"),
        2,
        "8x8 digits ask little: both networks separate them, and AlexNet's extra parameters, "
        "made for 1000 classes of 224-pixel photos, buy nothing this data needs. A bigger network "
        "pays off on a harder task with more data.",
        settled_by=6,
        shown_by=2,
    ),
    Experiment(
        "LeNet-5, as in 1998",
        LENET,
        (
            Claim("LeNet-5 holds about 60 thousand parameters (61,706 with C3 fully connected)",
                  about_lenets_60k,
                  "width was changed from the preset's 1: every filter and unit count scales with "
                  "it, and the parameters roughly with its square"),
            Claim("C1 outputs 28x28x6: (32 - 5) / 1 + 1 = 28 positions, six 5x5 filters",
                  _shape_is("first_conv_output", (28, 28, 6), "(32 - 5) / 1 + 1 = 28, 6 filters"),
                  "input_size or width was changed from the preset (32 pixels, width 1): the rule "
                  "then gives another size, or another number of maps"),
            compares("test_accuracy", ">=", GOOD_ENOUGH,
                     "LeNet-5 classifies at least 90% of the test digits right",
                     "Too few epochs (the preset trains 15; LeNet's tanh units learn more slowly "
                     "than ReLUs), or a learning rate far from 0.001"),
        ),
        look_for="Its parameters and MACs against AlexNet's, and its test accuracy.",
    ),
    Compare(
        "AlexNet against LeNet-5",
        (3, 6),
        ("params", "macs", "forward_activation_bytes", "dense_params_share", "test_accuracy"),
        "Even narrowed, AlexNet holds several times LeNet's parameters, most of them in its "
        "fully connected layers, and costs several times its MACs, spent in the convolutions. "
        "On the digits the two score about the same: size pays only when the task needs it.",
    ),
    Read("The backward passes", "The backward passes, with their shapes (the exercises)"),
    ExerciseStep(
        "Write the output-size rule, a convolution and a max pool, forward and backward",
        "conv_output_size, conv_forward_naive, conv_backward_naive, max_pool_forward_naive and "
        "max_pool_backward_naive, with loops as in CS231n's assignment 2 (channels last, Keras' "
        "layout; each backward pass takes the forward pass's inputs): 'workbench exercises start "
        "cnn', then 'workbench check cnn'.",
    ),
)
