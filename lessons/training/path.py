"""The guided path through training neural networks: one experiment per choice the notes
discuss (initialisation, activations, batch normalisation, optimisers, regularisation),
each shortened to a few epochs where the claim shows after them; about half a minute each
on two cores."""

from __future__ import annotations

from workbench.authoring import (Claim, Compare, compares, ExerciseStep, Experiment, MissingMetric,
    near, number, ordered, Predict, Read, scalar, value)

CLOSED_FORM_TOLERANCE = 0.01  # gradient descent's fit against the exact minimiser
BOWL_START_LOSS = 0.5 * (8.0 ** 2 + 100 * 1.0 ** 2)  # the bowl at (-8, 1): 82
DROPOUT = 0.5


def _entry(metrics, name: str, *keys: str):
    """A metric inside a metric: final_train_loss["sgd"], scores["none"]["train_accuracy"]."""
    found = value(metrics, name)
    for key in keys:
        if not isinstance(found, dict) or found.get(key) is None:
            raise MissingMetric(".".join((name, *keys)))
        found = found[key]
    return found


def symmetry_kept(metrics):
    moved = float(value(metrics, "constant_init_weights_moved"))
    spread = float(value(metrics, "constant_init_unit_spread"))
    return moved > 0 and spread <= moved / 100, (
        f"weights moved up to {number(moved)}; units of a layer differ by {number(spread)}")


def sigmoid_slowest(metrics):
    final = {name: float(v) for name, v in value(metrics, "final_val_accuracy").items()}
    if "sigmoid" not in final or len(final) < 2:
        raise MissingMetric("final_val_accuracy.sigmoid")
    others = {name: v for name, v in final.items() if name != "sigmoid"}
    lowest = min(others, key=others.get)
    return final["sigmoid"] < others[lowest], (
        f"sigmoid {number(final['sigmoid'])}; lowest of the others {lowest} {number(others[lowest])}")


def bn_survives_high_rate(metrics):
    gain = value(metrics, "bn_gain_at_high_lr")
    if isinstance(gain, str):
        return gain == "only the plain net diverged", f"bn_gain_at_high_lr: {gain}"
    gain = float(gain)
    return gain > 1.0, f"plain net's final loss over BN's {number(gain)} > 1"


def too_high_rate_diverges(metrics):
    by_rate = value(metrics, "bowl_sgd_loss_by_rate")
    name = next((k for k in by_rate if k.startswith("too high")), None)
    if name is None:
        raise MissingMetric("bowl_sgd_loss_by_rate.too high")
    loss = float(by_rate[name])
    return loss > BOWL_START_LOSS, (f"SGD {name}: loss {number(loss)} after 60 steps > "
                                    f"{number(BOWL_START_LOSS)} at the start")


def momentum_beats_sgd(metrics):
    sgd, momentum = (float(_entry(metrics, "final_train_loss", n)) for n in ("sgd", "momentum"))
    return momentum < sgd, f"momentum {number(momentum)} < sgd {number(sgd)}"


def memorised(metrics):
    accuracy = float(_entry(metrics, "scores", "none", "train_accuracy"))
    return accuracy == 1.0, f"no regularisation: train accuracy {number(accuracy)}"


def inverted_dropout(metrics):
    zeroed = float(value(metrics, "dropout_zeroed_fraction"))
    kept = float(value(metrics, "dropout_kept_value"))
    ok = abs(zeroed - DROPOUT) <= 0.05 and abs(kept - 1 / (1 - DROPOUT)) <= 1e-5
    return ok, (f"zeroed {number(zeroed)} (p = {DROPOUT:g}), survivors {number(kept)} "
                f"(1/(1 - p) = {1 / (1 - DROPOUT):g})")


def several_labels(metrics):
    sigmoid = scalar(metrics, "attribute_sigmoid_exact_match")
    softmax = scalar(metrics, "attribute_softmax_exact_match")
    ceiling = scalar(metrics, "attribute_softmax_ceiling")
    return softmax <= ceiling < sigmoid, (
        f"sigmoids {number(sigmoid)}; softmax {number(softmax)}, at most {number(ceiling)} "
        f"(the images with one attribute or none)")


