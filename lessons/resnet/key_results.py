"""What ResNet's key numbers mean on a run, worded from the numbers themselves."""

from workbench.authoring import catalogue

tr = catalogue(__name__)  # the lesson's words in the learner's language


def plain_loss(m, lang: str) -> str:
    residual = m.get("residual_final_train_loss")
    if not isinstance(residual, (int, float)):
        return tr(lang, "the same layers without shortcuts: higher when depth hurts optimisation")
    if m["plain_final_train_loss"] > residual:
        return tr(lang, "the same layers without shortcuts: higher than the residual net's, depth "
                        "hurts its optimisation")
    return tr(lang, "the same layers without shortcuts: not higher than the residual net's, at "
                    "this depth the shortcuts did not matter yet")


HIGHLIGHTS = (
    ("residual_final_train_loss",
     lambda m, lang: tr(lang, "training loss the residual net ends with")),
    ("plain_final_train_loss", plain_loss),
    ("test_accuracy", lambda m, lang: tr(lang, "the residual net on the held-out test images")),
    ("plain_test_accuracy", lambda m, lang: tr(lang, "the plain twin on the same images")),
)
