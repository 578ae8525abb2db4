"""The training lesson's exercises: batch norm, dropout and three update rules.

Each check passes the lesson's own implementation, calls an unwritten stub `todo`, and
fails the classic mistakes (through the real sandbox) with a message that names them; a
learner's file written the right way by hand passes. The lesson's own versions are held
to independent references: CS231n's published test vectors (FullyConnectedNets.ipynb;
they are NCHW-free, so they carry over as printed), Keras' BatchNormalization, Dropout,
SGD, RMSprop and Adam, and centred differences. `--mine` runs both experiments with the
learner's functions, and refuses until they pass.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import one_line_error, run_cli
import test_exercises as shared
from workbench.course import exercises
from lessons.training import exercises as training

LESSON = "training"
NAMES = ["batchnorm_forward", "batchnorm_backward", "dropout_forward", "dropout_backward",
         "sgd_momentum", "rmsprop", "adam"]


def exercise(name: str) -> exercises.Exercise:
    return shared.exercise(f"{LESSON}.{name}")


def learner_file(folder: Path, source: str) -> Path:
    return shared.learner_file(folder, LESSON, source)


# -- a learner's functions, written by hand; each mistake changes one piece -------------------

BATCHNORM_FORWARD = """
def batchnorm_forward(x, gamma, beta, bn_param):
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    running_mean = bn_param.get("running_mean", np.zeros(x.shape[1]))
    running_var = bn_param.get("running_var", np.ones(x.shape[1]))
    if bn_param["mode"] == "train":
        mean, var = x.mean(axis=0), x.var(axis=0)
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mean
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
    else:
        mean, var = running_mean, running_var
    return gamma * (x - mean) / np.sqrt(var + eps) + beta
"""

# CS231n's staged graph, node by node, backwards: a different route to the same numbers.
BATCHNORM_BACKWARD = """
def batchnorm_backward(dout, x, gamma, beta, eps=1e-5):
    n = x.shape[0]
    mu = x.mean(axis=0)
    xmu = x - mu
    var = (xmu ** 2).mean(axis=0)
    sqrtvar = np.sqrt(var + eps)
    ivar = 1 / sqrtvar
    xhat = xmu * ivar
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dxhat = dout * gamma
    divar = (dxhat * xmu).sum(axis=0)
    dxmu1 = dxhat * ivar
    dsqrtvar = -divar / sqrtvar ** 2
    dvar = 0.5 * dsqrtvar / sqrtvar
    dsq = np.ones_like(x) * dvar / n
    dxmu2 = 2 * xmu * dsq
    dx1 = dxmu1 + dxmu2
    dmu = -dx1.sum(axis=0)
    dx2 = np.ones_like(x) * dmu / n
    return dx1 + dx2, dgamma, dbeta
"""

DROPOUT_FORWARD = """
def dropout_forward(x, rate, training, rng):
    if not training:
        return x, None
    mask = (rng.random(x.shape) >= rate) / (1 - rate)
    return x * mask, mask
"""

DROPOUT_BACKWARD = """
def dropout_backward(dout, mask):
    if mask is None:
        return dout
    return dout * mask
