"""The LSTM lesson's exercises: one LSTM step with Keras' weights, sampling with a
temperature, and clipping by the global norm. Checked against the lesson's own NumPy
versions here, which the test suite checks against Keras' LSTMCell and
`tf.clip_by_global_norm`; sampling is checked by its frequencies over many draws."""

from __future__ import annotations

import numpy as np

from lessons.checking import expect_close, expect_shape
from workbench.authoring import Exercise, Failed

DRAWS = 20_000


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def lstm_step(x, h, c, Wx, Wh, b):
    z = x @ Wx + h @ Wh + b
    i, f, g, o = np.split(z, 4, axis=1)  # Keras' order: input, forget, cell candidate, output
    c_next = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    return sigmoid(o) * np.tanh(c_next), c_next


def _cs231n_order_step(x, h, c, Wx, Wh, b):
    i, f, o, g = np.split(x @ Wx + h @ Wh + b, 4, axis=1)
    c_next = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    return sigmoid(o) * np.tanh(c_next), c_next


def softmax(z):
    e = np.exp(z - np.max(z))
    return e / e.sum()


def sample(logits, temperature, rng):
    logits = np.asarray(logits, dtype=np.float64)
    if temperature == 0:
        return int(np.argmax(logits))
    return int(rng.choice(len(logits), p=softmax(logits / temperature)))


def clip_by_global_norm(grads, clip_norm):
    norm = float(np.sqrt(sum(np.sum(np.square(g)) for g in grads)))
    scale = clip_norm / max(norm, clip_norm)  # 1 when the norm is already within clip_norm
    return [g * scale for g in grads], norm


def check_lstm_step(function) -> None:
    rng = np.random.default_rng(0)
    n, d, units = 3, 5, 4
    x, h, c = rng.normal(size=(n, d)), rng.normal(size=(n, units)), rng.normal(size=(n, units))
    Wx, Wh, b = rng.normal(size=(d, 4 * units)), rng.normal(size=(units, 4 * units)), rng.normal(size=4 * units)
    result = function(x.copy(), h.copy(), c.copy(), Wx.copy(), Wh.copy(), b.copy())
    if not isinstance(result, tuple) or len(result) != 2:
        raise Failed(f"return (h_next, c_next), a pair; got {type(result).__name__}")
    h_next, c_next = (expect_shape(v, (n, units), name) for v, name in zip(result, ("h_next", "c_next")))
    want_h, want_c = lstm_step(x, h, c, Wx, Wh, b)
    if np.allclose(h_next, _cs231n_order_step(x, h, c, Wx, Wh, b)[0]):
        raise Failed("the gates are read in the order i, f, o, g (CS231n's assignment); Keras packs "
                     "them i, f, c, o: input, forget, cell candidate, output")
    expect_close(c_next, want_c, "c_next", rtol=1e-6)
    expect_close(h_next, want_h, "h_next", rtol=1e-6)


def draws(sample_function, logits, temperature, seed, count):
    """`count` indices from the learner's `sample`, one generator throughout: the harness,
    run beside their function (20,000 calls there, one here)."""
    rng = np.random.default_rng(seed)
    return np.array([int(sample_function(logits.copy(), temperature, rng)) for _ in range(count)])


