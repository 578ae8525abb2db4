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


def reversal(m, lang: str) -> str:
    chance = m.get("shape_seq2seq_chance", 0.1)
    return tr(lang, "share of digits the encoder-decoder reverses right; guessing scores "
                    "{chance:.2f}", chance=chance)


def synced_reversal(m, lang: str) -> str:
    bound = m.get("shape_synced_on_reversal_bound", 0.64)
    return tr(lang, "the synced shape on the same task: it can be right at most {bound:.2f} of "
                    "the time", bound=bound)


HIGHLIGHTS += (
    ("shape_seq2seq_accuracy", reversal),
    ("shape_synced_on_reversal_accuracy", synced_reversal),
)
