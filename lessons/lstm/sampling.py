"""Fast text generation from the lesson's character model: one compiled loop that carries the state.

The Keras text-generation examples call `model.predict` on the whole window once per
new character: every character re-reads the window and pays Python and dispatch
overhead. Here the model's recurrent cells run inside one `tf.function` that carries
each layer's (h, c) from step to step, so a character costs one cell update per layer.

The model must be the workbench's character model shape: Embedding -> recurrent layers
(Dropout ignored) -> Dense logits.
"""

from __future__ import annotations

from typing import Iterator

import keras
import numpy as np
import tensorflow as tf

from workbench.authoring import BadInput

CHUNK = 64  # characters per compiled call: small enough to stream, large enough to amortise


class Sampler:
    def __init__(self, model: keras.Model, vocabulary: str):
        self.vocabulary = vocabulary
        self.index = {c: i for i, c in enumerate(vocabulary)}
        self.embedding = next(l for l in model.layers if isinstance(l, keras.layers.Embedding))
        recurrent = [l for l in model.layers if isinstance(l, keras.layers.RNN)]
        self.cells = [layer.cell for layer in recurrent]
        self.head = [l for l in model.layers if isinstance(l, keras.layers.Dense)][-1]
        if not self.cells:
            raise BadInput(f"model {model.name!r} has no recurrent layer to sample from")

    def _zero_state(self):
        states = []
        for cell in self.cells:
            sizes = cell.state_size if isinstance(cell.state_size, (list, tuple)) else [cell.state_size]
            states.append([tf.zeros((1, size), cell.compute_dtype) for size in sizes])
        return states

    def _step(self, char_id, states):
        """One character in: new states and the next character's logits."""
        x = self.embedding(tf.reshape(char_id, (1,)))
        new_states = []
        for cell, state in zip(self.cells, states):
            x, state = cell(x, state, training=False)
            new_states.append(list(state) if isinstance(state, (list, tuple)) else [state])
        return new_states, tf.cast(self.head(x)[0], tf.float32)

    @tf.function(reduce_retracing=True)
    def _absorb(self, ids, states):
        """Run the prime through the cells (teacher forcing): only the state matters."""
        for i in tf.range(tf.shape(ids)[0]):
            states, _ = self._step(ids[i], states)
        return states

    @tf.function(reduce_retracing=True)
    def _generate(self, char_id, states, n, temperature, top_k, seed, offset):
        out = tf.TensorArray(tf.int32, size=n)
        for i in tf.range(n):
            states, logits = self._step(char_id, states)
            char_id = pick(logits, temperature, top_k, tf.stack([seed, offset + i]))
            out = out.write(i, char_id)
        return out.stack(), char_id, states

    def check_prime(self, prime: str) -> None:
        unknown = sorted({c for c in prime if c not in self.index})
        if unknown:
            shown = ", ".join(repr(c) for c in unknown[:10])
            raise BadInput(f"prime has characters not in the model's vocabulary: {shown}")

    def generate(self, prime: str, length: int, *, temperature: float = 1.0, top_k: int | None = None,
                 seed: int = 0, chunk: int = CHUNK) -> Iterator[str]:
        """Yield the generated text (prime excluded) in chunks as it is produced.

        The options arrive checked (`workbench.running.generation.OPTIONS`); top_k None: every character."""
        self.check_prime(prime)
        if not prime:  # no prime: start from a character drawn with the run's seed
            prime = self.vocabulary[np.random.default_rng(seed).integers(len(self.vocabulary))]
            yield prime
        ids = [self.index[c] for c in prime]
        states = self._absorb(tf.constant(ids[:-1], tf.int32), self._zero_state())
        char_id = tf.constant(ids[-1], tf.int32)
        k = tf.constant(min(top_k or len(self.vocabulary), len(self.vocabulary)), tf.int32)
        done = 0
        while done < length:
            n = min(chunk, length - done)
            new_ids, char_id, states = self._generate(
                char_id, states, tf.constant(n, tf.int32), tf.constant(temperature, tf.float32), k,
                tf.constant(seed, tf.int32), tf.constant(done, tf.int32))
            done += n
            yield "".join(self.vocabulary[i] for i in new_ids.numpy())


def vocabulary_of(metadata: dict) -> str:
    """The saved character model's vocabulary; BadInput for a model that writes no text."""
    if metadata.get("task") == "shapes":
        raise BadInput("a task=shapes model maps digit sequences and writes no text; generate "
                       "needs a model from `workbench run lstm` (task=text)")
    vocabulary = metadata.get("vocabulary")
    if not vocabulary:
        raise BadInput("the model has no character vocabulary in its metadata")
    return vocabulary


def sampler_for(model: keras.Model, metadata: dict) -> Sampler:
    """The lesson's `generator`: the sampler of a saved character model."""
    return Sampler(model, vocabulary_of(metadata))


def pick(logits, temperature, top_k, seed):
    """Temperature 0: the likeliest character. Otherwise sample softmax(logits / T), only
    among the top_k likeliest: low T sharpens the distribution, high T flattens it."""
    def greedy():
        return tf.argmax(logits, output_type=tf.int32)

    def sample():
        scaled = logits / temperature
        kth = tf.math.top_k(scaled, k=top_k).values[-1]
        masked = tf.where(scaled < kth, tf.constant(-np.inf, scaled.dtype), scaled)
        return tf.cast(tf.random.stateless_categorical(masked[None, :], 1, seed)[0, 0], tf.int32)

    return tf.cond(temperature > 0, sample, greedy)