def check_sample(function) -> None:
    """`function` is `draws` around the learner's `sample`."""
    logits = np.array([1.0, 2.0, 0.5, 3.0])
    greedy = np.asarray(function(logits, 0, 0, 3))
    if greedy.shape != (3,) or not np.all(greedy == 3):
        raise Failed(f"temperature 0 must pick the largest logit (index 3) every time; got "
                     f"{greedy.tolist()}")
    for temperature in (0.5, 1.0, 2.0):
        drawn = expect_shape(function(logits, temperature, 1, DRAWS), (DRAWS,), "the draws").astype(int)
        if drawn.min() < 0 or drawn.max() >= len(logits):
            raise Failed(f"drew index {drawn.max() if drawn.max() >= len(logits) else drawn.min()}, "
                         f"outside 0..{len(logits) - 1}")
        freq = np.bincount(drawn, minlength=len(logits)) / DRAWS
        want = softmax(logits / temperature)
        gap = np.abs(freq - want).max()
        # 5 standard deviations of a frequency over DRAWS draws: a right sampler fails 1 in 10^6.
        if gap > 5 * np.sqrt(0.25 / DRAWS):
            plain = np.abs(freq - softmax(logits)).max() < 5 * np.sqrt(0.25 / DRAWS)
            hint = (": these are softmax(logits); the temperature divides the logits before the "
                    "softmax, it does not rescale the probabilities" if plain and temperature != 1 else "")
            raise Failed(f"temperature {temperature:g}: frequencies over {DRAWS:,} draws "
                         f"{np.round(freq, 3).tolist()}, expected softmax(logits / T) = "
                         f"{np.round(want, 3).tolist()}{hint}")


def check_clip(function) -> None:
    rng = np.random.default_rng(2)
    grads = [rng.normal(size=(3, 4)) * 3, rng.normal(size=5) * 0.1, rng.normal(size=(2, 2))]
    for clip_norm in (1.0, 100.0):
        result = function([g.copy() for g in grads], clip_norm)
        if not isinstance(result, tuple) or len(result) != 2:
            raise Failed(f"return (clipped_list, global_norm), a pair; got {type(result).__name__}")
        clipped, norm = result
        want, want_norm = clip_by_global_norm(grads, clip_norm)
        expect_close(norm, want_norm, "global_norm", rtol=1e-9)
        if len(clipped) != len(grads):
            raise Failed(f"{len(clipped)} clipped tensors for {len(grads)} gradients")
        per_tensor = [g * min(1.0, clip_norm / np.linalg.norm(g)) for g in grads]
        for k, (got, expected) in enumerate(zip(clipped, want)):
            if clip_norm < want_norm and np.allclose(got, per_tensor[k]) and not np.allclose(got, expected):
                raise Failed("each tensor was clipped to clip_norm on its own; clip by the global "
                             "norm (of all the tensors together), which keeps their directions")
            expect_close(got, expected, f"clipped[{k}] (clip_norm {clip_norm:g}, global norm "
                                        f"{want_norm:.4g})", rtol=1e-9)


EXERCISES = (
    Exercise("lstm_step", "one LSTM step with Keras' gate order and weights",
             '''def lstm_step(x, h, c, Wx, Wh, b):
    """One step of an LSTM layer, weights in Keras' layout (a saved model's plug in).

    x: (N, D) inputs; h, c: (N, H) hidden and cell states; Wx: (D, 4H) (Keras' kernel),
    Wh: (H, 4H) (recurrent_kernel), b: (4H,). z = x @ Wx + h @ Wh + b holds the four
    gates side by side in Keras' order i, f, c, o (input, forget, cell candidate g,
    output): c_next = sigmoid(f) * c + sigmoid(i) * tanh(g);
    h_next = sigmoid(o) * tanh(c_next). Returns (h_next, c_next).
    """''', check_lstm_step, lstm_step),
    Exercise("sample", "the next character from the logits, at a temperature",
             '''def sample(logits, temperature, rng):
    """An index drawn with probabilities softmax(logits / temperature), as an int.

    logits: (V,) unnormalised log-probabilities; temperature 0 means the most likely
    index (argmax), every time; rng: a numpy.random.Generator (use it, for repeatable
    draws). Low temperature sharpens the distribution, high flattens it.
    """''', check_sample, sample, harness=draws),
    Exercise("clip_by_global_norm", "gradient clipping by the global norm",
             '''def clip_by_global_norm(grads, clip_norm):
    """Rescale a list of gradient arrays so that their global norm is at most clip_norm.

    global_norm = sqrt(sum over all arrays of sum(g ** 2)); every array is multiplied by
    clip_norm / max(global_norm, clip_norm): one factor for all, so the direction of the
    whole gradient is kept. Returns (clipped_list, global_norm), the norm before clipping,
    as tf.clip_by_global_norm does.
    """''', check_clip, clip_by_global_norm),
)
