"""Text from a saved character model, driven by the learner's `lstm_step` and `sample`
(`workbench generate MODEL.h5 --mine`): the model's weights, read out of Keras, go
through their NumPy step one character at a time. At temperature 0 the text is the
compiled sampler's exactly (when their step is right); above it, the same distribution,
drawn by their `sample` from a NumPy generator seeded by --seed."""

from __future__ import annotations

from typing import Callable, Iterator, Mapping

import keras
import numpy as np

from lessons.lstm.sampling import vocabulary_of
from workbench.authoring import BadInput


class MineSampler:
    def __init__(self, model: keras.Model, vocabulary: str, mine: Mapping[str, Callable]):
        self.vocabulary = vocabulary
        self.index = {c: i for i, c in enumerate(vocabulary)}
        self.step, self.sample = mine["lstm_step"], mine["sample"]
        self.embedding = next(l for l in model.layers if isinstance(l, keras.layers.Embedding)).get_weights()[0]
        recurrent = [l for l in model.layers if isinstance(l, keras.layers.RNN)]
        if not recurrent or not all(isinstance(l, keras.layers.LSTM) for l in recurrent):
            raise BadInput("--mine drives LSTM layers with your lstm_step; this model has other recurrent layers")
        self.layers = [tuple(np.asarray(w, np.float64) for w in l.get_weights()) for l in recurrent]
        head = [l for l in model.layers if isinstance(l, keras.layers.Dense)][-1]
        self.head = tuple(np.asarray(w, np.float64) for w in head.get_weights())

    def check_prime(self, prime: str) -> None:
        unknown = sorted({c for c in prime if c not in self.index})
        if unknown:
            raise BadInput(f"prime has characters not in the model's vocabulary: "
                           f"{', '.join(repr(c) for c in unknown[:10])}")

    def _advance(self, char_id: int, states):
        x = self.embedding[char_id][None, :].astype(np.float64)
        new_states = []
        for (Wx, Wh, b), (h, c) in zip(self.layers, states):
            h, c = self.step(x, h, c, Wx, Wh, b)
            new_states.append((h, c))
            x = h
        W, b = self.head
        return new_states, (x @ W + b)[0]

    def generate(self, prime: str, length: int, *, temperature: float = 1.0, top_k: int | None = None,
                 seed: int = 0, chunk: int = 64) -> Iterator[str]:
        if top_k:
            raise BadInput("--mine samples with your sample(), which has no top-k; drop --top-k")
        self.check_prime(prime)
        rng = np.random.default_rng(seed)
        if not prime:
            prime = self.vocabulary[rng.integers(len(self.vocabulary))]
            yield prime
        states = [(np.zeros((1, Wh.shape[0])), np.zeros((1, Wh.shape[0]))) for _, Wh, _ in self.layers]
        for char in prime[:-1]:
            states, _ = self._advance(self.index[char], states)
        char_id, text = self.index[prime[-1]], []
        for done in range(1, length + 1):
            states, logits = self._advance(char_id, states)
            char_id = int(self.sample(logits, temperature, rng))
            text.append(self.vocabulary[char_id])
            if done % chunk == 0 or done == length:
                yield "".join(text)
                text = []


def sampler_with(model: keras.Model, metadata: dict, mine: Mapping[str, Callable]) -> MineSampler:
    return MineSampler(model, vocabulary_of(metadata), mine)