"""

SGD_MOMENTUM = """
def sgd_momentum(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    config["velocity"] = v
    return w + v, config
"""

RMSPROP = """
def rmsprop(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("cache", np.zeros_like(w))
    config["cache"] = config["decay_rate"] * config["cache"] + (1 - config["decay_rate"]) * dw ** 2
    step = config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"])
    return w - step, config
"""

ADAM = """
def adam(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    config["t"] += 1
    t, b1, b2 = config["t"], config["beta1"], config["beta2"]
    config["m"] = b1 * config["m"] + (1 - b1) * dw
    config["v"] = b2 * config["v"] + (1 - b2) * dw ** 2
    m_hat = config["m"] / (1 - b1 ** t)
    v_hat = config["v"] / (1 - b2 ** t)
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config
"""

RIGHT = {"batchnorm_forward": BATCHNORM_FORWARD, "batchnorm_backward": BATCHNORM_BACKWARD,
         "dropout_forward": DROPOUT_FORWARD, "dropout_backward": DROPOUT_BACKWARD,
         "sgd_momentum": SGD_MOMENTUM, "rmsprop": RMSPROP, "adam": ADAM}


def wrong(name: str, *swaps: tuple[str, str]) -> str:
    """The hand-written `name` with each (old, new) swapped in: one mistake."""
    source = RIGHT[name]
    for old, new in swaps:
        assert source.count(old) == 1, old
        source = source.replace(old, new)
    return source


# Classic mistakes, each with a piece of the message that must name it.
MISTAKES = {
    "batchnorm_forward": [
        ("unbiased variance", wrong("batchnorm_forward", ("x.var(axis=0)", "x.var(axis=0, ddof=1)")),
         "the variance is the unbiased one"),
        ("running averages with momentum swapped", wrong(
            "batchnorm_forward", ("momentum * running_mean + (1 - momentum) * mean",
                                  "(1 - momentum) * running_mean + momentum * mean"),
            ("momentum * running_var + (1 - momentum) * var", "(1 - momentum) * running_var + momentum * var")),
         "momentum swapped"),
        ("running variance from zeros (CS231n's code)", wrong(
            "batchnorm_forward", ("np.ones(x.shape[1])", "np.zeros(x.shape[1])")),
         "running_var started at zeros"),
        ("test mode with the batch's statistics", wrong(
            "batchnorm_forward", ("mean, var = running_mean, running_var", "mean, var = x.mean(axis=0), x.var(axis=0)")),
         "test mode normalised by this batch's mean and variance"),
        ("eps not read from bn_param", wrong("batchnorm_forward", ('bn_param.get("eps", 1e-5)', "1e-5")),
         "bn_param['eps'] was not used"),
        ("running averages not carried", wrong(
            "batchnorm_forward", ('bn_param.get("running_mean", np.zeros(x.shape[1]))', "np.zeros(x.shape[1])")),
         "the running mean started again from 0"),
        ("bn_param not updated in place", wrong(
            "batchnorm_forward", ('    eps = bn_param.get("eps", 1e-5)', '    bn_param = dict(bn_param)\n'
                                                                          '    eps = bn_param.get("eps", 1e-5)')),
         "bn_param has no 'running_mean' after a train step"),
        ("CS231n's (out, cache)", wrong(
            "batchnorm_forward", ("return gamma * (x - mean) / np.sqrt(var + eps) + beta",
                                  "return gamma * (x - mean) / np.sqrt(var + eps) + beta, (x, mean, var)")),
         "return out alone"),
        ("test mode updates the running averages", wrong(
            "batchnorm_forward", ('    if bn_param["mode"] == "train":\n        mean, var = x.mean(axis=0), x.var(axis=0)\n',
                                  '    if True:\n        mean, var = x.mean(axis=0), x.var(axis=0)\n'),
            ("    else:\n        mean, var = running_mean, running_var\n",
             '    if bn_param["mode"] == "test":\n        mean, var = running_mean, running_var\n')),
         "changed in test mode"),
    ],
    "batchnorm_backward": [
        ("the simplified backward", """
def batchnorm_backward(dout, x, gamma, beta, eps=1e-5):
    xhat = (x - x.mean(0)) / np.sqrt(x.var(0) + eps)
    return dout * gamma / np.sqrt(x.var(0) + eps), (dout * xhat).sum(0), dout.sum(0)""",
         "the simplified backward that treats the batch's mean and variance as constants"),
        ("the mean's path only", """
def batchnorm_backward(dout, x, gamma, beta, eps=1e-5):
    xhat = (x - x.mean(0)) / np.sqrt(x.var(0) + eps)
    dxhat = dout * gamma
    return (dxhat - dxhat.mean(0)) / np.sqrt(x.var(0) + eps), (dout * xhat).sum(0), dout.sum(0)""",
         "not the one through its variance"),
        ("unbiased variance", wrong("batchnorm_backward", ("var = (xmu ** 2).mean(axis=0)",
                                                           "var = (xmu ** 2).sum(axis=0) / (n - 1)"),
                                    ("dsq = np.ones_like(x) * dvar / n", "dsq = np.ones_like(x) * dvar / (n - 1)")),
         "the variance is the unbiased one"),
        ("eps ignored", wrong("batchnorm_backward", ("np.sqrt(var + eps)", "np.sqrt(var + 1e-5)")),
         "eps=0.001 was not used"),
        ("dgamma from x, not x_hat", wrong("batchnorm_backward", ("dgamma = (dout * xhat).sum(axis=0)",
                                                                  "dgamma = (dout * x).sum(axis=0)")),
         "at dgamma"),
    ],
    "dropout_forward": [
        ("rate taken as the keep probability", wrong("dropout_forward", ("rng.random(x.shape) >= rate) / (1 - rate)",
                                                                         "rng.random(x.shape) < rate) / rate")),
         "rate was taken as the probability of keeping a unit"),
        ("not inverted", wrong("dropout_forward", ("/ (1 - rate)", "* 1.0")), "without the inverted scale"),
        ("applied at inference", wrong("dropout_forward", ("    if not training:\n        return x, None\n", "")),
         "units were dropped at inference"),
        ("scaled at inference", wrong("dropout_forward", ("return x, None", "return x * (1 - rate), None")),
         "the non-inverted dropout's test-time rule"),
        ("NumPy's global generator", wrong("dropout_forward", ("rng.random(x.shape)", "np.random.rand(*x.shape)")),
         "the generator rng was not used"),
        ("a mask without the scale", wrong("dropout_forward", ("return x * mask, mask", "return x * mask, mask > 0")),
         "out against x * mask"),
        ("a mask of ones at inference", wrong("dropout_forward", ("return x, None", "return x, np.ones_like(x)")),
         "return None as the mask at inference"),
    ],
    "dropout_backward": [
        ("the scale lost", wrong("dropout_backward", ("return dout * mask", "return dout * (mask > 0)")),
         "lost the 1/(1 - rate) scale"),
        ("the mask not applied", wrong("dropout_backward", ("return dout * mask", "return dout")),
         "the mask was not applied"),
    ],
    "sgd_momentum": [
        ("velocity reset every call", wrong("sgd_momentum", ('v = config.get("velocity", np.zeros_like(w))',
                                                             "v = np.zeros_like(w)")),
         "this is plain SGD: the velocity was not carried"),
        ("the velocity in gradient units (PyTorch's form)", wrong(
            "sgd_momentum", ('v = config["momentum"] * v - config["learning_rate"] * dw', 'v = config["momentum"] * v + dw'),
            ("return w + v, config", 'return w - config["learning_rate"] * v, config')),
         "the velocity is kept in gradient units"),
        ("the velocity not returned", wrong("sgd_momentum", ('    config["velocity"] = v\n', "")),
         "it still holds what it was given; store the new one there"),
        ("defaults used but not filled in", """
def sgd_momentum(w, dw, config=None):
    config = config or {}
    v = config.get("momentum", 0.9) * config.get("velocity", 0) - config.get("learning_rate", 1e-2) * dw
    config["velocity"] = v
    return w + v, config""", "config['learning_rate'] is None; fill in the default 0.01"),
    ],
    "rmsprop": [
        ("no square root", wrong("rmsprop", ('np.sqrt(config["cache"])', 'config["cache"]')),
         "RMSProp divides by the square root of the cache"),
        ("epsilon inside the root (Keras' RMSprop)", wrong(
            "rmsprop", ('(np.sqrt(config["cache"]) + config["epsilon"])', 'np.sqrt(config["cache"] + config["epsilon"])')),
         "epsilon was added inside the square root"),
        ("decay rate swapped", wrong("rmsprop", ('config["decay_rate"] * config["cache"] + (1 - config["decay_rate"]) * dw ** 2',
                                                 '(1 - config["decay_rate"]) * config["cache"] + config["decay_rate"] * dw ** 2')),
         "decay_rate swapped"),
        ("cache reset every call", wrong("rmsprop", ('config.setdefault("cache", np.zeros_like(w))',
                                                     'config["cache"] = np.zeros_like(w)')),
         "the cache was not carried"),
    ],
    "adam": [
        ("no bias correction", wrong("adam", ('m_hat = config["m"] / (1 - b1 ** t)', 'm_hat = config["m"]'),
                                     ('v_hat = config["v"] / (1 - b2 ** t)', 'v_hat = config["v"]')),
         "this is Adam without its bias correction"),
        ("t incremented after the correction", wrong(
            "adam", ('    config["t"] += 1\n', ""),
            ("    return w -", '    config["t"] += 1\n    return w -')),
         "t was incremented after the bias correction"),
        ("Keras' epsilon hat", wrong(
            "adam", ('return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config',
                     'lr_t = config["learning_rate"] * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)\n'
                     '    return w - lr_t * config["m"] / (np.sqrt(config["v"]) + config["epsilon"]), config')),
         "Keras' 'epsilon hat'"),
        ("state reset every call", wrong("adam", ('config.setdefault("m", np.zeros_like(w))', 'config["m"] = np.zeros_like(w)'),
                                         ('config.setdefault("v", np.zeros_like(w))', 'config["v"] = np.zeros_like(w)'),
                                         ('config.setdefault("t", 0)', 'config["t"] = 0')),
         "m, v and t were not carried"),
        ("t not counted", wrong("adam", ('    config["t"] += 1\n    t, b1, b2 = config["t"], config["beta1"], config["beta2"]\n',
                                         '    t, b1, b2 = config["t"] + 1, config["beta1"], config["beta2"]\n')),
         "expected 6 (t counts the steps"),
    ],
}


def test_the_lesson_declares_seven_exercises_in_order():
    assert [e.name for e in exercises.lesson_exercises(LESSON)] == NAMES
    assert set(MISTAKES) == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_the_lessons_own_implementation_passes(name):
    ex = exercise(name)
    assert exercises.judge(ex, ex.local(ex.reference)) == ("pass", "every check passed")


def test_the_stubs_are_todo_and_a_hand_written_file_passes(tmp_path):
    path = exercises.start(LESSON, tmp_path / "stubs")
    outcomes = exercises.check([LESSON], tmp_path / "stubs", timeout=60)
    assert [(o.id, o.status, o.message) for o in outcomes] == [
        (f"{LESSON}.{n}", "todo", "not written yet: the body still raises NotImplementedError") for n in NAMES]
    assert path.read_text().count("raise NotImplementedError") == 7
    learner_file(tmp_path / "mine", "".join(RIGHT[n] for n in NAMES))
    outcomes = exercises.check([LESSON], tmp_path / "mine", timeout=60)
    assert [(o.id, o.status) for o in outcomes] == [(f"{LESSON}.{n}", "pass") for n in NAMES], outcomes


@pytest.mark.parametrize("name, mistake, source, message",
                         [(n, *m) for n, ms in MISTAKES.items() for m in ms],
                         ids=[f"{n}: {m[0]}" for n, ms in MISTAKES.items() for m in ms])
def test_classic_mistakes_fail_and_are_named(name, mistake, source, message, tmp_path):
    path = learner_file(tmp_path, source)
    outcome = exercises.check_one(LESSON, exercise(name), path, timeout=60)
    assert outcome.status == "fail", (mistake, outcome.message)
    assert message in outcome.message, outcome.message


# -- the lesson's own versions against independent references ------------------------------

@pytest.mark.parametrize("name", ["sgd_momentum", "rmsprop", "adam"])
def test_the_update_rules_reproduce_cs231ns_published_vectors(name):
    config, expected = training.CS231N[name]
    given = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in config.items()}
    next_w, returned = getattr(training, name)(training.W0.copy(), training.DW0.copy(), given)
    rel = lambda a, b: np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))  # noqa: E731
    # The notebook: "errors around 1e-7 or less"; its own answer shows 1.14e-7 for Adam's
    # next_w (the vector is printed to 8 decimals), as does this one.
    assert rel(next_w, np.array(expected["next_w"])) < 2e-7
    for key in training.STATE[name]:
        if key == "t":
            assert returned["t"] == 6  # incremented before the bias correction
        else:
            assert rel(returned[key], np.array(expected[key])) < 1e-8


def _steps_with_keras(optimizer, ours, config, steps=8, seed=0):
    """`steps` updates of the same weights with the same gradients: Keras' optimizer in
    float64 and the lesson's rule; both paths."""
    import keras

    rng = np.random.default_rng(seed)
    grads = [rng.normal(size=(3, 4)) for _ in range(steps)]
    w0 = rng.normal(size=(3, 4))
    variable = keras.Variable(w0.copy(), dtype="float64")
    optimizer.build([variable])
    keras_path, our_path, w = [], [], w0.copy()
    for g in grads:
        optimizer.apply_gradients([(keras.ops.convert_to_tensor(g, dtype="float64"), variable)])
        keras_path.append(keras.ops.convert_to_numpy(variable).copy())
        w, config = ours(w, g, config)
        our_path.append(w.copy())
    return np.array(keras_path), np.array(our_path)


def test_the_update_rules_take_keras_optimizers_steps():
    """Keras' SGD(momentum) is the same rule; its RMSprop and Adam place epsilon elsewhere
    (inside the root; Adam's "epsilon hat"), so with epsilon 0 all three agree. Keras keeps
    its hyperparameters in float32 even for float64 weights: 0.9 there is 0.899999976, so
    the exact comparisons use numbers float32 holds exactly (0.5, 0.75, ...)."""
    import keras

    keras_path, ours = _steps_with_keras(keras.optimizers.SGD(0.25, momentum=0.75), training.sgd_momentum,
                                         {"learning_rate": 0.25, "momentum": 0.75})
    np.testing.assert_allclose(ours, keras_path, rtol=1e-12)
    keras_path, ours = _steps_with_keras(keras.optimizers.RMSprop(0.125, rho=0.75, epsilon=0.0),
                                         training.rmsprop,
                                         {"learning_rate": 0.125, "decay_rate": 0.75, "epsilon": 0.0})
    np.testing.assert_allclose(ours, keras_path, rtol=1e-12)
    keras_path, ours = _steps_with_keras(keras.optimizers.Adam(0.5, beta_1=0.5, beta_2=0.75, epsilon=0.0),
                                         training.adam,
                                         {"learning_rate": 0.5, "beta1": 0.5, "beta2": 0.75, "epsilon": 0.0})
    np.testing.assert_allclose(ours, keras_path, rtol=1e-12)
    # Their defaults (0.9, 0.999, epsilon 1e-7 added to sqrt(v), not sqrt(v_hat)): a few
    # parts in a million apart over eight steps.
    keras_path, ours = _steps_with_keras(keras.optimizers.Adam(0.01), training.adam,
                                         {"learning_rate": 0.01, "epsilon": 1e-7})
    np.testing.assert_allclose(ours, keras_path, rtol=1e-5)


def test_batchnorm_matches_keras_batch_normalization():
    """Keras normalises by the biased variance (divided by N) in training, and its moving
    averages follow the same convention: moving = momentum * moving + (1 - momentum) * batch,
    with the same biased variance; the lesson's running averages are those numbers."""
    import keras
    import tensorflow as tf

    rng = np.random.default_rng(3)
    n, d = 16, 5
    layer = keras.layers.BatchNormalization(momentum=0.8, epsilon=1e-3, dtype="float64")
    layer.build((None, d))
    gamma, beta = rng.normal(size=d), rng.normal(size=d)
    layer.gamma.assign(gamma)
    layer.beta.assign(beta)
    bn_param = {"mode": "train", "momentum": 0.8, "eps": 1e-3}
    for _ in range(4):
        x = rng.normal(size=(n, d)) * 3 + 1
        np.testing.assert_allclose(training.batchnorm_forward(x, gamma, beta, bn_param),
                                   layer(x, training=True), rtol=1e-10)
        np.testing.assert_allclose(bn_param["running_mean"], layer.moving_mean.numpy(), rtol=1e-12)
        np.testing.assert_allclose(bn_param["running_var"], layer.moving_variance.numpy(), rtol=1e-12)
    # Biased: Keras' moving variance is not the N - 1 one.
    unbiased = {"mode": "train", "momentum": 0.0}
    training.batchnorm_forward(x * 1.0, gamma, beta, unbiased)
    assert not np.allclose(unbiased["running_var"], x.var(axis=0, ddof=1))
    x = rng.normal(size=(n, d))
    bn_param["mode"] = "test"
    np.testing.assert_allclose(training.batchnorm_forward(x, gamma, beta, bn_param),
                               layer(x, training=False), rtol=1e-10)
    # The backward pass, against TensorFlow's gradient through the layer in training mode.
    dout = rng.normal(size=(n, d))
    tensor = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(tensor)
        loss = tf.reduce_sum(layer(tensor, training=True) * dout)
    keras_dx, keras_dgamma, keras_dbeta = tape.gradient(loss, [tensor, layer.gamma, layer.beta])
    dx, dgamma, dbeta = training.batchnorm_backward(dout, x, gamma, beta, eps=1e-3)
    np.testing.assert_allclose(dx, keras_dx.numpy(), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(dgamma, keras_dgamma.numpy(), rtol=1e-10)
    np.testing.assert_allclose(dbeta, keras_dbeta.numpy(), rtol=1e-10)


def test_dropout_matches_keras_dropout():
    """Keras' Dropout(rate) drops the share `rate` and scales the rest by 1/(1 - rate); at
    inference it returns its input: the lesson's convention, mask None at inference."""
    import keras

    x = np.ones((400, 500))
    out = keras.ops.convert_to_numpy(keras.layers.Dropout(0.3, seed=1)(x, training=True))
    ours, mask = training.dropout_forward(x, 0.3, True, np.random.default_rng(1))
    for dropped in (out, ours):
        assert np.mean(dropped == 0) == pytest.approx(0.3, abs=0.005)
        values = np.unique(dropped)
        assert len(values) == 2 and values[0] == 0 and values[1] == pytest.approx(1 / 0.7, rel=1e-7)
    np.testing.assert_array_equal(ours, x * mask)
    np.testing.assert_array_equal(keras.layers.Dropout(0.3)(x, training=False), x)
    assert training.dropout_forward(x, 0.3, False, np.random.default_rng(1)) == (x, None)
    # Backward: the gradient of sum(out * dout) is dout * mask, entry by entry.
    dout = np.random.default_rng(2).normal(size=x.shape)
    np.testing.assert_array_equal(training.dropout_backward(dout, mask), dout * mask)


def test_batchnorm_backward_against_centred_differences_on_other_shapes():
    from lessons.checking import centred_difference
    from lessons.common import relative_error

    rng = np.random.default_rng(4)
    for shape in ((3, 2), (5, 7), (9, 1)):
        x = rng.normal(size=shape) + rng.normal(size=shape[1])
        gamma, beta, dout = rng.normal(size=shape[1]), rng.normal(size=shape[1]), rng.normal(size=shape)
        f = lambda v: np.sum(training.batchnorm_forward(v, gamma, beta, {"mode": "train"}) * dout)  # noqa: E731
        dx = training.batchnorm_backward(dout, x, gamma, beta)[0]
        assert relative_error(dx, centred_difference(f, x.copy())).max() < 1e-7
        assert np.allclose(dx.sum(axis=0), 0)  # shifting a whole column changes nothing


# -- --mine ---------------------------------------------------------------------------------

def test_mine_uses_the_experiments_functions():
    from workbench.running import runner

    uses = {experiment: runner.prepare(LESSON, {"experiment": experiment}, None, 0).settings.mine_uses()
            for experiment in ("init", "batchnorm", "optimizers", "regularization")}
    assert uses == {"init": (), "batchnorm": ("batchnorm_forward", "batchnorm_backward"),
                    "optimizers": ("sgd_momentum", "rmsprop", "adam"), "regularization": ()}


def test_mine_refuses_until_the_exercises_pass(tmp_path):
    folder = tmp_path / "ws"
    run_cli("exercises", "start", LESSON, "--workspace", str(folder))
    proc = run_cli("run", LESSON, "--set", "experiment=batchnorm", "--mine", "--workspace", str(folder),
                   "--models-dir", str(tmp_path / "m"))
    assert proc.returncode == 2
    assert one_line_error(proc) == (
        "workbench: error: --mine needs training.batchnorm_forward to pass its check first; "
        "it is todo: not written yet: the body still raises NotImplementedError")
    assert not (tmp_path / "m").exists()


def test_batchnorm_mine_trains_the_bad_init_net_with_the_learners_batch_norm(solved, tmp_path):
    from workbench.running import events, runner

    request = runner.prepare(LESSON, {"experiment": "batchnorm", "epochs": 2}, None, 0)
    functions = exercises.mine_functions(LESSON, request.settings.mine_uses(), solved)
    seen = []
    with functions:
        m = runner.execute(request, models_dir=tmp_path, mine=functions, on_event=seen.append).metrics
    # One layer against Keras' BatchNormalization: float32 there, float64 here.
    assert set(m["mine_vs_keras_bn"]) == {"train output", "moving mean", "moving variance",
                                          "inference output", "dx", "dgamma", "dbeta"}
    assert max(m["mine_vs_keras_bn"].values()) < 1e-5  # float32's 1.2e-7, a few times over
    losses = m["mine_loss_per_epoch"]
    keras_bn = m["final_train_loss"]["bad init + BN"]
    assert len(losses) == 2 and losses[-1] < losses[0]
    # The same net from the same weights: a loss like Keras' with BN, far below the plain net's.
    assert abs(losses[-1] - keras_bn) < 0.3 and losses[-1] < m["final_train_loss"]["bad init"] / 2
    assert abs(m["mine_test_accuracy"] - m["test_accuracy"]) < 0.15
    chart = next(e for e in seen if isinstance(e, events.Chart) and "your batch norm" in e.title)
    assert chart.series["yours"] == pytest.approx(losses)


def test_optimizers_mine_follows_keras_on_the_bowl_and_trains_the_digits_net(solved, tmp_path):
    from workbench.running import runner

    request = runner.prepare(LESSON, {"experiment": "optimizers", "epochs": 2}, None, 0)
    functions = exercises.mine_functions(LESSON, request.settings.mine_uses(), solved)
    with functions:
        m = runner.execute(request, models_dir=tmp_path, mine=functions).metrics
    gaps = m["mine_bowl_gap"]
    assert set(gaps) == {"momentum", "rmsprop", "adam"}
    assert max(gaps.values()) < 1e-3  # Keras' float32 path, step by step
    mine, keras_loss = m["mine_final_train_loss"], m["final_train_loss"]
    for rule in ("momentum", "rmsprop", "adam"):
        # Other minibatches in another order (NumPy's shuffle, not tf.data's): close, not equal.
        assert mine[rule] < 2.0 and abs(mine[rule] - keras_loss[rule]) < 0.2, (rule, mine, keras_loss)


def test_the_key_results_read_a_plain_net_that_diverged():
    """At 20 times the rate the plain net can diverge (the default 8 epochs do): the
    highlight then reads the run's words for it instead of comparing a word with 1."""
    from lessons.training.key_results import bn_gain

    name = "bn_gain_at_high_lr"
    assert bn_gain({name: "only the plain net diverged"}, name, "en") == (
        "the plain net diverged and the one with BN did not: BN trained better")
    assert bn_gain({name: "BN diverged"}, name, "en") == "the net with BN diverged: BN did not help here"
    assert bn_gain({name: 3.0}, name, "zh") != bn_gain({name: 0.5}, name, "zh")
