"""What the CNN's key numbers mean on a run."""

from workbench.authoring import catalogue

tr = catalogue(__name__)  # the lesson's words in the learner's language

HIGHLIGHTS = (
    ("test_accuracy",
     lambda m, lang: tr(lang, "share of the held-out test images classified right")),
    ("train_accuracy",
     lambda m, lang: tr(lang, "the finished network on the clean training images")),
    ("params", lambda m, lang: tr(lang, "weights the trained (narrowed) network holds")),
    ("macs", lambda m, lang: tr(lang, "multiply-accumulates of one forward pass of one image")),
)
