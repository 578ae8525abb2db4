"""The backprop lesson's exercises: the affine and ReLU pieces, forward and backward, and
the two-layer net's loss and gradients.

Each check passes the lesson's own implementation, calls an unwritten stub `todo`, passes
right answers written other ways, fails every classic mistake (through the real sandbox)
with a message that names it, and fails an answer off by a hair. The lesson's own
versions (lessons/backprop/layers.py) are held to independent references: CS231n's
published test vectors (FullyConnectedNets.ipynb and assignment 2's TwoLayerNet test;
affine and ReLU have no channels, so the NCHW layout does not arise and the vectors carry
over as printed), TensorFlow's gradients, and centred differences. `--mine` trains the
net with the learner's functions, and refuses until they pass.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import one_line_error, run_cli, solved_source
from lessons.backprop import exercises as backprop
from lessons.backprop import layers
from lessons.checking import centred_difference
from lessons.common import relative_error
import test_exercises as shared
from workbench.course import exercises

LESSON = "backprop"
NAMES = ["affine_forward", "affine_backward", "relu_forward", "relu_backward", "two_layer_loss"]


def exercise(name: str) -> exercises.Exercise:
    return shared.exercise(f"{LESSON}.{name}")


def learner_file(folder: Path, source: str) -> Path:
    return shared.learner_file(folder, LESSON, source)


# -- a learner's functions, written by hand; each mistake changes one piece -------------------

AFFINE_FORWARD = """
def affine_forward(x, w, b):
    x_flat = x.reshape(x.shape[0], -1)
    return np.dot(x_flat, w) + b
"""

AFFINE_BACKWARD = """
def affine_backward(dout, x, w, b):
    x_flat = x.reshape(x.shape[0], -1)
    dx = np.dot(dout, w.T).reshape(x.shape)
    dw = np.dot(x_flat.T, dout)
    db = np.sum(dout, axis=0)
    return dx, dw, db
"""

RELU_FORWARD = """
def relu_forward(x):
    out = x.copy()
    out[out < 0] = 0
    return out
"""

RELU_BACKWARD = """
def relu_backward(dout, x):
    dx = dout.copy()
    dx[x <= 0] = 0
    return dx
"""

# Built from the four pieces above, as the stub suggests; the softmax by log-sum-exp.
TWO_LAYER_LOSS = """
def two_layer_loss(X, y, params, reg):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    n = X.shape[0]
    h = affine_forward(X, W1, b1)
    a = relu_forward(h)
    scores = affine_forward(a, W2, b2)
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    probs = np.exp(shifted)
    probs /= np.sum(probs, axis=1, keepdims=True)
    loss = -np.mean(np.log(probs[np.arange(n), y]))
    loss += reg * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
    dscores = probs
    dscores[np.arange(n), y] -= 1
    dscores /= n
    da, dW2, db2 = affine_backward(dscores, a, W2, b2)
    dh = relu_backward(da, h)
    _, dW1, db1 = affine_backward(dh, X, W1, b1)
    dW1 += 2 * reg * W1
    dW2 += 2 * reg * W2
    return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
