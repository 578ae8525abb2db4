"""The character-level language model: embedding -> stacked LSTMs -> scores over the vocabulary."""

from __future__ import annotations

import keras
from keras import layers


def build_char_lstm(vocab_size: int, embed_dim: int, units: int, num_layers: int,
                    dropout: float) -> keras.Model:
    """One step per character: embed it, update each LSTM's (h, c), score every next character.

    The output is logits, the unnormalised log-probabilities of the softmax over the
    vocabulary: the loss applies the softmax itself (from_logits=True, the stable form)
    and sampling divides the logits by the temperature before it.
    """
    chars = keras.Input(shape=(None,), dtype="int32", name="chars")
    x = layers.Embedding(vocab_size, embed_dim, name="embedding")(chars)
    for i in range(1, num_layers + 1):
        x = layers.LSTM(units, return_sequences=True, name=f"lstm_{i}")(x)
        if dropout:
            x = layers.Dropout(dropout, name=f"dropout_{i}")(x)
    logits = layers.Dense(vocab_size, name="logits", dtype="float32")(x)
    return keras.Model(chars, logits, name="char_lstm")


def build_simple_rnn(vocab_size: int, units: int, recurrent_gain: float) -> keras.Model:
    """The vanilla RNN twin for the clipping demo: h_t = tanh(W_x x_t + W_h h_{t-1} + b).

    Backpropagation multiplies the gradient by W_h^T at every step; a recurrent matrix
    whose largest singular value is `recurrent_gain` > 1 makes it grow geometrically.
    """
    chars = keras.Input(shape=(None,), dtype="int32", name="chars")
    x = layers.Embedding(vocab_size, 16, name="embedding")(chars)
    x = layers.SimpleRNN(units, return_sequences=True, name="rnn",
                         recurrent_initializer=keras.initializers.Orthogonal(gain=recurrent_gain))(x)
    logits = layers.Dense(vocab_size, name="logits", dtype="float32")(x)
    return keras.Model(chars, logits, name="simple_rnn")
