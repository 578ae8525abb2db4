"""What the LSTM's key numbers mean on a run, worded from the numbers themselves."""

from workbench.authoring import catalogue

tr = catalogue(__name__)  # the lesson's words in the learner's language


def perplexity(m, lang: str) -> str:
    vocabulary = m.get("vocabulary_size")
    if not isinstance(vocabulary, (int, float)):
        return tr(lang, "as many characters as it hesitates between; knowing nothing scores the "
                        "vocabulary size")
    if m["final_val_perplexity"] < vocabulary:
        return tr(lang, "as many characters as it hesitates between: below the vocabulary size "
                        "({size}) that knowing nothing scores", size=vocabulary)
    return tr(lang, "as many characters as it hesitates between: not below the vocabulary size "
                    "({size}), no better than knowing nothing", size=vocabulary)


HIGHLIGHTS = (
    ("final_val_loss",
     lambda m, lang: tr(lang, "nats per character on held-out text (lower is better)")),
    ("final_val_perplexity", perplexity),
    ("final_val_bits_per_char",
     lambda m, lang: tr(lang, "the same loss in bits: what a compressor would need")),
    ("vocabulary_size", lambda m, lang: tr(lang, "distinct characters in the corpus")),
)
