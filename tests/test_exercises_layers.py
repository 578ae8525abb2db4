"""The layers' exercises: the convolution's and max pooling's backward passes (cnn), the
LSTM step's backward pass (lstm), and the mends to the checks of linear, cnn, resnet and
lstm found by running CS231n's own solutions through them.

Each check passes the lesson's own implementation, calls an unwritten stub `todo`,
passes right answers written other ways (CS231n's solutions among them), and fails each
classic mistake, through the real sandbox, with a message that names it. The lessons'
own versions are held to independent references: TensorFlow's GradientTape on Keras'
Conv2D, MaxPooling2D and LSTMCell in float64, centred differences in float64, and
CS231n's published test vectors.

CS231n's vectors are moved to this course's layout, so the numbers carry over unchanged:
images from NCHW to channels last (x.transpose(0, 2, 3, 1)), kernels from (F, C, KH, KW)
to Keras' (KH, KW, C, F) (w.transpose(2, 3, 1, 0)), and the LSTM's weights' gate blocks
from CS231n's order (i, f, o, g) to Keras' (i, f, c, o) (`lstm.keras_order`). For the
backward passes CS231n publishes its inputs (np.random.seed(231), drawn in a fixed
order) and an error bound, not the gradients: those inputs are checked against
centred differences and TensorFlow.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import solved_source
from test_exercises import exercise, learner_file
from lessons.cnn import exercises as cnn
from lessons.common import relative_error
from lessons.linear import exercises as linear
from lessons.lstm import exercises as lstm
from workbench.course import exercises

LESSONS = ("linear", "cnn", "resnet", "lstm")


def checked(exercise_id: str, source: str, tmp_path: Path) -> exercises.Outcome:
    lesson = exercise_id.partition(".")[0]
    return exercises.check_one(lesson, exercise(exercise_id), learner_file(tmp_path, lesson, source),
                               timeout=60)


def swapped(source: str, *swaps: tuple[str, str]) -> str:
    """`source` with each (old, new) swapped in, each old found exactly once: one mistake."""
    for old, new in swaps:
        assert source.count(old) == 1, old
        source = source.replace(old, new)
    return source


# -- the catalogue ------------------------------------------------------------------------------

def test_the_new_exercises_are_declared_in_course_order():
    assert [e.name for e in exercises.lesson_exercises("cnn")] == [
        "conv_output_size", "conv_forward_naive", "conv_backward_naive", "max_pool_forward_naive",
        "max_pool_backward_naive"]
    assert [e.name for e in exercises.lesson_exercises("lstm")] == [
        "lstm_step", "lstm_step_backward", "sample", "clip_by_global_norm"]


@pytest.mark.parametrize("exercise_id", [f"{lesson}.{e.name}" for lesson in LESSONS
                                         for e in exercises.lesson_exercises(lesson)])
def test_the_lessons_own_implementation_passes(exercise_id):
    ex = exercise(exercise_id)
    assert exercises.judge(ex, ex.local(ex.reference)) == ("pass", "every check passed")


def test_the_new_stubs_are_todo_and_the_lessons_own_functions_pass_through_the_sandbox(tmp_path):
    for lesson, names in (("cnn", ("conv_backward_naive", "max_pool_backward_naive")),
                          ("lstm", ("lstm_step_backward",))):
        stubs = exercises.start(lesson, tmp_path / "stubs")
        solved = learner_file(tmp_path / "solved", lesson, solved_source(lesson))
        for name in names:
            assert exercises.check_one(lesson, exercise(f"{lesson}.{name}"), stubs, timeout=60).status == "todo"
            outcome = exercises.check_one(lesson, exercise(f"{lesson}.{name}"), solved, timeout=60)
            assert (outcome.status, outcome.message) == ("pass", "every check passed")


# -- learners' functions, written by hand; each mistake changes one piece -------------------------

CONV_BACKWARD = """
def conv_backward_naive(dout, x, w, b, stride, pad):
    N, H, W, C = x.shape
    KH, KW, _, F = w.shape
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    _, Ho, Wo, _ = dout.shape
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    r, s = i * stride, j * stride
                    g = dout[n, i, j, f]
                    dw[:, :, :, f] += xp[n, r:r + KH, s:s + KW, :] * g
                    dxp[n, r:r + KH, s:s + KW, :] += w[:, :, :, f] * g
    db = dout.sum(axis=(0, 1, 2))
    return dxp[:, pad:pad + H, pad:pad + W, :], dw, db
