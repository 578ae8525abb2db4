"""The guided path through residual networks: the plain and the residual twin trained side
by side, deep (20 layers) and shallow (8), three epochs at half width. The 20-layer pair
takes about two minutes on 2 CPU cores (most of it building the training steps), the
8-layer pair under one."""

from __future__ import annotations

from workbench.authoring import (Claim, Compare, compares, ExerciseStep, Experiment, finite,
    number, ordered, Predict, Read, scalar, value)

DEEP = {"depth": 20, "width": 0.5, "epochs": 3}
SHALLOW = {"depth": 8, "width": 0.5, "epochs": 3}
NOT_VANISHED = 0.5  # the plain twin's stem gradient at init, as a share of the residual twin's
LEVEL = 0.2  # nats: how far behind the residual twin the shallow plain twin may end
# (the 8-layer claim's text says 0.2: a message is a literal, so change the two together)


def _at_init(metrics, twin: str) -> float:
    """The gradient norm reaching the twin's first convolution before any training step."""
    series = value(metrics, f"{twin}_first_conv_grad_norm")
    if not isinstance(series, (list, tuple)) or not series:
        raise ValueError(f"{twin}_first_conv_grad_norm is not a per-epoch series: {series!r}")
    return finite(f"{twin}_first_conv_grad_norm", series[0])


def stem_gradient_not_vanished(metrics):
    plain, residual = _at_init(metrics, "plain"), _at_init(metrics, "residual")
    share = plain / residual if residual else float("inf")
    return share >= NOT_VANISHED, (f"at initialisation, gradient at the stem: plain {number(plain)}, "
                                   f"residual {number(residual)} (plain/residual {share:.2f}, at "
                                   f"least {NOT_VANISHED})")


def shallow_plain_level(metrics):
    plain = scalar(metrics, "plain_final_train_loss")
    residual = scalar(metrics, "residual_final_train_loss")
    behind = plain - residual
    return behind <= LEVEL, (f"final training loss plain {number(plain)}, residual {number(residual)}: "
                             f"plain behind by {number(behind)} (at most {LEVEL})")


STEPS = (
    Read("Deeper plain nets train worse", "Residual networks"),
    Read("The fix: learn the residual", "The fix: learn the residual"),
    Predict(
        "Twenty layers, with and without shortcuts",
        "Two ResNet-20 twins, the same layers and the same starting weights, one with the "
        "identity shortcuts and one without, train for 3 epochs on the same batches. Which ends "
        "with the lower training loss?",
        ("The plain twin: nothing is added to what its layers compute",
         "The residual twin", "Neither: same layers, same weights, same loss"),
        1,
        "With the shortcuts each block only has to learn a change to its input, and doing "
        "nothing (F = 0) is easy; the loss's gradient also reaches the first layers along the "
        "shortcuts. The plain twin has to learn every mapping whole, and optimises more slowly: "
        "worse on its own training set, which is not overfitting.",
        settled_by=4,
    ),
    Experiment(
        "ResNet-20 and its plain twin",
        DEEP,
        (
            ordered("residual_final_train_loss", "<", "plain_final_train_loss",
                    "The residual twin ends with the lower training loss",
                    "Too few epochs to tell them apart (the preset trains 3), or the depth was "
                    "lowered: at 8 layers the plain net keeps up; or compare was turned off, and "
                    "only one twin trained",
                    labels=("residual", "plain")),
            Claim("At initialisation the plain twin's gradient at the stem has not vanished: it is "
                  "at least half the residual twin's (with BatchNorm, as He et al. checked: the "
                  "plain net's trouble is optimisation, not a vanishing gradient)",
                  stem_gradient_not_vanished,
                  "Another seed draws other starting weights: at 20 layers the two stem gradients "
                  "are of the same order and either can be the larger; or the depth was changed"),
            compares("identity_max_error", "==", 0.0,
                     "A basic block with its residual weights at zero is exactly the identity: "
                     "max |block(x) - relu(x)| is 0",
                     "A non-zero error would mean the residual branch was not zeroed whole (both "
                     "kernels and the closing BatchNorm's scale and shift), or the block was "
                     "changed to put something after the addition besides ReLU"),
        ),
        look_for="The per-epoch table: both training losses side by side, and the gradient norm "
                 "at each twin's first convolution; then the chart of the gradient reaching every "
                 "convolution at initialisation.",
    ),
    Predict(
        "Eight layers",
        "Now the same twins at 8 layers (depth=8), same width and epochs. How will their "
        "training losses end?",
        ("Level, or nearly: 8 plain layers are not hard to optimise",
         "The residual twin well ahead again", "The plain twin well ahead"),
        0,
        "The degradation comes with depth: a shallow plain net optimises about as well as its "
        "residual twin. He et al. saw it appear at 20 layers and grow at 56; the shortcuts "
        "matter more the deeper the net.",
        settled_by=6,
    ),
    Experiment(
        "ResNet-8 and its plain twin",
        SHALLOW,
        (
            Claim("At 8 layers the plain twin is not degraded: its final training loss is at most "
                  "0.2 above the residual twin's",
                  shallow_plain_level,
                  "With only 3 epochs the curves are still steep, and another seed or a changed "
                  "learning rate can put either twin a little ahead; a larger depth brings the "
                  "degradation back"),
        ),
        look_for="The two training losses epoch by epoch, and how far apart they end next to the "
                 "20-layer twins.",
    ),
    Compare(
        "Twenty layers against eight",
        (4, 6),
        ("plain_final_train_loss", "residual_final_train_loss", "plain_test_accuracy",
         "test_accuracy"),
        "At 8 layers the twins end level; at 20 the plain twin ends well behind its residual "
        "twin, on its own training set. The shortcuts' gain grows with depth: in He et al. the "
        "plain net at 56 layers even ends worse than at 20, the degradation the shortcuts remove.",
    ),
    ExerciseStep(
        "Write the basic block",
        "basic_block: two 3x3 convolutions with BatchNorm, the shortcut added before the last "
        "ReLU, a projection when the shape changes: 'workbench exercises start resnet', then "
        "'workbench check resnet'.",
    ),
)
