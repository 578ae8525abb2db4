"""What the training lesson's key numbers mean on a run, worded from the numbers: a
sentence never says the signal survives beside a ratio that shows it fading."""

from workbench.authoring import catalogue

tr = catalogue(__name__)  # the lesson's words in the learner's language

FADED = 0.1  # last layer's spread over the first's: below this the signal has faded
BLOWN = 10.0  # above this it has blown up


def spread(ratio: float, lang: str) -> str:
    if ratio < FADED:
        return tr(lang, "below 0.1: the signal fades before it reaches the top")
    if ratio > BLOWN:
        return tr(lang, "above 10: the signal blows up on its way to the top")
    return tr(lang, "between 0.1 and 10: the signal still reaches the top")


def compared(m, name: str, other: str) -> float | None:
    return m[name] - m[other] if isinstance(m.get(other), (int, float)) else None


def dead_high_lr(m, lang: str) -> str:
    more = compared(m, "dead_relu_fraction_high_lr", "dead_relu_fraction")
    if more is None:
        return tr(lang, "the same after training at 4 times that rate")
    if more > 0.01:
        return tr(lang, "the same after training at 4 times that rate: more ReLUs died")
    return tr(lang, "the same after training at 4 times that rate: no more died this time")


def bn_gain(m, name: str, lang: str) -> str:
    gain = m[name]
    if isinstance(gain, str):  # one of the two diverged: batchnorm._ratio names which
        return (tr(lang, "the plain net diverged and the one with BN did not: BN trained better")
                if gain == "only the plain net diverged" else
                tr(lang, "the net with BN diverged: BN did not help here"))
    helped = gain > 1
    if name == "bn_gain_at_bad_init":
        return (tr(lang, "final training loss without BN over with BN, at a bad init: above 1, "
                         "BN trained better")
                if helped else
                tr(lang, "final training loss without BN over with BN, at a bad init: not above 1, "
                         "BN did not help here"))
    return (tr(lang, "the same at a learning rate 20 times the experiment's: above 1, BN trained "
                     "better")
            if helped else
            tr(lang, "the same at a learning rate 20 times the experiment's: not above 1, BN did "
                     "not help here"))


def val_loss_none(m, lang: str) -> str:
    worse = compared(m, "val_loss_none", "val_loss_both")
    if worse is None:
        return tr(lang, "validation loss without regularisation")
    if worse > 0:
        return tr(lang, "validation loss without regularisation: higher than with L2 and dropout, "
                        "an overfit net is sure of its mistakes")
    return tr(lang, "validation loss without regularisation: no higher than with L2 and dropout, "
                    "this run did not overfit enough to show it")


HIGHLIGHTS = (
    ("small_scale_std_ratio",
     lambda m, lang: tr(lang, "init, smallest scale: last layer's activation spread over the "
                              "first's, {verdict}", verdict=spread(m["small_scale_std_ratio"], lang))),
    ("xavier_std_ratio",
     lambda m, lang: tr(lang, "the same with Xavier, {verdict}",
                        verdict=spread(m["xavier_std_ratio"], lang))),
    ("he_std_ratio",
     lambda m, lang: tr(lang, "the same with He (sqrt(2/n)), the scale made for ReLU, {verdict}",
                        verdict=spread(m["he_std_ratio"], lang))),
    ("large_scale_saturated",
     lambda m, lang: tr(lang, "share of last-layer tanh units stuck at +-1 at the largest scale; "
                              "a stuck unit passes no gradient")),
    ("constant_init_unit_spread",
     lambda m, lang: (tr(lang, "spread between the units of a layer after training from constant "
                               "weights: about 0, symmetry never breaks")
                      if m["constant_init_unit_spread"] < 1e-4 else
                      tr(lang, "spread between the units of a layer after training from constant "
                               "weights: not 0, something other than the gradient told them apart"))),
    ("dead_relu_fraction",
     lambda m, lang: tr(lang, "activations: ReLUs that never fire on 512 training images, after "
                              "training at the experiment's rate")),
    ("dead_relu_fraction_high_lr", dead_high_lr),
    ("bn_gain_at_bad_init", lambda m, lang: bn_gain(m, "bn_gain_at_bad_init", lang)),
    ("bn_gain_at_high_lr", lambda m, lang: bn_gain(m, "bn_gain_at_high_lr", lang)),
    ("bn_modes_max_difference",
     lambda m, lang: tr(lang, "how much one batch's BN outputs change between training mode "
                              "(batch statistics) and inference (moving averages)")),
    ("best_optimizer", lambda m, lang: tr(lang, "lowest final training loss on the digits")),
    ("bowl_momentum_over_sgd",
     lambda m, lang: (tr(lang, "momentum's loss on the bowl over plain SGD's, same steps: below 1, "
                               "momentum got further down")
                      if m["bowl_momentum_over_sgd"] < 1 else
                      tr(lang, "momentum's loss on the bowl over plain SGD's, same steps: not below "
                               "1, momentum did no better here"))),
    ("val_loss_none", val_loss_none),
    ("val_loss_both", lambda m, lang: tr(lang, "the same with L2 and dropout")),
    ("accuracy_gap_none",
     lambda m, lang: (tr(lang, "train minus validation accuracy without regularisation: it does "
                               "better on the images it trained on")
                      if m["accuracy_gap_none"] > 0.05 else
                      tr(lang, "train minus validation accuracy without regularisation: small, "
                               "little overfitting in this run"))),
    ("components_for_95_percent",
     lambda m, lang: tr(lang, "preprocessing: directions that hold 95% of the pixels' variance")),
    ("whitened_covariance_max_error",
     lambda m, lang: (tr(lang, "how far the whitened cloud's covariance is from the identity: "
                               "near 0, the cloud is white")
                      if m["whitened_covariance_max_error"] < 0.01 else
                      tr(lang, "how far the whitened cloud's covariance is from the identity: not "
                               "near 0, the cloud is not quite white"))),
    ("attribute_sigmoid_exact_match",
     lambda m, lang: tr(lang, "losses: test images with every attribute right, one sigmoid per "
                              "attribute")),
    ("attribute_softmax_exact_match",
     lambda m, lang: tr(lang, "the same for a softmax that names one attribute: at most the "
                              "share of images with one or none")),
    ("l2_outlier_pull",
     lambda m, lang: tr(lang, "how far one outlier moved the L2 constant, the mean")),
    ("l1_outlier_pull",
     lambda m, lang: tr(lang, "the same for the L1 constant, the median: a point that stays on "
                              "its side does not move it")),
    ("test_accuracy", lambda m, lang: tr(lang, "the saved network on the held-out test images")),
)