"""

# CS231n's max pool backward, moved to channels last: the gradient to the window's argmax.
POOL_BACKWARD = """
def max_pool_backward_naive(dout, x, pool, stride):
    N, H, W, C = x.shape
    _, Ho, Wo, _ = dout.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    r, s = i * stride, j * stride
                    win = x[n, r:r + pool, s:s + pool, c]
                    a, e = np.unravel_index(np.argmax(win), win.shape)
                    dx[n, r + a, s + e, c] += dout[n, i, j, c]
    return dx
"""

POOL_BACKWARD_MASKED = swapped(POOL_BACKWARD, (
    """                    a, e = np.unravel_index(np.argmax(win), win.shape)
                    dx[n, r + a, s + e, c] += dout[n, i, j, c]""",
    """                    mask = win == win.max()
                    dx[n, r:r + pool, s:s + pool, c] += mask * dout[n, i, j, c] / mask.sum()"""))

LSTM_BACKWARD = """
def lstm_step_backward(dnext_h, dnext_c, x, h, c, Wx, Wh, b):
    H = h.shape[1]
    a = x @ Wx + h @ Wh + b
    sig = lambda z: 1 / (1 + np.exp(-z))
    i, f = sig(a[:, :H]), sig(a[:, H:2 * H])
    g, o = np.tanh(a[:, 2 * H:3 * H]), sig(a[:, 3 * H:])
    c_next = f * c + i * g
    tc = np.tanh(c_next)
    dc_next = dnext_c + dnext_h * o * (1 - tc ** 2)
    da = np.hstack([dc_next * g * i * (1 - i), dc_next * c * f * (1 - f),
                    dc_next * i * (1 - g ** 2), dnext_h * tc * o * (1 - o)])
    return da @ Wx.T, da @ Wh.T, dc_next * f, x.T @ da, h.T @ da, da.sum(axis=0)
"""

# CS231n's notes: shift each row by its max, exponentiate, normalise, -log of the right one.
SOFTMAX_NOTES = """
def softmax_loss(W, X, y, reg):
    n = len(y)
    scores = X @ W
    scores -= np.max(scores, axis=1, keepdims=True)
    p = np.exp(scores)
    p /= np.sum(p, axis=1, keepdims=True)
    loss = -np.mean(np.log(p[np.arange(n), y])) + reg * np.sum(W * W)
    p[np.arange(n), y] -= 1
    return loss, X.T @ p / n + 2 * reg * W
"""

SOFTMAX_LOG_SUM_EXP = """
def softmax_loss(W, X, y, reg):
    n = len(y)
    s = X @ W
    m = s.max(axis=1, keepdims=True)
    log_p = s - m - np.log(np.exp(s - m).sum(axis=1, keepdims=True))
    loss = -log_p[np.arange(n), y].mean() + reg * (W ** 2).sum()
    d = np.exp(log_p)
    d[np.arange(n), y] -= 1
    return loss, X.T @ d / n + 2 * reg * W
