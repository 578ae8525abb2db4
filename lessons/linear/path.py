"""The guided path through linear classifiers: the sanity checks on both losses (the loss
before any step, the gradient check), then what the L2 penalty costs; last, how W is
found at all: random search and random local search against following the gradient.
Ten epochs on the digits: a few seconds per run."""

from __future__ import annotations

import math

from workbench.authoring import (Compare, compares, ExerciseStep, Experiment, near, ordered,
    Predict, Read)

EPOCHS = 10
CLASSES = 10
GRAD_CHECK_BOUND = 1e-7  # float64 centred differences on a smooth loss: far below this
# "Orders of magnitude": at least two. One numeric gradient is 2 x 650 loss evaluations on
# the digits; the analytic one costs about one evaluation and its backward pass.
ORDERS_OF_MAGNITUDE = 100


def _grad_check(text: str) -> object:
    """The gradient check's claim; `text` names the loss."""
    return compares(
        "grad_check_max_rel_error", "<", GRAD_CHECK_BOUND,
        text,
        "A relative error near 1e-7 or above means the gradient and the loss disagree: a loss "
        "changed by hand, or float32 instead of float64 in the check; with the SVM, a margin "
        "exactly at a kink is named in grad_check_kinks and left out",
    )


STEPS = (
    Read("Sanity checks before trusting a curve", "Sanity checks before trusting a curve"),
    Predict(
        "Softmax's loss before the first step",
        "The weights start at 0.001 * randn, 10 classes. What will the softmax loss be before "
        "any training step?",
        ("About 0", "About ln 10 = 2.30", "About 9", "About 10"),
        1,
        "Every score is about 0, so softmax gives each of the 10 classes probability 1/10, and "
        "the loss is -log(1/10) = ln 10 = 2.30. Anything else means the loss or the data is wrong.",
        settled_by=3,
    ),
    Experiment(
        "Softmax, 10 epochs",
        {"loss": "softmax", "epochs": EPOCHS, "reg": 1e-4},
        (
            near("initial_loss", math.log(CLASSES), 0.05,
                 "Before any step the softmax loss is within 5% of ln 10 = 2.303",
                 "The weights no longer start near 0 (scores of about 0 for every class are what "
                 "makes the loss ln 10), or the labels are not the 10 classes the check assumes",
                 target_words="ln 10"),
            ordered("final_data_loss", "<", "initial_loss",
                    "Training lowers the data loss below where it started",
                    "A learning rate so small that 10 epochs barely move W, or so large that the "
                    "steps overshoot: try the preset's 0.1 with sgd_momentum",
                    labels=("final data loss", "initial loss")),
            _grad_check("The gradient check passes: TensorFlow's softmax gradient and centred "
                        "differences agree far below 1e-7"),
        ),
        look_for="The first log line: the measured initial loss next to the expected one.",
    ),
    Predict(
        "The SVM's loss before the first step",
        "Same start, the multiclass SVM with margin delta = 1. Before any step its loss is...",
        ("About 0: no class is wrong yet", "About 1", "About 9 = (10 - 1) x 1", "About ln 10 = 2.30"),
        2,
        "With every score about 0, each of the 9 wrong classes sits exactly at the margin and "
        "costs max(0, 0 - 0 + 1) = 1: the loss is (C - 1) x delta = 9.",
        settled_by=5,
    ),
    Experiment(
        "Multiclass SVM, 10 epochs",
        {"loss": "svm", "delta": 1.0, "epochs": EPOCHS, "reg": 1e-4},
        (
            near("initial_loss", (CLASSES - 1) * 1.0, 0.05,
                 "Before any step the SVM loss is within 5% of (C - 1) x delta = 9",
                 "The weights no longer start near 0 (scores of about 0 for every class are what "
                 "makes the loss 9), or the labels are not the 10 classes the check assumes; or "
                 "delta was changed from 1, which moves the target to 9 x delta",
                 target_words="(C - 1) x delta"),
            ordered("final_data_loss", "<", "initial_loss",
                    "Training lowers the hinge loss below where it started",
                    "A learning rate so small that 10 epochs barely move W, or so large that the "
                    "steps overshoot: try the preset's 0.1 with sgd_momentum",
                    labels=("final data loss", "initial loss")),
            _grad_check("The gradient check passes: TensorFlow's SVM gradient and centred "
                        "differences agree far below 1e-7"),
        ),
        look_for="The SVM's measured initial loss next to the expected one this time, and whether "
                 "any gradient-check entry straddles a hinge kink.",
    ),
    Compare(
        "Softmax against the SVM",
        (3, 5),
        ("initial_loss", "expected_initial_loss", "final_data_loss", "train_accuracy", "test_accuracy"),
        "The same scores, two losses: they start from different values (ln 10 and 9) and end "
        "on different scales, so their losses cannot be compared with each other, only with "
        "their own start. Their accuracies can: both classify the digits about equally well.",
    ),
    Experiment(
        "A strong L2 penalty: reg = 0.1",
        {"loss": "softmax", "epochs": EPOCHS, "reg": 0.1},
        (
            compares("final_reg_loss", ">", 0.1,
                     "The L2 term reg * sum(W^2) ends above 0.1, many times its size at reg = 1e-4",
                     "reg was lowered from 0.1: the penalty shrinks with it"),
            compares("final_data_loss", ">", 1.0,
                     "The data loss stays above 1: W is held too small to fit the training images",
                     "reg was lowered from 0.1, or many more epochs let W fit the data despite the penalty"),
        ),
        look_for="The loss split into data loss + reg loss, and the smoother templates.",
    ),
    Compare(
        "What reg = 0.1 costs",
        (3, 7),
        ("final_data_loss", "final_reg_loss", "train_accuracy", "test_accuracy"),
        "The same softmax run at reg = 1e-4 and at reg = 0.1: the stronger penalty buys small, "
        "smooth weights with a data loss that stays high, and past some point it costs "
        "accuracy on the test images too. reg is a hyperparameter: choose it on validation data.",
    ),
    ExerciseStep(
        "Write the two losses and their gradients",
        "svm_loss and softmax_loss, each returning (loss, dW), vectorised, as in CS231n's "
        "assignment 1: 'workbench exercises start linear', then 'workbench check linear'; once "
        "they pass, 'workbench run linear --mine' trains W with yours beside the Keras run.",
    ),
    Read("Optimisation: search against the gradient", "Optimisation: search against the gradient"),
    Predict(
        "Three ways to find W",
        "Each spends its effort on the same softmax loss over the training digits: random "
        "search keeps the best of 1000 random W, random local search nudges its best W 1000 "
        "times and keeps what helps, and the gradient run follows the gradient for 50 epochs. "
        "How do their test accuracies rank?",
        ("All about the same: the loss is the same",
         "Random search < local search < gradient, random search still above chance",
         "Random search at chance, local search and gradient about equal",
         "Local search best: it never takes a step that raises the loss"),
        1,
        "Random W are almost all bad, but the best of 1000 still beats guessing. Local search "
        "keeps each improvement, so its W gets better and better, slowly: a random direction "
        "is rarely downhill. The gradient is the steepest downhill direction itself, computed "
        "at the cost of about one loss evaluation.",
        settled_by=12,
        shown_by=1,
    ),
    Experiment(
        "Random search, local search and the gradient",
        {"method": "compare"},
        (
            ordered("random_search_test_accuracy", ">", "chance_accuracy",
                    "Random search beats chance: the best of 1000 random W classifies better "
                    "than guessing one of the 10 digits",
                    "Too few evaluations (evaluations was lowered) or the loss the search ranks by "
                    "does not follow accuracy: with a huge scale every W is confidently wrong",
                    labels=("random search", "chance")),
            ordered("random_search_test_accuracy", "<", "local_search_test_accuracy",
                    "Local search beats random search on the same budget of loss evaluations",
                    "A step_size so large that hardly any nudge is kept, or so small that W "
                    "barely moves from its random start",
                    labels=("random search", "local search")),
            ordered("local_search_test_accuracy", "<", "test_accuracy",
                    "Following the gradient beats local search",
                    "Too few epochs or a learning rate far from the preset's for the gradient run, "
                    "or a much larger search budget",
                    labels=("local search", "gradient")),
            compares("gradient_speedup", ">", ORDERS_OF_MAGNITUDE,
                     "One analytic gradient is more than 100 times faster than one numeric "
                     "gradient: two orders of magnitude at least",
                     "A machine so busy that one short timing was interrupted: run the step again"),
            compares("gradient_rel_error", "<", GRAD_CHECK_BOUND,
                     "The numeric and the analytic gradient agree: relative error below 1e-7",
                     "The svm loss: centred differences across its kinks disagree with autodiff "
                     "(run it with the softmax loss), or a loss changed by hand"),
        ),
        look_for="The chart of the best training loss against loss evaluations, and the log "
                 "line that times one numeric gradient against one analytic gradient.",
    ),
)