"""

RIGHT = {"affine_forward": AFFINE_FORWARD, "affine_backward": AFFINE_BACKWARD,
         "relu_forward": RELU_FORWARD, "relu_backward": RELU_BACKWARD, "two_layer_loss": TWO_LAYER_LOSS}
PIECES = AFFINE_FORWARD + AFFINE_BACKWARD + RELU_FORWARD + RELU_BACKWARD


def wrong(name: str, *swaps: tuple[str, str]) -> str:
    """The hand-written `name` with each (old, new) swapped in: one mistake. The net's
    mistakes keep the right pieces beside it."""
    source = RIGHT[name]
    for old, new in swaps:
        assert source.count(old) == 1, old
        source = source.replace(old, new)
    return PIECES + source if name == "two_layer_loss" else source


def net(*swaps: tuple[str, str]) -> str:
    return wrong("two_layer_loss", *swaps)


AFFINE_RETURN = "return np.dot(x_flat, w) + b"
REG_GRADS = "    dW1 += 2 * reg * W1\n    dW2 += 2 * reg * W2\n"
GRADS = '{"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}'


def relu(name: str, body: str) -> str:
    """A one-line ReLU piece: relu_forward(x) or relu_backward(dout, x) returning `body`."""
    return f"def {name}({'x' if name == 'relu_forward' else 'dout, x'}):\n    return {body}\n"


# Classic mistakes, each with a piece of the message that must name it.
MISTAKES = {
    "affine_forward": [
        ("no bias", wrong("affine_forward", (" + b", "")), "the bias b is missing"),
        ("flattened in Fortran order",
         wrong("affine_forward", ("(x.shape[0], -1)", "(x.shape[0], -1, order='F')")),
         "flattened in Fortran (column) order"),
        ("flattened across examples",
         wrong("affine_forward", ("x.reshape(x.shape[0], -1)", "x.reshape(-1, x.shape[0]).T")),
         "flattened across examples"),
        ("the batch axis squeezed",
         wrong("affine_forward", (AFFINE_RETURN, "return np.squeeze(np.dot(x_flat, w) + b)")),
         "keep the batch axis"),
        ("CS231n's (out, cache)", wrong("affine_forward", (AFFINE_RETURN, AFFINE_RETURN + ", (x, w, b)")),
         "return out alone"),
        ("b changed in place",
         wrong("affine_forward", (AFFINE_RETURN, "b += 0.5\n    " + AFFINE_RETURN + " - 0.5")),
         "affine_forward changed b in place"),
    ],
    "affine_backward": [
        ("the upstream gradient ignored",
         wrong("affine_backward", ("np.dot(dout, w.T)", "np.dot(np.ones_like(dout), w.T)")),
         "dx ignores the upstream gradient dout"),
        ("dx not reshaped",
         wrong("affine_backward", ("np.dot(dout, w.T).reshape(x.shape)", "np.dot(dout, w.T)")),
         "reshape it to x's own shape (4, 2, 3, 2)"),
        ("db over the wrong axis", wrong("affine_backward", ("np.sum(dout, axis=0)", "np.sum(dout, axis=1)")),
         "db has shape (4,): summed over the wrong axis"),
        ("db over both axes", wrong("affine_backward", ("np.sum(dout, axis=0)", "np.sum(dout)")),
         "db is one number"),
        ("dw transposed", wrong("affine_backward", ("np.dot(x_flat.T, dout)", "np.dot(dout.T, x_flat)")),
         "dw has shape (5, 12), transposed"),
        ("dw without dout",
         wrong("affine_backward", ("np.dot(x_flat.T, dout)", "np.dot(x_flat.T, np.ones_like(dout))")),
         "dw ignores the upstream gradient dout"),
        ("dw averaged",
         wrong("affine_backward", ("np.dot(x_flat.T, dout)", "np.dot(x_flat.T, dout) / len(x)")),
         "dw is divided by N = 4"),
        ("db the mean", wrong("affine_backward", ("np.sum(dout, axis=0)", "np.mean(dout, axis=0)")),
         "dout.mean(axis=0) where the sum is meant"),
        ("dx's sign", wrong("affine_backward", ("np.dot(dout, w.T)", "-np.dot(dout, w.T)")),
         "relative error 1.0e+00 at dx[0, 0, 0, 0] (expected 1.46886, got -1.46886)"),
        ("dout changed in place",
         wrong("affine_backward", ("    return dx, dw, db", "    dout *= 0\n    return dx, dw, db")),
         "affine_backward changed dout in place: the upstream gradient may reach other pieces too"),
    ],
    "relu_forward": [
        ("x changed in place", "def relu_forward(x):\n    x[x < 0] = 0\n    return x\n",
         "relu_forward changed x in place: the backward pass needs the input as the forward pass saw it"),
        ("leaky", wrong("relu_forward", ("out[out < 0] = 0", "out[out < 0] *= 0.01")),
         "0.01 x, a leaky ReLU"),
        ("np.abs", relu("relu_forward", "np.abs(x)"), "come out as -x (np.abs)"),
        ("np.minimum", relu("relu_forward", "np.minimum(x, 0)"), "np.minimum keeps the negative inputs"),
        ("nothing done", relu("relu_forward", "x.copy()"), "negative inputs pass unchanged"),
        ("clipped at 1", relu("relu_forward", "np.clip(x, 0, 1)"), "values above 1 were clipped"),
        ("CS231n's (out, cache)", wrong("relu_forward", ("return out", "return out, x")), "return out alone"),
        ("flattened", wrong("relu_forward", ("return out", "return out.ravel()")),
         "out: expected shape (3, 4), got (12,)"),
    ],
    "relu_backward": [
        ("dout changed in place", "def relu_backward(dout, x):\n    dout[x <= 0] = 0\n    return dout\n",
         "relu_backward changed dout in place: the upstream gradient may reach other pieces too"),
        ("x >= 0 at the kink", relu("relu_backward", "dout * (x >= 0)"),
         "dx passes dout where x = 0 exactly (the mask x >= 0)"),
        ("dout ignored", relu("relu_backward", "(x > 0).astype(float)"),
         "dx ignores the upstream gradient dout"),
        ("no mask", relu("relu_backward", "dout.copy()"), "dx = dout everywhere"),
        ("times x", relu("relu_backward", "dout * x"), "dx = dout * x"),
        ("times the output", relu("relu_backward", "dout * np.maximum(x, 0)"), "not its output"),
        ("mask inverted", relu("relu_backward", "dout * (x < 0)"), "dx's mask is inverted"),
        ("mask from dout", relu("relu_backward", "np.maximum(dout, 0)"), "dx's mask came from dout's sign"),
        ("a tuple", wrong("relu_backward", ("return dx", "return dx, x")), "return dx alone"),
    ],
    "two_layer_loss": [
        ("the data loss summed", net(("-np.mean(np.log(", "-np.sum(np.log(")),
         "the data loss is summed over the N = 3 examples, not averaged"),
        ("no regulariser", net(("    loss += reg * (np.sum(W1 ** 2) + np.sum(W2 ** 2))\n", ""),
                               (REG_GRADS, "")),
         "the regularisation term reg * (sum W1^2 + sum W2^2) is missing"),
        ("CS231n's 0.5 * reg", net(("loss += reg * (", "loss += 0.5 * reg * ("),
                                   (REG_GRADS, "    dW1 += reg * W1\n    dW2 += reg * W2\n")),
         "the regulariser is 0.5 * reg * sum(W^2), CS231n's convention"),
        ("the biases regularised",
         net(("np.sum(W2 ** 2))", "np.sum(W2 ** 2) + np.sum(b1 ** 2) + np.sum(b2 ** 2))"),
             (REG_GRADS, REG_GRADS + "    db1 = db1 + 2 * reg * b1\n    db2 = db2 + 2 * reg * b2\n")),
         "the biases are regularised too"),
        ("W2 left out", net(("(np.sum(W1 ** 2) + np.sum(W2 ** 2))", "np.sum(W1 ** 2)"),
                            ("    dW2 += 2 * reg * W2\n", "")),
         "the regulariser leaves out W2"),
        ("the bias gradients regularised", net((REG_GRADS, REG_GRADS + "    db1 = db1 + 2 * reg * b1\n")),
         "db1 has a regularisation gradient 2 reg b1: the biases are not regularised"),
        ("the factor 2 forgotten", net((REG_GRADS, "    dW1 += reg * W1\n    dW2 += reg * W2\n")),
         "dW1 lacks the regulariser's factor 2"),
        ("no regularisation gradient", net((REG_GRADS, "")), "dW1 has no regularisation gradient"),
        ("the gradient not averaged", net(("    dscores /= n\n", "")), "dW1 is N = 3 times too large"),
        ("the ReLU skipped backwards", net(("dh = relu_backward(da, h)", "dh = da")),
         "dW1: the gradient went back through the ReLU where it was off"),
        ("dW2 from the pre-activation",
         net(("affine_backward(dscores, a, W2, b2)", "affine_backward(dscores, h, W2, b2)")),
         "dW2 used the hidden layer before the ReLU"),
        ("no max shift", net(("scores - np.max(scores, axis=1, keepdims=True)", "scores")),
         "np.exp overflows"),
        ("an SGD step inside", net((REG_GRADS, REG_GRADS + "    params['W1'] -= 0.1 * dW1\n")),
         "two_layer_loss changed params['W1'] in place"),
        ("lowercase keys", net((GRADS, GRADS.replace('"W', '"w'))),
         "grads must be a dict with the keys W1, b1, W2, b2"),
        ("only the loss", net(("return loss, " + GRADS, "return loss")),
         "return (loss, grads), a tuple of 2"),
    ],
}

# Right answers written other ways: each must pass.
OTHER_RIGHT = {
    "affine_forward": [
        "def affine_forward(x, w, b):\n"
        "    return np.einsum('nd,dm->nm', x.reshape(len(x), -1), w) + b[None, :]\n",
        "def affine_forward(x, w, b):\n"
        "    return (x.reshape(-1, w.shape[0]) @ w + b).astype(np.float64)\n"],
    "affine_backward": [
        "def affine_backward(dout, x, w, b):\n"
        "    xf = x.reshape(len(x), -1)\n"
        "    dw = sum(np.outer(xf[i], dout[i]) for i in range(len(x)))\n"
        "    dx = np.tensordot(dout, w, axes=(1, 1)).reshape(*x.shape)\n"
        "    return dx, dw, dout.T @ np.ones(len(x))\n"],
    "relu_forward": [relu("relu_forward", "x * (x > 0)"), relu("relu_forward", "np.where(x > 0, x, 0.0)")],
    "relu_backward": [relu("relu_backward", "np.where(np.maximum(x, 0) > 0, dout, 0.0)"),
                      "def relu_backward(dout, x):\n    mask = x > 0\n    return dout * mask\n"],
    "two_layer_loss": [
        # One function, by log-sum-exp, the loss returned as a 1-element array.
        "def two_layer_loss(X, y, params, reg):\n"
        "    W1, b1, W2, b2 = (params[k] for k in ('W1', 'b1', 'W2', 'b2'))\n"
        "    h = X @ W1 + b1\n"
        "    a = np.maximum(h, 0)\n"
        "    s = a @ W2 + b2\n"
        "    m = s.max(axis=1, keepdims=True)\n"
        "    lse = m[:, 0] + np.log(np.exp(s - m).sum(axis=1))\n"
        "    n = len(y)\n"
        "    data = np.mean(lse - s[np.arange(n), y])\n"
        "    loss = np.array([data + reg * ((W1 * W1).sum() + (W2 * W2).sum())])\n"
        "    ds = np.exp(s - lse[:, None])\n"
        "    ds[np.arange(n), y] -= 1\n"
        "    ds = ds / n\n"
        "    dh = (ds @ W2.T) * (h > 0)\n"
        "    return loss, dict(b2=ds.sum(0), W2=a.T @ ds + 2 * reg * W2, b1=dh.sum(0),\n"
        "                      W1=X.T @ dh + 2 * reg * W1)\n"],
}


def test_the_lesson_declares_five_exercises_in_order():
    assert [e.name for e in exercises.lesson_exercises(LESSON)] == NAMES
    assert set(MISTAKES) == set(NAMES) == set(RIGHT)
    assert all(e.reference is getattr(layers, e.name) for e in exercises.lesson_exercises(LESSON))


@pytest.mark.parametrize("name", NAMES)
def test_the_lessons_own_implementation_passes(name):
    ex = exercise(name)
    assert exercises.judge(ex, ex.local(ex.reference)) == ("pass", "every check passed")


def test_the_stubs_are_todo_and_a_hand_written_file_passes(tmp_path):
    path = exercises.start(LESSON, tmp_path / "stubs")
    outcomes = exercises.check([LESSON], tmp_path / "stubs", timeout=60)
    assert [(o.id, o.status, o.message) for o in outcomes] == [
        (f"{LESSON}.{n}", "todo", "not written yet: the body still raises NotImplementedError")
        for n in NAMES]
    assert path.read_text().count("raise NotImplementedError") == 5
    learner_file(tmp_path / "mine", "".join(RIGHT[n] for n in NAMES))
    outcomes = exercises.check([LESSON], tmp_path / "mine", timeout=60)
    assert [(o.id, o.status) for o in outcomes] == [(f"{LESSON}.{n}", "pass") for n in NAMES], outcomes


@pytest.mark.parametrize("name, source", [(n, s) for n, ss in OTHER_RIGHT.items() for s in ss],
                         ids=[f"{n} {i}" for n, ss in OTHER_RIGHT.items() for i in range(len(ss))])
def test_right_answers_written_other_ways_pass(name, source, tmp_path):
    path = learner_file(tmp_path, source)
    outcome = exercises.check_one(LESSON, exercise(name), path, timeout=60)
    assert outcome.status == "pass", outcome.message


@pytest.mark.parametrize("name, mistake, source, message",
                         [(n, *m) for n, ms in MISTAKES.items() for m in ms],
                         ids=[f"{n}: {m[0]}" for n, ms in MISTAKES.items() for m in ms])
def test_classic_mistakes_fail_and_are_named(name, mistake, source, message, tmp_path):
    path = learner_file(tmp_path, source)
    outcome = exercises.check_one(LESSON, exercise(name), path, timeout=60)
    assert outcome.status == "fail", (mistake, outcome.message)
    assert message in outcome.message, outcome.message


def _nudged(function, where: str):
    """`function`, its answer off by one part in 10^5 in the largest entry of `where`."""
    def nudge(value):
        value = np.array(value, dtype=np.float64)
        value.flat[np.argmax(np.abs(value))] *= 1 + 1e-5
        return value

    def call(*args):
        result = function(*args)
        if where == "out":
            return nudge(result)
        if where == "loss":
            return nudge(result[0]).reshape(()), result[1]
        if where in layers.PARAMS:
            return result[0], {**result[1], where: nudge(result[1][where])}
        index = ("dx", "dw", "db").index(where)
        return tuple(nudge(g) if i == index else g for i, g in enumerate(result))
    return call


@pytest.mark.parametrize("name, where", [
    ("affine_forward", "out"), *(("affine_backward", g) for g in ("dx", "dw", "db")),
    ("relu_forward", "out"), ("relu_backward", "out"), ("two_layer_loss", "loss"),
    *(("two_layer_loss", p) for p in layers.PARAMS)])
def test_an_answer_off_by_a_hair_fails(name, where):
    ex = exercise(name)
    status, message = exercises.judge(ex, _nudged(ex.reference, where))
    assert status == "fail", message


# -- the lesson's own versions against independent references ------------------------------

def test_the_pieces_reproduce_cs231ns_published_vectors():
    x, w, b = (backprop._ramp(backprop.AFFINE_VECTOR[k]) for k in "xwb")
    np.testing.assert_allclose(layers.affine_forward(x, w, b), backprop.AFFINE_OUT, rtol=0, atol=1e-8)
    np.testing.assert_allclose(layers.relu_forward(backprop._ramp(backprop.RELU_VECTOR)), backprop.RELU_OUT,
                               rtol=0, atol=1e-8)
    X, y, params = backprop._net_vector()
    # The notebook's test-time scores, then its losses (its reg = 1.0 on 0.5 * reg * sum W^2
    # is this course's reg = 0.5).
    np.testing.assert_allclose(layers.scores(params, X), [
        [11.53165108, 12.2917344, 13.05181771, 13.81190102, 14.57198434, 15.33206765, 16.09215096],
        [12.05769098, 12.74614105, 13.43459113, 14.1230412, 14.81149128, 15.49994135, 16.18839143],
        [12.58373087, 13.20054771, 13.81736455, 14.43418138, 15.05099822, 15.66781506, 16.2846319]],
        rtol=0, atol=1e-8)
    assert abs(layers.two_layer_loss(X, y, params, 0.0)[0] - 3.4702243556) < 1e-10
    assert abs(layers.two_layer_loss(X, y, params, 0.5)[0] - 26.5948426952) < 1e-10


def test_the_pieces_match_tensorflow():
    import tensorflow as tf

    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=(4, 2, 3, 2)), rng.normal(size=(12, 5)), rng.normal(size=5)
    dout = rng.normal(size=(4, 5))
    tx, tw, tb = (tf.Variable(v) for v in (x, w, b))
    with tf.GradientTape() as tape:
        out = tf.reshape(tx, (4, -1)) @ tw + tb
        loss = tf.reduce_sum(out * dout)
    np.testing.assert_allclose(layers.affine_forward(x, w, b), out.numpy(), rtol=1e-12)
    for ours, theirs in zip(layers.affine_backward(dout, x, w, b), tape.gradient(loss, [tx, tw, tb])):
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-12, atol=1e-14)

    x = rng.normal(size=(3, 4, 2))
    x[0, :, 1] = 0.0  # at the kink, TensorFlow's gradient is 0, as the lesson's
    dout = rng.normal(size=x.shape)
    tx = tf.Variable(x)
    with tf.GradientTape() as tape:
        out = tf.nn.relu(tx)
        loss = tf.reduce_sum(out * dout)
    np.testing.assert_array_equal(layers.relu_forward(x), out.numpy())
    np.testing.assert_array_equal(layers.relu_backward(dout, x), tape.gradient(loss, tx).numpy())
    assert np.all(layers.relu_backward(dout, x)[0, :, 1] == 0)

    X, y, params = backprop._small_net(np.random.default_rng(1), n=7, d=5, hidden=9, classes=3)
    variables = {k: tf.Variable(v) for k, v in params.items()}
    with tf.GradientTape() as tape:
        scores = tf.nn.relu(X @ variables["W1"] + variables["b1"]) @ variables["W2"] + variables["b2"]
        loss = (tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, scores))
                + 0.3 * (tf.reduce_sum(variables["W1"] ** 2) + tf.reduce_sum(variables["W2"] ** 2)))
    ours_loss, ours = layers.two_layer_loss(X, y, params, 0.3)
    assert ours_loss == pytest.approx(float(loss), rel=1e-12)
    for name, grad in zip(variables, tape.gradient(loss, list(variables.values()))):
        np.testing.assert_allclose(ours[name], grad.numpy(), rtol=1e-10, atol=1e-13)


def test_the_checks_numeric_gradients_stay_clear_of_relus_kink():
    """Centred differences straddle a kink when an input lies within h = 1e-5 of 0; the
    nets the check uses keep their hidden units far from it, so a right answer passes."""
    cases = [backprop._net_vector()]
    rng = np.random.default_rng(4)
    cases += [backprop._small_net(rng) for _ in range(2)]
    for X, _, params in cases:
        h = layers.affine_forward(X, params["W1"], params["b1"])
        assert np.abs(h).min() > 1e-2
    off = [np.mean(layers.affine_forward(X, p["W1"], p["b1"]) < 0) for X, _, p in cases[1:]]
    assert all(0.2 < share < 0.8 for share in off)  # so a missing ReLU mask shows


def test_the_references_agree_with_centred_differences_with_room_to_spare():
    """CS231n's threshold is 1e-7; the lesson's own gradients sit under half of it. What
    is left is the differences' own error (their h^2 term), the same for every right
    answer, so one computed in another order (other round-off) passes as well."""
    X, y, params = backprop._small_net(np.random.default_rng(4))
    for reg in (0.0, 0.1):
        _, grads = layers.two_layer_loss(X, y, params, reg)
        for name in layers.PARAMS:
            numeric = centred_difference(lambda v: layers.two_layer_loss(X, y, {**params, name: v}, reg)[0],
                                         params[name].copy())
            assert relative_error(grads[name], numeric).max() < 5e-8, name


# -- --mine ---------------------------------------------------------------------------------

def test_mine_uses_the_networks_functions():
    from workbench.running import runner

    uses = {example: runner.prepare(LESSON, {"example": example}, None, 0).settings.mine_uses()
            for example in ("add_mul", "neuron", "network")}
    assert uses == {"add_mul": (), "neuron": (), "network": tuple(NAMES)}
    assert "backprop (example=network)" in exercises.mine_lessons()


def test_mine_refuses_until_the_exercises_pass(tmp_path):
    folder = tmp_path / "ws"
    run_cli("exercises", "start", LESSON, "--workspace", str(folder))
    proc = run_cli("run", LESSON, "--set", "example=network", "--mine", "--workspace", str(folder),
                   "--models-dir", str(tmp_path / "m"))
    assert proc.returncode == 2
    assert one_line_error(proc) == (
        "workbench: error: --mine needs backprop.affine_forward to pass its check first; "
        "it is todo: not written yet: the body still raises NotImplementedError")
    assert not (tmp_path / "m").exists()
    scalar = run_cli("run", LESSON, "--mine", "--workspace", str(folder))
    assert one_line_error(scalar).startswith(
        "workbench: error: lesson 'backprop' does not run with your functions with these settings; "
        "--mine works with ")


def test_the_network_trains_with_the_learners_functions(solved, tmp_path):
    from workbench.running import events, runner

    request = runner.prepare(LESSON, {"example": "network", "epochs": 3}, None, 0)
    functions = exercises.mine_functions(LESSON, request.settings.mine_uses(), solved)
    seen = []
    with functions:
        m = runner.execute(request, models_dir=tmp_path, mine=functions, on_event=seen.append).metrics
    # Their gradients, whole and from their pieces chained, are TensorFlow's (float64).
    assert m["mine_max_error_vs_tensorflow"] < 1e-9 and m["mine_pieces_max_error_vs_tensorflow"] < 1e-9
    losses = m["mine_loss_per_epoch"]
    epochs = [e.logs for e in seen if isinstance(e, events.EpochEnd)]
    # The same start, the same batches: float64 here, Keras' float32 there.
    assert losses == pytest.approx([e["loss"] for e in epochs], rel=1e-4)
    assert losses[-1] < losses[0]
    assert m["mine_test_accuracy"] == pytest.approx(m["test_accuracy"], abs=0.01)
    assert m["mine_weights_max_difference_from_keras"] < 1e-4
    chart = next(e for e in seen if isinstance(e, events.Chart) and "your two_layer_loss" in e.title)
    assert chart.series["yours"] == pytest.approx(losses)
    assert chart.series["Keras"] == pytest.approx([e["loss"] for e in epochs])
    said = [e.text for e in seen if isinstance(e, events.Log) and e.text.startswith("your two_layer_loss")]
    assert len(said) == 1 and "your four pieces chained" in said[0]


def test_a_learners_loss_that_diverges_stops_the_run(tmp_path):
    from workbench.errors import WorkbenchError
    from workbench.running import runner

    folder = tmp_path / "ws"
    # Right on the check's inputs (D = 5 or 8), NaN on the digits (D = 64).
    learner_file(folder, solved_source(LESSON).replace(
        "    return _lessons_own.two_layer_loss(X, y, params, reg)",
        "    loss, grads = _lessons_own.two_layer_loss(X, y, params, reg)\n"
        "    return (float('nan') if X.shape[1] == 64 else loss), grads"))
    request = runner.prepare(LESSON, {"example": "network", "epochs": 1}, None, 0)
    functions = exercises.mine_functions(LESSON, request.settings.mine_uses(), folder)
    with functions, pytest.raises(WorkbenchError, match="^your two_layer_loss became nan at epoch 1; "
                                                        "lower learning_rate$"):
        runner.execute(request, models_dir=tmp_path / "m", mine=functions)