"""

CONV_FORWARD = """
def conv_forward_naive(x, w, b, stride, pad):
    kh, kw, _, f = w.shape
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    oh = (x.shape[1] - kh + 2 * pad) // stride + 1
    ow = (x.shape[2] - kw + 2 * pad) // stride + 1
    out = np.zeros((x.shape[0], oh, ow, f))
    for i in range(oh):
        for j in range(ow):
            win = xp[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
            out[:, i, j] = np.tensordot(win, w, axes=([1, 2, 3], [0, 1, 2])) + b
    return out
"""

POOL_FORWARD = """
def max_pool_forward_naive(x, pool, stride):
    N, H, W, C = x.shape
    Ho, Wo = (H - pool) // stride + 1, (W - pool) // stride + 1
    out = np.zeros((N, Ho, Wo, C))
    for i in range(Ho):
        for j in range(Wo):
            out[:, i, j, :] = x[:, i * stride:i * stride + pool, j * stride:j * stride + pool, :].max(axis=(1, 2))
    return out
"""

SAMPLE = """
def sample(logits, temperature, rng):
    if temperature == 0:
        return int(np.argmax(logits))
    z = logits / temperature
    p = np.exp(z - z.max())
    return int(rng.choice(len(p), p=p / p.sum()))
"""

BLOCK = """
from keras import layers
def basic_block(x, filters, stride=1):
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
    y = layers.ReLU()(layers.BatchNormalization()(y))
    y = layers.BatchNormalization()(layers.Conv2D(filters, 3, padding="same", use_bias=False)(y))
    if stride != 1 or x.shape[-1] != filters:
        x = layers.BatchNormalization()(layers.Conv2D(filters, 1, strides=stride, use_bias=False)(x))
    return layers.ReLU()(layers.Add()([y, x]))
"""

RIGHT = {
    "cnn.conv_backward_naive": [("CS231n's loops over n, f, i, j", CONV_BACKWARD)],
    "cnn.max_pool_backward_naive": [
        ("CS231n's argmax", POOL_BACKWARD),
        ("ties split evenly", POOL_BACKWARD_MASKED)],
    "lstm.lstm_step_backward": [("by hand", LSTM_BACKWARD)],
    "linear.softmax_loss": [("CS231n's notes: shift, exp, normalise, -log p", SOFTMAX_NOTES),
                            ("log-sum-exp", SOFTMAX_LOG_SUM_EXP)],
    "cnn.conv_forward_naive": [("by hand", CONV_FORWARD)],
    "cnn.max_pool_forward_naive": [("by hand", POOL_FORWARD)],
    "lstm.sample": [("shifted by the max", SAMPLE),
                    ("the shift before the temperature", swapped(
                        SAMPLE, ("z = logits / temperature\n    p = np.exp(z - z.max())",
                                 "p = np.exp((logits - logits.max()) / temperature)")))],
    "resnet.basic_block": [("by hand", BLOCK)],
}


@pytest.mark.parametrize("exercise_id, how, source", [(i, *r) for i, rs in RIGHT.items() for r in rs],
                         ids=[f"{i}: {r[0]}" for i, rs in RIGHT.items() for r in rs])
def test_right_answers_written_other_ways_pass(exercise_id, how, source, tmp_path):
    outcome = checked(exercise_id, source, tmp_path)
    assert (outcome.status, outcome.message) == ("pass", "every check passed"), how


def conv_backward(*swaps) -> str:
    return swapped(CONV_BACKWARD, *swaps)


def pool_backward(*swaps) -> str:
    return swapped(POOL_BACKWARD, *swaps)


def lstm_backward(*swaps) -> str:
    return swapped(LSTM_BACKWARD, *swaps)


OVERLAP = "the windows overlap (stride 1 < pool 2): an entry that is the max of two windows gets both"

# Classic mistakes, each with a piece of the message that must name it.
MISTAKES = {
    "cnn.conv_backward_naive": [
        ("the upstream gradient ignored", conv_backward(("g = dout[n, i, j, f]", "g = 1.0")),
         "dx ignores the upstream gradient dout"),
        ("padding not cropped from dx", conv_backward(("return dxp[:, pad:pad + H, pad:pad + W, :], dw, db",
                                                       "return dxp, dw, db")),
         "dx has shape (2, 8, 8, 3), the padded input's: the padding is not cropped"),
        ("the kernel flipped in dw", conv_backward(("dw[:, :, :, f] +=", "dw[::-1, ::-1, :, f] +=")),
         "the kernel is flipped in dw"),
        ("the kernel flipped in dx", conv_backward(("w[:, :, :, f] * g", "w[::-1, ::-1, :, f] * g")),
         "dx used the kernel flipped"),
        ("db summed over N only", conv_backward(("dout.sum(axis=(0, 1, 2))", "dout.sum(axis=0)")),
         "db has shape (3, 3, 3), expected (3,): b has one entry per filter"),
        ("db summed over everything", conv_backward(("dout.sum(axis=(0, 1, 2))", "dout.sum()")),
         "so db sums dout over N, H' and W'"),
        ("db the mean", conv_backward(("dout.sum(axis=(0, 1, 2))", "dout.mean(axis=(0, 1, 2))")),
         "db is dout's mean"),
        ("the stride left out going back", conv_backward(("r, s = i * stride, j * stride", "r, s = i, j")),
         "dx took output (i, j)'s window at rows i, i + 1, ... instead of i * stride"),
        ("dw averaged over the batch", conv_backward(("return dxp[:, pad:pad + H, pad:pad + W, :], dw, db",
                                                      "return dxp[:, pad:pad + H, pad:pad + W, :], dw / N, db")),
         "dw is divided by N = 2"),
        ("CS231n's layout for dw", conv_backward(("return dxp[:, pad:pad + H, pad:pad + W, :], dw, db",
                                                  "return dxp[:, pad:pad + H, pad:pad + W, :], dw.transpose(3, 2, 0, 1), db")),
         "dw has shape (3, 2, 3, 2), CS231n's (F, C, KH, KW)"),
        ("w changed in place", conv_backward(("dw = np.zeros_like(w)", "dw = w\n    dw *= 0")),
         "conv_backward_naive changed w in place"),
    ],
    "cnn.max_pool_backward_naive": [
        ("the gradient to the whole window", pool_backward(
            ("dx[n, r + a, s + e, c] += dout[n, i, j, c]", "dx[n, r:r + pool, s:s + pool, c] += dout[n, i, j, c]")),
         "each window's gradient went to all its entries"),
        ("average pooling's gradient", pool_backward(
            ("dx[n, r + a, s + e, c] += dout[n, i, j, c]", "dx[n, r:r + pool, s:s + pool, c] += dout[n, i, j, c] / pool ** 2")),
         "that is average pooling's backward pass"),
        ("the upstream gradient ignored", pool_backward(("+= dout[n, i, j, c]", "+= 1")),
         "dx ignores the upstream gradient dout"),
        ("overlapping windows assigned", pool_backward(("dx[n, r + a, s + e, c] +=", "dx[n, r + a, s + e, c] =")),
         OVERLAP + " their gradients, added (dx[...] += ...); assigning keeps only the last window's"),
        ("overlapping windows' slices assigned", swapped(POOL_BACKWARD_MASKED, (
            "dx[n, r:r + pool, s:s + pool, c] += mask * dout[n, i, j, c] / mask.sum()",
            "dx[n, r:r + pool, s:s + pool, c] = mask * dout[n, i, j, c]")),
         "assigning the window's slice (mask * dout) also wiped the gradient"),
        ("the whole gradient to each tied max", swapped(POOL_BACKWARD_MASKED, (" / mask.sum()", "")),
         "each of the 4 tied maxima got the whole dout"),
    ],
    "lstm.lstm_step_backward": [
        ("CS231n's gate order", lstm_backward(
            ("g, o = np.tanh(a[:, 2 * H:3 * H]), sig(a[:, 3 * H:])", "o, g = sig(a[:, 2 * H:3 * H]), np.tanh(a[:, 3 * H:])"),
            ("dc_next * i * (1 - g ** 2), dnext_h * tc * o * (1 - o)", "dnext_h * tc * o * (1 - o), dc_next * i * (1 - g ** 2)")),
         "dx: the gates are read in CS231n's order i, f, o, g; Keras packs them i, f, c, o"),
        ("dc missing the path through h", lstm_backward(
            ("dc_next = dnext_c + dnext_h * o * (1 - tc ** 2)", "dc_next = dnext_c")),
         "misses the path through h_next: h_next = o * tanh(c_next)"),
        ("dnext_c ignored", lstm_backward(("dc_next = dnext_c + dnext_h", "dc_next = dnext_h")),
         "dnext_c is ignored"),
        ("dc not times f", lstm_backward(("dc_next * f, x.T", "dc_next, x.T")),
         "dc: dc is the gradient on c_next itself; c reached c_next as f * c"),
        ("tanh' of the wrong thing", lstm_backward(("(1 - tc ** 2)", "(1 - c_next ** 2)")),
         "tanh's slope at c_next is 1 - tanh(c_next) ** 2, not 1 - c_next ** 2"),
        ("db not summed over the batch", lstm_backward(("da.sum(axis=0)", "da")),
         "db has shape (3, 16): b was added to every row of the batch"),
        ("dWx transposed", lstm_backward(("x.T @ da, h.T", "da.T @ x, h.T")),
         "dWx has shape (16, 2), transposed"),
    ],
    "linear.softmax_loss": [
        ("no max shift", swapped(SOFTMAX_NOTES, ("    scores -= np.max(scores, axis=1, keepdims=True)\n", "")),
         "np.exp overflows (np.exp(1000) is inf, and inf / inf is nan)"),
        ("log-sum-exp without the shift", swapped(SOFTMAX_LOG_SUM_EXP, ("m = s.max(axis=1, keepdims=True)", "m = 0")),
         "the loss is inf: np.exp overflows (np.exp(1000) is inf, and so is its log)"),
    ],
    "cnn.conv_forward_naive": [
        ("padding forgotten", swapped(CONV_FORWARD, ("xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))", "xp = x"),
                                      ("- kh + 2 * pad)", "- kh)"), ("- kw + 2 * pad)", "- kw)")),
         "expected shape (2, 5, 5, 4), got (2, 3, 3, 4): the padding is missing"),
        ("windows sliced from the unpadded input", swapped(
            CONV_FORWARD, ("xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))", "xp = x")),
         "your code raised ValueError: shape-mismatch for sum (at cnn.py, line"),
        ("the windows multiplied elementwise, unpadded", swapped(
            CONV_FORWARD, ("xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))", "xp = x"),
            ("out[:, i, j] = np.tensordot(win, w, axes=([1, 2, 3], [0, 1, 2])) + b",
             "out[:, i, j] = (win[..., None] * w).sum(axis=(1, 2, 3)) + b")),
         "(3,3,3,4) (at cnn.py, line 12, in conv_forward_naive: out[:, i, j] = (win[..., None] * "
         "w).sum(axis=(1, 2, 3)) + b). With pad 1 the windows at the edges reach past x"),
    ],
    "cnn.max_pool_forward_naive": [
        ("CS231n's NCHW code", """
def max_pool_forward_naive(x, pool, stride):
    N, C, H, W = x.shape
    Ho, Wo = 1 + (H - pool) // stride, 1 + (W - pool) // stride
    out = np.zeros((N, C, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            out[:, :, i, j] = x[:, :, i * stride:i * stride + pool, j * stride:j * stride + pool].max(axis=(2, 3))
    return out""", "got (2, 4, 2, 1): the windows slid over axes 2 and 3, as in CS231n's NCHW layout"),
        ("the max over axes (2, 3)", swapped(POOL_FORWARD, (".max(axis=(1, 2))", ".max(axis=(2, 3))")),
         "could not broadcast input array from shape (2,2) into shape (2,3) (at cnn.py, line 9, in "
         "max_pool_forward_naive: out[:, i, j, :] = x[:, i * stride:i * stride + pool, j * stride:j "
         "* stride + pool, :].max(axis=(2, 3))). Are the windows and the max over the right axes? "
         "x is (N, H, W, C)"),
        ("the max over the channels too", swapped(POOL_FORWARD, (".max(axis=(1, 2))", ".max(axis=(1, 2, 3))[:, None]")),
         "an output of channel c holds a value of another channel: the max mixed the channels"),
    ],
    "lstm.sample": [
        ("no max shift", swapped(SAMPLE, ("np.exp(z - z.max())", "np.exp(z)")),
         "(logits / T up to 1001): your sample raised ValueError: Probabilities contain NaN: "
         "np.exp(1001) overflows to inf, and inf / inf is nan"),
    ],
    "resnet.basic_block": [
        ("a projection only for a stride", swapped(BLOCK, ("if stride != 1 or x.shape[-1] != filters:", "if stride != 1:")),
         "a block that widens, 16 -> 32 filters, stride 1 could not be built"),
        ("a projection only for more channels", swapped(BLOCK, ("if stride != 1 or x.shape[-1] != filters:",
                                                                "if x.shape[-1] != filters:")),
         "this block changes the shape (stride 2), so the shortcut must too"),
        ("a projection always", swapped(BLOCK, ("if stride != 1 or x.shape[-1] != filters:", "if True:")),
         "a projection where the shape is kept"),
    ],
}


@pytest.mark.parametrize("exercise_id, mistake, source, message",
                         [(i, *m) for i, ms in MISTAKES.items() for m in ms],
                         ids=[f"{i}: {m[0]}" for i, ms in MISTAKES.items() for m in ms])
def test_classic_mistakes_fail_and_are_named(exercise_id, mistake, source, message, tmp_path):
    outcome = checked(exercise_id, source, tmp_path)
    assert outcome.status == "fail", (mistake, outcome.message)
    assert message in outcome.message, outcome.message


def test_a_gradient_off_by_a_hair_fails(tmp_path):
    """Not a named mistake: caught by centred differences, CS231n's relative error."""
    outcome = checked("cnn.conv_backward_naive", conv_backward(
        ("return dxp[:, pad:pad + H, pad:pad + W, :], dw, db",
         "return dxp[:, pad:pad + H, pad:pad + W, :], dw, db * (1 + 1e-5)")), tmp_path)
    assert outcome.status == "fail" and "relative error" in outcome.message and "at db[" in outcome.message
    outcome = checked("lstm.lstm_step_backward", lstm_backward(
        ("sig(a[:, H:2 * H])", "sig(a[:, H:2 * H] * (1 + 1e-4))")), tmp_path / "lstm")
    assert outcome.status == "fail" and "the analytic gradient is wrong" in outcome.message


# -- the lessons' own answers against TensorFlow, centred differences and CS231n's vectors -------

def _tape(layer, inputs, dout):
    """d sum(layer(inputs) * dout) / d (inputs, the layer's weights), by TensorFlow."""
    import tensorflow as tf

    variables = [tf.Variable(v) for v in inputs]
    with tf.GradientTape() as tape:
        out = layer(*variables)
        loss = tf.reduce_sum(out * dout)
    grads = tape.gradient(loss, variables + layer.trainable_weights)
    return out.numpy(), [g.numpy() for g in grads]


CONV_CASES = [((2, 5, 5, 3), (3, 3, 3, 4), 1, 1), ((2, 7, 6, 2), (3, 2, 2, 3), 2, 0),
              ((1, 6, 6, 1), (4, 4, 1, 2), 2, 1), ((2, 4, 4, 3), (3, 3, 3, 2), 1, 2),
              ((3, 8, 5, 2), (5, 3, 2, 3), 3, 2)]


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", CONV_CASES)
def test_the_convolution_and_its_gradients_agree_with_keras_conv2d(x_shape, w_shape, stride, pad):
    import keras

    rng = np.random.default_rng(sum(x_shape) + stride + pad)
    x, w, b = rng.normal(size=x_shape), rng.normal(size=w_shape), rng.normal(size=w_shape[-1])
    out = cnn.conv_forward_naive(x, w, b, stride, pad)
    dout = rng.normal(size=out.shape)
    # Keras pads by "same" rules, not by a given pad: pad by hand, then a "valid" Conv2D.
    conv = keras.layers.Conv2D(w_shape[-1], w_shape[:2], strides=stride, padding="valid", dtype="float64")
    padded = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    conv.build(padded.shape)
    conv.set_weights([w, b])
    keras_out, (dpadded, dw, db) = _tape(conv, [padded], dout)
    np.testing.assert_allclose(out, keras_out, rtol=1e-12, atol=1e-12)
    dx_mine, dw_mine, db_mine = cnn.conv_backward_naive(dout, x, w, b, stride, pad)
    np.testing.assert_allclose(dx_mine, dpadded[:, pad:pad + x_shape[1], pad:pad + x_shape[2]], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dw_mine, dw, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(db_mine, db, rtol=1e-12)
    for mine, f, value in ((dx_mine, lambda v: cnn.conv_forward_naive(v, w, b, stride, pad), x),
                           (dw_mine, lambda v: cnn.conv_forward_naive(x, v, b, stride, pad), w),
                           (db_mine, lambda v: cnn.conv_forward_naive(x, w, v, stride, pad), b)):
        # Linear in each argument: exact for any step h, and h = 1 keeps round-off down.
        assert relative_error(mine, cnn.centred_differences(f, value, dout, h=1.0)).max() < 1e-9


POOL_CASES = [((2, 4, 4, 3), 2, 2), ((1, 7, 7, 2), 3, 2), ((2, 5, 5, 1), 2, 1), ((2, 6, 5, 2), 3, 1),
              ((1, 9, 8, 2), 3, 3)]


@pytest.mark.parametrize("shape, pool, stride", POOL_CASES)
def test_max_pooling_and_its_gradient_agree_with_keras_maxpooling2d(shape, pool, stride):
    import keras

    rng = np.random.default_rng(sum(shape) * pool + stride)
    x = rng.normal(size=shape)
    out = cnn.max_pool_forward_naive(x, pool, stride)
    dout = rng.normal(size=out.shape)
    keras_out, (dx,) = _tape(keras.layers.MaxPooling2D(pool, stride, dtype="float64"), [x], dout)
    np.testing.assert_allclose(out, keras_out, rtol=0, atol=0)
    mine = cnn.max_pool_backward_naive(dout, x, pool, stride)
    np.testing.assert_allclose(mine, dx, rtol=1e-12, atol=1e-15)
    numeric = cnn.centred_differences(lambda v: cnn.max_pool_forward_naive(v, pool, stride), x, dout, h=1e-6)
    assert relative_error(mine, numeric).max() < 1e-8


def test_where_a_window_ties_the_gradient_goes_to_its_first_max_as_in_tensorflow():
    import keras

    x = np.zeros((1, 4, 4, 1))
    x[0, 2:, 2:, 0] = [[1.0, 3.0], [3.0, 2.0]]
    dout = np.array([[[[1.5], [-2.0]], [[0.5], [4.0]]]])
    _, (dx,) = _tape(keras.layers.MaxPooling2D(2, 2, dtype="float64"), [x], dout)
    mine = cnn.max_pool_backward_naive(dout, x, 2, 2)
    np.testing.assert_array_equal(mine, dx)
    assert mine[0, 0, 0, 0] == 1.5 and mine[0, 2, 3, 0] == 4.0 and np.count_nonzero(mine) == 4


@pytest.mark.parametrize("n, d, units", [(3, 5, 4), (4, 5, 6), (1, 2, 3)])
def test_the_lstm_steps_gradients_agree_with_keras_lstmcell(n, d, units):
    import keras
    import tensorflow as tf

    rng = np.random.default_rng(n * d * units)
    x, h, c = rng.normal(size=(n, d)), rng.normal(size=(n, units)), rng.normal(size=(n, units))
    cell = keras.layers.LSTMCell(units, dtype="float64")
    cell.build((n, d))
    Wx, Wh, b = (rng.normal(size=v.shape) * 0.7 for v in cell.get_weights())
    cell.set_weights([Wx, Wh, b])
    dnext_h, dnext_c = rng.normal(size=(n, units)), rng.normal(size=(n, units))
    variables = [tf.Variable(v) for v in (x, h, c)]
    with tf.GradientTape() as tape:
        _, (h_next, c_next) = cell(variables[0], [variables[1], variables[2]])
        loss = tf.reduce_sum(h_next * dnext_h) + tf.reduce_sum(c_next * dnext_c)
    keras_grads = [g.numpy() for g in tape.gradient(loss, variables + cell.trainable_weights)]
    mine = lstm.lstm_step_backward(dnext_h, dnext_c, x, h, c, Wx, Wh, b)
    want_h, want_c = lstm.lstm_step(x, h, c, Wx, Wh, b)
    np.testing.assert_allclose(want_h, h_next.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(want_c, c_next.numpy(), rtol=1e-12, atol=1e-14)
    for name, got, want in zip(lstm.GRADIENTS, mine, keras_grads):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13, err_msg=name)


def test_the_lesson_agrees_with_cs231ns_published_vectors():
    x, w, b, stride, pad, out = cnn.cs231n_conv_forward_case()
    assert x.shape == (2, 4, 4, 3) and w.shape == (4, 4, 3, 3)
    assert relative_error(cnn.conv_forward_naive(x, w, b, stride, pad), out).max() < 1e-7
    x, pool, stride, out = cnn.cs231n_pool_forward_case()
    assert relative_error(cnn.max_pool_forward_naive(x, pool, stride), out).max() < 1e-7
    inputs, next_h, next_c = lstm.cs231n_step_case()
    h, c = lstm.lstm_step(*inputs)
    # The notebook prints these errors for a right answer: 5.7e-09 and 5.8e-09.
    assert relative_error(h, next_h).max() < 1e-8 and relative_error(c, next_c).max() < 1e-8
    # Left in CS231n's gate order (the move swaps two blocks, so it is its own inverse), the
    # same weights give other numbers: the move matters.
    cs231n_weights = [lstm.keras_order(v) for v in inputs[3:]]
    assert relative_error(lstm.lstm_step(*inputs[:3], *cs231n_weights)[0], next_h).max() > 1e-2
    assert relative_error(lstm._cs231n_order_step(*inputs[:3], *cs231n_weights)[0], next_h).max() < 1e-8


def test_cs231ns_backward_cases_against_centred_differences_and_tensorflow():
    import keras

    x, w, b, stride, pad, dout = cnn.cs231n_conv_backward_case()
    assert x.shape == (4, 5, 5, 3) and w.shape == (3, 3, 3, 2) and dout.shape == (4, 5, 5, 2)
    dx, dw, db = cnn.conv_backward_naive(dout, x, w, b, stride, pad)
    # CS231n's bound: "errors around e-8 or less".
    for mine, f, value in ((dx, lambda v: cnn.conv_forward_naive(v, w, b, stride, pad), x),
                           (dw, lambda v: cnn.conv_forward_naive(x, v, b, stride, pad), w),
                           (db, lambda v: cnn.conv_forward_naive(x, w, v, stride, pad), b)):
        assert relative_error(mine, cnn.centred_differences(f, value, dout, h=1.0)).max() < 1e-8
    conv = keras.layers.Conv2D(2, 3, padding="same", dtype="float64")  # pad 1 for a 3x3 at stride 1
    conv.build(x.shape)
    conv.set_weights([w, b])
    _, (keras_dx, keras_dw, keras_db) = _tape(conv, [x], dout)
    for mine, theirs in ((dx, keras_dx), (dw, keras_dw), (db, keras_db)):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-12)

    x, pool, stride, dout = cnn.cs231n_pool_backward_case()
    dx = cnn.max_pool_backward_naive(dout, x, pool, stride)
    # CS231n's bound: "on the order of e-12".
    numeric = cnn.centred_differences(lambda v: cnn.max_pool_forward_naive(v, pool, stride), x, dout)
    assert relative_error(dx, numeric).max() < 1e-10
    _, (keras_dx,) = _tape(keras.layers.MaxPooling2D(pool, stride, dtype="float64"), [x], dout)
    np.testing.assert_array_equal(dx, keras_dx)

    dnext_h, dnext_c, *inputs = lstm.cs231n_backward_case()
    grads = lstm.lstm_step_backward(dnext_h, dnext_c, *inputs)
    names = ("x", "h", "c", "Wx", "Wh", "b")
    for k, name in enumerate(names):
        numeric = lstm.centred_differences(
            lambda v: lstm.lstm_step(*inputs[:k], v, *inputs[k + 1:]), inputs[k], (dnext_h, dnext_c))
        # The notebook prints errors from 1.5e-10 (dc) to 9.7e-08 (dWh) for a right answer.
        assert relative_error(grads[k], numeric).max() < 1e-7, name


# -- the mends: what the checks now accept, and the lesson's own answers at the edges -------------

def test_the_softmax_check_accepts_cs231ns_notes_and_their_scores_overflow_unshifted():
    W, X, y = linear._scores_near(np.random.default_rng(1))
    scores = X @ W
    assert scores.min() > 990 and np.ptp(scores, axis=1).max() < 700  # nothing underflows shifted
    with np.errstate(over="ignore", invalid="ignore"):
        assert not np.isfinite(np.exp(scores)).all()
    ns = {"np": np}
    exec(SOFTMAX_NOTES, ns)
    loss, dW = ns["softmax_loss"](W, X, y, 0.0)
    want, want_dW = linear.softmax_loss(W, X, y, 0.0)
    assert loss == pytest.approx(want, rel=1e-12) and 0.1 < want < 20
    np.testing.assert_allclose(dW, want_dW, rtol=1e-9, atol=1e-12)


def test_sampling_is_checked_where_np_exp_overflows():
    for logits, temperature in lstm.STABILITY:
        with np.errstate(over="ignore"):
            assert not np.isfinite(np.exp(logits / temperature)).all()
        p = lstm.softmax(logits / temperature)
        assert np.isfinite(p).all() and 0.02 < p.min() and p.max() < 0.8  # no index is certain


def test_every_shape_changing_block_is_checked():
    from lessons.resnet import exercises as resnet

    configurations = {(stride, filters == shape[-1]) for shape, filters, stride, _ in resnet.CONFIGURATIONS}
    assert configurations == {(1, True), (2, True), (1, False), (2, False)}
