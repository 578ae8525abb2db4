"""LSTM generation: the compiled sampling loop vs `model.predict` once per character.

Both sides use the same model (the lstm lesson's default size; the weights do not change
the cost) and produce greedy text from the same prime. The alternative is the loop of the
Keras character-generation example: predict on the last `seq_len` characters, take the
last position's logits, append the character, repeat.
"""

from __future__ import annotations

import numpy as np

from benchmarks.common import Row, median_seconds


def measure(quick: bool) -> list[Row]:
    from workbench.running.quiet import import_tensorflow

    import_tensorflow()
    from lessons.lstm import LESSON
    from lessons.lstm.corpus import load
    from lessons.lstm.model import build_char_lstm
    from lessons.lstm.sampling import Sampler

    p = LESSON.settings()
    text = load("pydoc", p.max_chars)
    vocabulary = text.vocabulary
    model = build_char_lstm(len(vocabulary), p.embed_dim, p.units, p.layers, p.dropout)
    sampler = Sampler(model, vocabulary)
    # A full window from the start, as in the Keras example: every predict call then sees
    # the same input shape, so the alternative is not charged for retracing.
    prime = text.text[: p.seq_len]
    ours_chars = 2000 if quick else 10000
    slow_chars = 30 if quick else 100
    seq_len = p.seq_len
    index = {c: i for i, c in enumerate(vocabulary)}

    def compiled():
        return "".join(sampler.generate(prime, ours_chars, temperature=0.0))

    def predict_per_character():
        ids = [index[c] for c in prime]
        for _ in range(slow_chars):
            window = np.array([ids[-seq_len:]], dtype="int32")
            logits = model.predict(window, verbose=0)[0, -1]
            ids.append(int(np.argmax(logits)))

    fast = median_seconds(compiled, repeats=3 if quick else 5)
    slow = median_seconds(predict_per_character, repeats=3 if quick else 5)
    return [Row(f"LSTM generation ({p.layers}x{p.units} LSTM, vocab {len(vocabulary)})",
                ours_chars / fast, "chars/s", "compiled tf.function loop",
                alternative=slow_chars / slow, alternative_label="model.predict per char",
                higher_is_better=True, budget=100.0)]
