"""What kNN's key numbers mean on a run, worded from the numbers themselves."""

from workbench.authoring import catalogue

tr = catalogue(__name__)  # the lesson's words in the learner's language


def train_accuracy(m, lang: str) -> str:
    if m["train_accuracy"] >= 0.9995:
        return tr(lang, "on the images it remembers: every one got its own label back "
                        "(with k = 1 each is its own nearest)")
    return tr(lang, "below 1 on the images it remembers: with k above 1 the other neighbours "
                    "outvote some images' own label (k = 1 scores 1, each its own nearest)")


HIGHLIGHTS = (
    ("test_accuracy",
     lambda m, lang: tr(lang, "share of the held-out test images the k nearest got right")),
    ("train_accuracy", train_accuracy),
    ("cv_best_k", lambda m, lang: tr(lang, "the k cross-validation prefers on the training split")),
)
