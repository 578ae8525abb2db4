"""What transfer learning's key numbers mean on a run, worded from the numbers."""

from workbench.authoring import catalogue

tr = catalogue(__name__)  # the lesson's words in the learner's language


def scratch(m, lang: str) -> str:
    pretrained = m.get("transfer_test_accuracy")
    if not isinstance(pretrained, (int, float)):
        return tr(lang, "the same network from random weights")
    if m["scratch_test_accuracy"] < pretrained:
        return tr(lang, "the same network from random weights: below the pretrained one")
    return tr(lang, "the same network from random weights: not below the pretrained one, "
                    "pretraining did not help here")


def speedup(m, lang: str) -> str:
    if m["features_speedup_per_epoch"] > 1:
        return tr(lang, "an epoch of (1) over an epoch of (2): above 1, keeping the features once "
                        "saves time")
    return tr(lang, "an epoch of (1) over an epoch of (2): not above 1, keeping the features saved "
                    "no time here")


HIGHLIGHTS = (
    ("transfer_test_accuracy",
     lambda m, lang: tr(lang, "pretrained backbone + new head, 5-9 (mean)")),
    ("scratch_test_accuracy", scratch),
    ("frozen_test_accuracy", lambda m, lang: tr(lang, "(1) head trained through the frozen backbone")),
    ("features_test_accuracy", lambda m, lang: tr(lang, "(2) the same head on features kept once")),
    ("finetune_test_accuracy", lambda m, lang: tr(lang, "(3) then the top block fine-tuned")),
    ("features_speedup_per_epoch", speedup),
)