def closed_forms(metrics):
    """Each gradient-descent fit next to the closed form it should reach."""
    pairs = {"L2 constant / mean": ("l2_constant_fit", "data_mean"),
             "L1 constant / median": ("l1_constant_fit", "data_median")}
    off = {name: abs(scalar(metrics, fit) - scalar(metrics, form)) for name, (fit, form) in pairs.items()}
    for loss, form in (("l2", "least_squares_line"), ("l1", "least_absolute_line")):
        fit, exact = value(metrics, f"{loss}_line_fit"), value(metrics, form)
        off[f"{loss.upper()} line / {form.replace('_', ' ')}"] = max(
            abs(float(a) - float(b)) for a, b in zip(fit, exact))
    worst = max(off, key=off.get)
    return off[worst] <= CLOSED_FORM_TOLERANCE, f"largest gap: {worst} {number(off[worst])}"


STEPS = (
    Read("Initialisation", "Initialisation (`--set experiment=init`)"),
    Predict(
        "Ten tanh layers at std 0.01",
        "Ten tanh layers of 500 units, weights drawn with std 0.01. How does the last layer's "
        "spread of activations compare with the first's?",
        ("About the same", "About a tenth of it", "Almost nothing: under a thousandth of it",
         "Larger: the units saturate"),
        2,
        "Each layer multiplies the spread by about 0.01 x sqrt(500) = 0.22, so ten layers leave "
        "about 0.22^10 = 3 x 10^-7 of it: every unit outputs almost 0, and since each layer's "
        "weight gradient is proportional to its input, the weights hardly learn.",
        settled_by=3,
    ),
    Experiment(
        "Weight scales on ten tanh layers",
        {"experiment": "init", "activation": "tanh", "std": (0.01, 1.0), "epochs": 1},
        (
            compares("small_scale_std_ratio", "<", 1e-3,
                     "At std 0.01 the signal vanishes: the last layer's spread is under a "
                     "thousandth of the first's",
                     "std no longer starts at 0.01 (its smallest value is what is measured), or "
                     "layers was cut well below 10, leaving fewer layers to shrink the signal"),
            compares("large_scale_saturated", ">", 0.5,
                     "At std 1 most of the last layer's tanh units are saturated at +-1",
                     "std no longer reaches 1 (its largest value is what is measured), or the "
                     "activation is not tanh"),
            Claim("Weights that all start equal stay equal: after an epoch the units of a layer "
                  "still differ by under 1% of how far the weights moved",
                  symmetry_kept,
                  "This holds whatever the settings; if the weights did not move at all, the "
                  "learning rate is too small for one epoch to show anything"),
        ),
        look_for="The std of the activations layer by layer, one line per scale, and the "
                 "log-scale chart of them.",
    ),
    Experiment(
        "The same scales on ten ReLU layers",
        {"experiment": "init", "activation": "relu", "std": (0.01, 1.0), "epochs": 1},
        (
            near("he_std_ratio", 1.0, 0.5,
                 "He's sqrt(2/n) keeps a ReLU net's spread: last layer over first within 50% of 1",
                 "The activation is not relu (He's factor 2 makes up for ReLU zeroing half its "
                 "inputs), or another seed drew unusual weights",
                 target_words="a kept spread"),
            ordered("xavier_std_ratio", "<", "he_std_ratio",
                    "Xavier's 1/n, made for tanh, lets a ReLU net's signal fade: its ratio ends "
                    "below He's",
                    "The activation is not relu, or another seed drew unusual weights: with ReLU, "
                    "Xavier's 1/n halves the variance at every layer",
                    labels=("Xavier", "He")),
        ),
        look_for="The xavier and he lines: which one keeps the spread from layer 1 to layer 10.",
    ),
    Compare(
        "Xavier for tanh, He for ReLU",
        (3, 4),
        ("xavier_std_ratio", "he_std_ratio", "small_scale_std_ratio"),
        "Read the columns: under tanh both scales keep the signal alive, Xavier's (variance "
        "1/n) fading slowly to about a third after ten layers and He's larger weights keeping "
        "more of it, with slightly more units pushed towards +-1. Under ReLU, which zeroes half "
        "of what it is given, Xavier's signal fades to a few hundredths while He's 2/n keeps it "
        "near 1: the factor 2 is what ReLU needs. The course's notes write sqrt(2.0/n) and call "
        "it Xavier; the two runs show it is He's factor.",
    ),
    Predict(
        "ReLUs at four times the learning rate",
        "The same 4-layer ReLU net is trained again with a learning rate 4 times larger. What "
        "happens to the share of dead ReLUs (off for every one of 512 training images)?",
        ("About the same", "Far more of them die", "Fewer: larger steps shake them loose"),
        1,
        "A large update can push a unit's weights where its input is negative for every image; "
        "there it passes no gradient, so nothing ever brings it back. Mind the learning rate, "
        "watch the dead share, and try leaky ReLU if it bites.",
        settled_by=7,
    ),
    Experiment(
        "Five activation functions, 4 epochs",
        {"experiment": "activations", "epochs": 4},
        (
            ordered("dead_relu_fraction_high_lr", ">", "dead_relu_fraction",
                    "Four times the learning rate leaves far more dead ReLUs",
                    "learning_rate was lowered from the experiment's 0.05, so even 4 times it is "
                    "gentle; or another seed",
                    labels=("dead at 4x the rate", "dead at the rate")),
            Claim("Sigmoid, stacked four deep, learns slowest: the lowest validation accuracy of the five",
                  sigmoid_slowest,
                  "Many more epochs (or a larger learning rate) let the sigmoid net catch up"),
        ),
        look_for="The flat share per layer for each function, and the dead ReLUs by layer at the "
                 "two learning rates.",
    ),
    Experiment(
        "With and without batch normalisation, 5 epochs",
        {"experiment": "batchnorm", "epochs": 5},
        (
            compares("bn_gain_at_bad_init", ">=", 2.0,
                     "At std 0.01 the plain net barely learns; with BN its final training loss is "
                     "at least 2 times lower",
                     "Many more epochs let the plain net find its way out of the vanishing signal, "
                     "or layers was cut so far that std 0.01 no longer kills the signal"),
            Claim("At 20 times the learning rate BN still trains: the plain net diverges or ends "
                  "with the higher loss",
                  bn_survives_high_rate,
                  "learning_rate was lowered, so 20 times it is no longer too high for the plain net"),
            compares("bn_training_mean_minus_beta", "<", 1e-3,
                     "In training mode each unit leaves BN with its batch mean equal to beta",
                     "This does not depend on the settings; a batch_size of 1 has no spread to "
                     "standardise by"),
        ),
        look_for="Each of the four final training losses, and which plain net is named as diverged.",
    ),
    Experiment(
        "Six optimisers, on the bowl and the digits",
        {"experiment": "optimizers", "epochs": 3},
        (
            compares("bowl_momentum_over_sgd", "<", 0.1,
                     "On the narrow bowl momentum, with SGD's very step size, ends under a tenth "
                     "of SGD's loss",
                     "Nothing here depends on the settings: the bowl, the steps and the rates are "
                     "fixed; a changed optimizers.py would explain it"),
            Claim("Plain SGD with a step just past 2/100 diverges: after 60 steps its loss is "
                  "above the 82 it started from",
                  too_high_rate_diverges,
                  "Nothing here depends on the settings: the bowl and the rates are fixed"),
            Claim("On the digits, from the same start, momentum ends with a lower training loss "
                  "than plain SGD",
                  momentum_beats_sgd,
                  "A learning_rate set for all six (instead of 0, each rule's own) can suit plain "
                  "SGD better; or many more epochs let SGD catch up"),
        ),
        look_for="The paths on the bowl: plain SGD settles across the valley within a few zigzags, "
                 "then crawls along it; momentum, with the same step size, races along it "
                 "while still swinging across.",
    ),
    Experiment(
        "Regularisation on 200 training images",
        {"experiment": "regularization", "epochs": 40, "learning_rate": 0.003, "train_size": 200,
         "dropout": DROPOUT, "l2": 1e-3},
        (
            Claim("Without regularisation the net memorises its 200 images: training accuracy 1",
                  memorised,
                  "Fewer epochs or a smaller learning rate stop it before it has memorised them; "
                  "or train_size was raised"),
            ordered("val_loss_both", "<", "val_loss_none",
                    "The overfit net grows sure of its mistakes: with L2 and dropout together the "
                    "validation loss ends lower than without regularisation",
                    "Fewer epochs or a smaller learning rate stop before overconfidence shows: it "
                    "grows with training; or l2 and dropout were set too weak to matter",
                    labels=("L2 + dropout", "none")),
            Claim("Inverted dropout: Dropout(0.5) zeroes about half of its inputs and doubles the rest",
                  inverted_dropout,
                  "dropout was changed from 0.5: the zeroed share is then about p and the "
                  "survivors 1/(1 - p)"),
        ),
        look_for="Per variant, training against validation accuracy and loss.",
    ),
    Predict(
        "One outlier among 51 values",
        "51 values; one of them is moved 100 above where it was. How far do the constant that "
        "minimises the L2 loss and the one that minimises the L1 loss move?",
        ("Both by about 2", "L2's by 100/51, about 2; L1's hardly, if at all",
         "L1's further: it weighs the far point by its distance",
         "Neither: one point in 51 changes nothing"),
        1,
        "L2's constant is the mean, and the mean takes a 51st of every change: 100/51 = 1.96. "
        "L1's is the median, the middle value: the moved point was above it and stays above, so "
        "the median does not move at all. L2's gradient from a point grows with its distance, "
        "L1's is only its sign.",
        settled_by=13,
        shown_by=1,
    ),
    # Read after predicting: the section's figures are the answer.
    Read("Losses beyond one label", "Losses beyond one label (`--set experiment=losses`)"),
    Experiment(
        "Sigmoids against a softmax; L2 against L1",
        {"experiment": "losses"},
        (
            Claim("One sigmoid per attribute gets every attribute right on more images than a "
                  "softmax ever can: a softmax names one, so an image with two or more "
                  "attributes is always wrong",
                  several_labels,
                  "Too few epochs or a tiny learning rate leave the sigmoids short of even the "
                  "softmax's ceiling; the ceiling itself holds whatever the settings"),
            ordered("l1_outlier_pull", "<", "l2_outlier_pull",
                    "One outlier moves the L2 constant (the mean) further than the L1 constant "
                    "(the median)",
                    "outlier was set to 0: with nothing moved, neither fit moves",
                    labels=("L1's pull", "L2's pull")),
            ordered("l1_line_outlier_pull", "<", "l2_line_outlier_pull",
                    "The same for a line: the outlier tilts the least-squares line further than "
                    "the L1 line",
                    "outlier was set to 0: with nothing moved, neither line moves",
                    labels=("L1 line's pull", "L2 line's pull")),
            Claim("Gradient descent lands on the closed forms: the mean, the median, least "
                  "squares and the least-absolute-deviations line, each within 0.01",
                  closed_forms,
                  "This does not depend on the settings; a changed regression.py would explain it"),
        ),
        look_for="The exact-match share of each head, and how far the outlier pulls each fit.",
    ),
    ExerciseStep(
        "Write batch norm, dropout and the update rules",
        "Seven functions of CS231n's assignment 2: 'workbench exercises start training', then "
        "'workbench check training'; once they pass, the batchnorm and optimizers experiments "
        "run with yours beside Keras' (--mine).",
    ),
)
