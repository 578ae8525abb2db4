"""What backprop's key numbers mean on a run, worded from the numbers themselves."""

from workbench.authoring import catalogue

tr = catalogue(__name__)  # the lesson's words in the learner's language

AGREE = 1e-5  # relative difference below which two gradients agree


def against_tensorflow(m, lang: str) -> str:
    if m["max_error_vs_tensorflow"] < AGREE:
        return tr(lang, "largest relative difference between the hand-written backward pass and "
                        "tf.GradientTape: below 1e-5, they agree")
    return tr(lang, "largest relative difference between the hand-written backward pass and "
                    "tf.GradientTape: not below 1e-5, a local gradient is wrong")


def against_differences(m, lang: str) -> str:
    if m["max_error_vs_finite_differences"] < AGREE:
        return tr(lang, "the same against centred differences: below 1e-5, they agree")
    return tr(lang, "the same against centred differences: not below 1e-5, a local gradient is "
                    "wrong")


def keras_accuracy(m, lang: str) -> str:
    mine = m.get("numpy_test_accuracy")
    if not isinstance(mine, (int, float)):
        return tr(lang, "the same net trained by Keras from the same start, same batches")
    if abs(m["test_accuracy"] - mine) <= 0.02:
        return tr(lang, "the same net trained by Keras from the same start, same batches: within "
                        "0.02 of the hand-written one")
    return tr(lang, "the same net trained by Keras from the same start, same batches: more than "
                    "0.02 from the hand-written one, the two trainings drifted apart")


def df_dx(m, lang: str) -> str:
    if "df_dx_branches" in m:
        return tr(lang, "staged: how f moves with x, the sum of what its three branches (num, "
                        "sigx, xpy) hand back")
    return tr(lang, "add_mul: how f moves with x: z, passed through the add gate")


def df_dy(m, lang: str) -> str:
    if "df_dy_branches" in m:
        return tr(lang, "the same for y, the sum of its two branches (sigy, xpy)")
    return tr(lang, "the same for y: an add gate hands both inputs the same gradient")


HIGHLIGHTS = (
    ("df_dx", df_dx),
    ("df_dy", df_dy),
    ("df_dz", lambda m, lang: tr(lang, "for z: the mul gate swaps, so it is x + y")),
    ("df_dw0", lambda m, lang: tr(lang, "neuron: how the output moves with the first weight: "
                                        "x0 s (1 - s)")),
    ("df_dx0", lambda m, lang: tr(lang, "and with the first input: w0 s (1 - s)")),
    ("f", lambda m, lang: tr(lang, "the output's forward value")),
    ("max_error_vs_tensorflow", against_tensorflow),
    ("max_error_vs_finite_differences", against_differences),
    ("numpy_test_accuracy",
     lambda m, lang: tr(lang, "network: the net trained with the hand-written gradients")),
    ("test_accuracy", keras_accuracy),
    ("mine_test_accuracy", lambda m, lang: tr(lang, "--mine: the net trained with your "
                                                    "two_layer_loss, tested with your pieces")),
)
