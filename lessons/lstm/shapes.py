"""The five shapes of a recurrent task (`--set task=shapes`): one to one, one to many,
many to one, many to many after reading it all (encoder-decoder), and synced many to
many. Each is a small model trained on a synthetic, seeded digit task that needs that
shape, built from the Keras layers that make it: `return_sequences` (an output at every
step, or only the last), `RepeatVector` (one vector handed to every step) and
`TimeDistributed` (the same Dense layer at every step)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import keras
import numpy as np
from keras import layers

DIGITS = 10  # every input is a digit 0..9
STEPS = 5  # length of every input or output sequence
UNITS = 48
EMBED = 8
TRAIN, TEST = 4000, 1000
EPOCHS = 12
BATCH = 64
LEARNING_RATE = 0.01
LARGEST_ADDEND = 3  # many to one sums digits 0..3
SUM_CLASSES = LARGEST_ADDEND * STEPS + 1  # sums 0..15


@dataclass(frozen=True)
class Shape:
    name: str  # the metrics' middle: shape_<name>_accuracy
    task: str  # what it learns, in words (a message id)
    data: Callable[[np.random.Generator, int], tuple[np.ndarray, np.ndarray]]
    build: Callable[[], keras.Model]
    classes: int  # labels each prediction chooses among


# -- the tasks: (inputs, labels) for n examples -----------------------------------------

def plain_labels(rng, n):
    """One digit in, one label out: the digit times 3, mod 10 (any lookup table would do)."""
    x = rng.integers(0, DIGITS, (n, 1))
    return x, (3 * x[:, 0]) % DIGITS


def counting_up(rng, n):
    """One digit d in, the sequence d, d+1, ..., d+4 (mod 10) out."""
    x = rng.integers(0, DIGITS, (n, 1))
    return x, (x + np.arange(STEPS)) % DIGITS


def sequence_sum(rng, n):
    """A sequence of digits 0..3 in, its sum (0..15) out: every step counts."""
    x = rng.integers(0, LARGEST_ADDEND + 1, (n, STEPS))
    return x, x.sum(axis=1)


def reversed_sequence(rng, n):
    """A sequence in, the same sequence backwards out: the first output needs the last input."""
    x = rng.integers(0, DIGITS, (n, STEPS))
    return x, x[:, ::-1].copy()


def running_max(rng, n):
    """A sequence in, at every step the largest digit seen so far."""
    x = rng.integers(0, DIGITS, (n, STEPS))
    return x, np.maximum.accumulate(x, axis=1)


# -- the models -----------------------------------------------------------------------

def _digits_in(length: int):
    digits = keras.Input(shape=(length,), dtype="int32", name="digits")
    return digits, layers.Embedding(DIGITS, EMBED, name="embedding")(digits)


def one_to_one() -> keras.Model:
    digits, x = _digits_in(1)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(UNITS, activation="relu", name="hidden")(x)
    return keras.Model(digits, layers.Dense(DIGITS, name="logits")(x), name="one_to_one")


def one_to_many() -> keras.Model:
    digits, x = _digits_in(1)
    x = layers.Flatten(name="flatten")(x)
    x = layers.RepeatVector(STEPS, name="repeat")(x)  # the one input handed to every step
    x = layers.LSTM(UNITS, return_sequences=True, name="lstm")(x)
    return keras.Model(digits, layers.TimeDistributed(layers.Dense(DIGITS), name="logits")(x),
                       name="one_to_many")


def many_to_one() -> keras.Model:
    digits, x = _digits_in(STEPS)
    x = layers.LSTM(UNITS, name="lstm")(x)  # return_sequences=False: only the last state
    return keras.Model(digits, layers.Dense(SUM_CLASSES, name="logits")(x),
                       name="many_to_one")


def seq2seq() -> keras.Model:
    digits, x = _digits_in(STEPS)
    summary = layers.LSTM(UNITS, name="encoder")(x)  # the whole input, read into one vector
    x = layers.RepeatVector(STEPS, name="repeat")(summary)
    x = layers.LSTM(UNITS, return_sequences=True, name="decoder")(x)
    return keras.Model(digits, layers.TimeDistributed(layers.Dense(DIGITS), name="logits")(x),
                       name="seq2seq")


def synced() -> keras.Model:
    digits, x = _digits_in(STEPS)
    x = layers.LSTM(UNITS, return_sequences=True, name="lstm")(x)  # an output per input, as it reads
    return keras.Model(digits, layers.TimeDistributed(layers.Dense(DIGITS), name="logits")(x),
                       name="synced")


SHAPES = (
    Shape("one_to_one", "a digit to 3 times it, mod 10", plain_labels, one_to_one, DIGITS),
    Shape("one_to_many", "a digit to the 5 digits counting up from it", counting_up, one_to_many,
          DIGITS),
    Shape("many_to_one", "5 digits 0..3 to their sum", sequence_sum, many_to_one, SUM_CLASSES),
    Shape("seq2seq", "5 digits to the same 5 reversed", reversed_sequence, seq2seq, DIGITS),
    Shape("synced", "5 digits to the largest so far, at every step", running_max, synced, DIGITS),
)


def reading_bound() -> float:
    """The best a synced model can score on the reversal task: output t needs input
    STEPS-1-t, which it has read only when t >= STEPS-1-t; before that it can only guess,
    right one time in DIGITS. (3 + 2/10) / 5 = 0.64 for 5 steps."""
    known = sum(1 for t in range(STEPS) if t >= STEPS - 1 - t)
    return (known + (STEPS - known) / DIGITS) / STEPS


def shape_text(shape) -> str:
    """A Keras shape with the batch written N: (None, 5, 10) -> "(N, 5, 10)"."""
    return "(" + ", ".join("N" if d is None else str(d) for d in shape) + ")"


def majority_accuracy(y_train: np.ndarray, y_test: np.ndarray) -> float:
    """What guessing without looking scores: at each output step, always the label most
    common there in training, scored on the test labels."""
    train = y_train.reshape(len(y_train), -1)
    test = y_test.reshape(len(y_test), -1)
    best = [np.bincount(train[:, j]).argmax() for j in range(train.shape[1])]
    return float(np.mean(test == np.array(best)))


def accuracy(model: keras.Model, x: np.ndarray, y: np.ndarray) -> float:
    """Share of labels right: for a sequence output, every step of every example counts."""
    predicted = np.argmax(model.predict(x, batch_size=512, verbose=0), axis=-1)
    return float(np.mean(predicted == y))
