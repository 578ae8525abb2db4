"""What the linear classifier's key numbers mean on a run, worded from the numbers."""

from workbench.authoring import catalogue, number

tr = catalogue(__name__)  # the lesson's words in the learner's language


def initial_loss(m, lang: str) -> str:
    expected = m.get("expected_initial_loss")
    if not isinstance(expected, (int, float)):
        return tr(lang, "before training: small weights score every class about the same; a loss "
                        "far from what equal scores give means something is wrong")
    if abs(m["initial_loss"] - expected) <= 0.1 * abs(expected):
        return tr(lang, "before training: near the {expected} that equal scores give, as it "
                        "should be", expected=number(expected))
    return tr(lang, "before training: far from the {expected} that equal scores give: something "
                    "is wrong", expected=number(expected))


def gradient_check(m, lang: str) -> str:
    error = m["grad_check_max_rel_error"]
    if error < 1e-7:
        return tr(lang, "autodiff against finite differences: below 1e-7, the gradient is right")
    if error < 1e-4:
        return tr(lang, "autodiff against finite differences: between 1e-7 and 1e-4, likely right "
                        "(float rounding, or a kink of the loss)")
    return tr(lang, "autodiff against finite differences: above 1e-4, the gradient is probably "
                    "wrong")


def best_loss(m, lang: str) -> str:
    if "evaluations" not in m:  # a run recorded before the budget was a metric
        return tr(lang, "the lowest training loss the search found")
    return tr(lang, "the lowest training loss the search found in its {evaluations} loss "
                    "evaluations", evaluations=number(m["evaluations"]))


def gradient_speedup(m, lang: str) -> str:
    if "gradient_entries" not in m:
        return tr(lang, "how many times faster one analytic gradient is than one numeric gradient")
    return tr(lang, "how many times faster one analytic gradient is than one numeric gradient "
                    "({evaluations} loss evaluations, two per entry of W)",
              evaluations=number(2 * m["gradient_entries"]))


HIGHLIGHTS = (
    ("test_accuracy",
     lambda m, lang: tr(lang, "share of the held-out test images classified right")),
    ("initial_loss", initial_loss),
    ("final_loss", lambda m, lang: tr(lang, "after training, data loss plus the L2 term")),
    ("grad_check_max_rel_error", gradient_check),
    ("best_loss", best_loss),  # the searches (method=random_search|local_search)
    ("random_search_test_accuracy",
     lambda m, lang: tr(lang, "random search, the best of many random W: test accuracy")),
    ("local_search_test_accuracy",
     lambda m, lang: tr(lang, "random local search, the best W kept nudging: test accuracy")),
    ("gradient_speedup", gradient_speedup),
)
