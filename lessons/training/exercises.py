"""The training lesson's exercises (CS231n assignment 2): batch normalisation forward and
backward, inverted dropout forward and backward, and three update rules (SGD with
momentum, RMSProp, Adam) with the state they carry, in NumPy float64 on (N, D)
activations. Each check compares the learner's answer with the lesson's own version
here (which tests/test_exercises_training.py checks against Keras' BatchNormalization,
Dropout and optimizers, and against CS231n's published test vectors); the backward pass
against centred differences in float64, as CS231n checks it; dropout by its statistics.
Where a wrong answer is one of the classic mistakes, the message names it.
"""

from __future__ import annotations

import numpy as np

from lessons.checking import array, centred_difference, expect_close, expect_gradient, expect_shape
from workbench.authoring import Exercise, Failed

BN_EPS, BN_MOMENTUM = 1e-5, 0.9


# -- the lesson's own implementations ---------------------------------------------------------

def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", BN_EPS)
    momentum = bn_param.get("momentum", BN_MOMENTUM)
    # Absent running averages start as Keras' moving statistics do: mean 0, variance 1.
    running_mean = bn_param.get("running_mean", np.zeros(x.shape[1]))
    running_var = bn_param.get("running_var", np.ones(x.shape[1]))
    if mode == "train":
        mean, var = x.mean(axis=0), x.var(axis=0)  # np.var divides by N: the batch's own spread
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mean
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
    elif mode == "test":
        mean, var = running_mean, running_var
    else:
        raise ValueError(f"bn_param['mode'] must be 'train' or 'test', got {mode!r}")
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def batchnorm_backward(dout, x, gamma, beta, eps=BN_EPS):
    mean, var = x.mean(axis=0), x.var(axis=0)
    std = np.sqrt(var + eps)
    x_hat = (x - mean) / std
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    # x_i reaches the loss three ways: through its own x_hat_i, and through the batch's
    # mean and variance, which every x_hat_j of its column depends on.
    dx = (dx_hat - dx_hat.mean(axis=0) - x_hat * (dx_hat * x_hat).mean(axis=0)) / std
    return dx, dgamma, dbeta


def dropout_forward(x, rate, training, rng):
    if not training:
        return x, None  # nothing dropped, nothing to remember
    keep = 1.0 - rate
    mask = (rng.random(x.shape) < keep) / keep  # 0 or 1/keep: the scale rides in the mask
    return x * mask, mask


def dropout_backward(dout, mask):
    return dout if mask is None else dout * mask


def sgd_momentum(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    config["velocity"] = v
    return w + v, config


def rmsprop(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    cache = config.get("cache", np.zeros_like(w))
    cache = config["decay_rate"] * cache + (1 - config["decay_rate"]) * dw ** 2
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config


def adam(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    m = config.get("m", np.zeros_like(w))
    v = config.get("v", np.zeros_like(w))
    t = config.get("t", 0) + 1  # this step's number, before the corrections use it
    b1, b2 = config["beta1"], config["beta2"]
    m = b1 * m + (1 - b1) * dw
    v = b2 * v + (1 - b2) * dw ** 2
    m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
    config.update(m=m, v=v, t=t)
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config


# -- what the checks share ---------------------------------------------------------------------

def _tuple(result, names: tuple[str, ...], what: str) -> tuple:
    if not isinstance(result, tuple) or len(result) != len(names):
        got = f"a tuple of {len(result)}" if isinstance(result, tuple) else type(result).__name__
        raise Failed(f"{what}: return ({', '.join(names)}), a tuple of {len(names)}; got {got}")
    return result


def _matching(got, want, what: str, mistakes=(), *, rtol: float = 1e-8, atol: float = 1e-10) -> np.ndarray:
    """`got` close to `want`; otherwise, if it matches one of the `mistakes` (what that
    mistake computes, and its name), a message naming it; else the first wrong entry."""
    want = np.asarray(want, dtype=np.float64)
    got = expect_shape(got, want.shape, what)
    if np.all(np.isfinite(got)) and np.allclose(got, want, rtol=rtol, atol=atol):
        return got
    for wrong, message in mistakes:
        with np.errstate(all="ignore"):
            wrong = np.asarray(wrong, dtype=np.float64)
        if wrong.shape == got.shape and np.allclose(got, wrong, rtol=rtol, atol=atol, equal_nan=True):
            raise Failed(f"{what}: {message}")
    return expect_close(got, want, what, rtol=rtol, atol=atol)


# -- batch normalisation -------------------------------------------------------------------------

def _bn(x, gamma, beta, eps, mean, var):
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def _bn_forward(function, x, gamma, beta, bn_param, what):
    out = function(x.copy(), gamma.copy(), beta.copy(), bn_param)
    if isinstance(out, tuple):
        raise Failed(f"{what}: return out alone, an array like x, not a tuple of {len(out)} "
                     f"(CS231n's version also returns a cache; here the backward pass gets x "
                     f"and recomputes what it needs)")
    return out


def _running(bn_param, key, what):
    if not isinstance(bn_param, dict) or key not in bn_param:
        raise Failed(f"{what}: bn_param has no {key!r} after a train step; update the running "
                     f"averages in bn_param itself (the caller keeps that dict from one call to "
                     f"the next)")
    return bn_param[key]


def check_batchnorm_forward(function) -> None:
    rng = np.random.default_rng(0)
    n, d = 40, 3
    # CS231n's test: scores far from mean 0 and spread 1; then gamma and beta show through.
    x = rng.normal(size=(n, d)) * [1.0, 5.0, 20.0] + [10.0, -3.0, 40.0]
    for gamma, beta in ((np.ones(d), np.zeros(d)), (np.array([1.0, 2.0, 3.0]), np.array([11.0, 12.0, 13.0]))):
        what = f"train mode, gamma {gamma.tolist()}, beta {beta.tolist()}"
        out = _bn_forward(function, x, gamma, beta, {"mode": "train"}, what)
        mean, var = x.mean(axis=0), x.var(axis=0)
        _matching(out, _bn(x, gamma, beta, BN_EPS, mean, var), what, [
            (_bn(x, gamma, beta, BN_EPS, mean, x.var(axis=0, ddof=1)),
             "the variance is the unbiased one (divided by N - 1); batch norm divides by N, as "
             "np.var does by default and as Keras' BatchNormalization does"),
            (gamma * (x - mean) / (np.sqrt(var) + BN_EPS) + beta,
             "eps is added to the standard deviation; it goes inside: sqrt(var + eps)"),
        ], rtol=1e-7)

    # eps and momentum come from bn_param; a unit with a tiny spread shows eps.
    x = rng.normal(size=(n, d)) * [2.0, 0.01, 3.0] + [1.0, 5.0, -2.0]
    gamma, beta = rng.normal(size=d), rng.normal(size=d)
    what = "train mode with bn_param['eps'] = 1e-3 (a unit whose variance is 1e-4)"
    out = _bn_forward(function, x, gamma, beta, {"mode": "train", "eps": 1e-3}, what)
    mean, var = x.mean(axis=0), x.var(axis=0)
    _matching(out, _bn(x, gamma, beta, 1e-3, mean, var), what, [
        (_bn(x, gamma, beta, BN_EPS, mean, var), "bn_param['eps'] was not used (this is eps 1e-5)"),
        (_bn(x, gamma, beta, 0.0, mean, var), "eps is missing: sqrt(var + eps)")])

    _check_running_averages(function, rng)
    _check_test_mode(function, rng)


def _check_running_averages(function, rng) -> None:
    n, d = 30, 4
    x = rng.normal(size=(n, d)) * 3 + 2
    gamma, beta = np.ones(d), np.zeros(d)
    bn_param = {"mode": "train"}
    what = "the running averages after one train step from none (defaults: momentum 0.9, mean 0, variance 1)"
    _bn_forward(function, x, gamma, beta, bn_param, what)
    mean, var, unbiased = x.mean(axis=0), x.var(axis=0), x.var(axis=0, ddof=1)
    _matching(_running(bn_param, "running_mean", what), 0.9 * 0 + 0.1 * mean, f"{what}: running_mean", [
        (0.9 * mean, "momentum swapped: the running average keeps momentum (0.9) of its old value "
                     "and takes 1 - momentum of the batch's: running = momentum * running + "
                     "(1 - momentum) * batch")])
    _matching(_running(bn_param, "running_var", what), 0.9 * 1 + 0.1 * var, f"{what}: running_var", [
        (0.1 * var, "running_var started at zeros (as CS231n's code does); here it starts at ones, "
                    "as Keras' moving_variance does"),
        (0.1 * 1 + 0.9 * var, "momentum swapped: running = momentum * running + (1 - momentum) * batch"),
        (0.9 + 0.1 * unbiased, "the running variance is the unbiased one (N - 1); use the batch's "
                               "variance as it normalised the batch (divided by N), as Keras does"),
    ])

    # Several steps, carried in the same dict, with another momentum and a given start.
    momentum = 0.8
    mine = {"mode": "train", "momentum": momentum, "running_mean": rng.normal(size=d),
            "running_var": rng.uniform(0.5, 2.0, size=d)}
    ours = {key: (value.copy() if isinstance(value, np.ndarray) else value) for key, value in mine.items()}
    for step in range(1, 6):
        x = rng.normal(size=(n, d)) * rng.uniform(0.5, 4, size=d) + rng.normal(size=d) * 3
        what = f"train step {step} of 5 with bn_param['momentum'] = {momentum}"
        previous_mean, previous_var = ours["running_mean"], ours["running_var"]
        want = batchnorm_forward(x, gamma, beta, ours)
        out = _bn_forward(function, x, gamma, beta, mine, what)
        _matching(out, want, f"{what}: out", rtol=1e-7)
        mean, var = x.mean(axis=0), x.var(axis=0)
        _matching(_running(mine, "running_mean", what), ours["running_mean"], f"{what}: running_mean", [
            (BN_MOMENTUM * previous_mean + (1 - BN_MOMENTUM) * mean,
             "bn_param['momentum'] was not used (this is momentum 0.9)"),
            ((1 - momentum) * previous_mean + momentum * mean,
             "momentum swapped: running = momentum * running + (1 - momentum) * batch"),
            (momentum * 0 + (1 - momentum) * mean,
             "the running mean started again from 0: read bn_param['running_mean'] when it is there"),
        ], rtol=1e-7)
        _matching(_running(mine, "running_var", what), ours["running_var"], f"{what}: running_var", [
            (momentum * 1 + (1 - momentum) * var,
             "the running variance started again from 1: read bn_param['running_var'] when it is there"),
            ((1 - momentum) * previous_var + momentum * var,
             "momentum swapped: running = momentum * running + (1 - momentum) * batch"),
        ], rtol=1e-7)

    # Test mode, after those steps: the running averages, not this batch's statistics.
    x = rng.normal(size=(n, d)) * 2 - 1
    gamma, beta = rng.normal(size=d), rng.normal(size=d)
    mine["mode"] = ours["mode"] = "test"
    kept_mean, kept_var = ours["running_mean"].copy(), ours["running_var"].copy()
    what = "test mode after 5 train steps"
    out = _bn_forward(function, x, gamma, beta, mine, what)
    _matching(out, _bn(x, gamma, beta, BN_EPS, kept_mean, kept_var), what, [
        (_bn(x, gamma, beta, BN_EPS, x.mean(axis=0), x.var(axis=0)),
         "test mode normalised by this batch's mean and variance; it uses the running averages, "
         "so an example's output does not depend on its batch-mates")], rtol=1e-7)
    for key, kept in (("running_mean", kept_mean), ("running_var", kept_var)):
        after = mine.get(key)
        if after is None or array(after, key).shape != kept.shape or not np.allclose(after, kept, rtol=1e-12):
            raise Failed(f"{what}: bn_param[{key!r}] changed in test mode; only train mode "
                         f"updates the running averages")


def _check_test_mode(function, rng) -> None:
    n, d = 12, 5
    x = rng.normal(size=(n, d)) * 3 + 1
    gamma, beta = rng.normal(size=d), rng.normal(size=d)
    running_mean, running_var = rng.normal(size=d), rng.uniform(0.2, 3.0, size=d)
    for eps in (BN_EPS, 0.5):
        bn_param = {"mode": "test", "running_mean": running_mean.copy(), "running_var": running_var.copy()}
        if eps != BN_EPS:
            bn_param["eps"] = eps
        what = f"test mode with given running averages, eps {eps:g}"
        out = _bn_forward(function, x, gamma, beta, bn_param, what)
        _matching(out, _bn(x, gamma, beta, eps, running_mean, running_var), what, [
            (_bn(x, gamma, beta, eps, x.mean(axis=0), x.var(axis=0)),
             "test mode normalised by this batch's mean and variance; it uses bn_param's "
             "running_mean and running_var"),
            (_bn(x, gamma, beta, BN_EPS, running_mean, running_var), "bn_param['eps'] was not used"),
        ], rtol=1e-7)
    what = "test mode with no running averages yet (mean 0, variance 1)"
    out = _bn_forward(function, x, gamma, beta, {"mode": "test"}, what)
    _matching(out, _bn(x, gamma, beta, BN_EPS, 0.0, 1.0), what, rtol=1e-7)


# Shapes and eps of the backward checks; the last has a unit whose variance is near eps.
BACKWARD_CASES = (((4, 5), None), ((7, 3), None), ((6, 4), 1e-3))


def check_batchnorm_backward(function) -> None:
    # Units of spread 0.5 to 2 around means near 0: the centred differences then agree with
    # the exact gradient to about 4e-9 at worst, 25 times under CS231n's 1e-7.
    rng = np.random.default_rng(2)
    for shape, eps in BACKWARD_CASES:
        n, d = shape
        x = rng.normal(size=shape) * rng.uniform(0.5, 2, size=d) + rng.normal(size=d)
        if eps is not None:
            x[:, 1] = rng.normal(size=n) * 0.03 + 2  # variance about 1e-3: eps matters here
        gamma, beta, dout = rng.normal(size=d), rng.normal(size=d), rng.normal(size=shape)
        used = BN_EPS if eps is None else eps
        what = f"x of shape {shape}" + ("" if eps is None else f", eps {eps:g}")
        args = (dout.copy(), x.copy(), gamma.copy(), beta.copy())
        result = function(*args) if eps is None else function(*args, eps=eps)
        dx, dgamma, dbeta = _tuple(result, ("dx", "dgamma", "dbeta"), what)

        def loss(x_=x, gamma_=gamma, beta_=beta):
            return float(np.sum(batchnorm_forward(x_, gamma_, beta_, {"mode": "train", "eps": used}) * dout))

        numeric_dx = centred_difference(lambda v: loss(x_=v), x.copy())
        numeric_dgamma = centred_difference(lambda v: loss(gamma_=v), gamma.copy())
        numeric_dbeta = centred_difference(lambda v: loss(beta_=v), beta.copy())
        dx = expect_shape(dx, shape, f"dx ({what})")
        std = np.sqrt(x.var(axis=0) + used)
        dx_hat = dout * gamma
        mistakes = [
            (dx_hat / std, "this is the simplified backward that treats the batch's mean and "
                           "variance as constants (dx = dout * gamma / sqrt(var + eps)); but every "
                           "x_i moves its column's mean and variance, and through them every "
                           "output: add those two paths"),
            ((dx_hat - dx_hat.mean(axis=0)) / std,
             "dx has the path through the batch's mean but not the one through its variance"),
            (_unbiased_backward(dout, x, gamma, used),
             "the variance is the unbiased one (N - 1); batch norm's is divided by N"),
        ]
        if eps is not None:
            mistakes.append((batchnorm_backward(dout, x, gamma, beta, BN_EPS)[0],
                             f"eps={eps:g} was not used (this is eps 1e-5)"))
        for wrong, message in mistakes:
            if np.allclose(dx, wrong, rtol=1e-6, atol=1e-10) and not np.allclose(wrong, numeric_dx, rtol=1e-6):
                raise Failed(f"dx ({what}): {message}")
        expect_gradient(dx, numeric_dx, f"dx ({what})")
        expect_gradient(dgamma, numeric_dgamma, f"dgamma ({what})")
        expect_gradient(dbeta, numeric_dbeta, f"dbeta ({what})")


def _unbiased_backward(dout, x, gamma, eps):
    n = len(x)
    std = np.sqrt(x.var(axis=0, ddof=1) + eps)
    x_hat = (x - x.mean(axis=0)) / std
    dx_hat = dout * gamma
    return (dx_hat - dx_hat.mean(axis=0) - x_hat * (dx_hat * x_hat).sum(axis=0) / (n - 1)) / std


# -- dropout ---------------------------------------------------------------------------------------

DROPOUT_SHAPE = (300, 400)  # 120,000 units: the dropped share known to +-0.7%


def check_dropout_forward(function) -> None:
    x = np.random.default_rng(2).normal(size=DROPOUT_SHAPE) + 10  # never exactly 0
    size = x.size
    for seed, rate in ((3, 0.25), (4, 0.4), (5, 0.7)):
        what = f"dropout_forward(x, rate={rate}, training=True)"
        rng = np.random.default_rng(seed)
        before = rng.bit_generator.state
        out, mask = _tuple(function(x.copy(), rate, True, rng), ("out", "mask"), what)
        out = expect_shape(out, DROPOUT_SHAPE, f"{what}: out")
        if rng.bit_generator.state == before:
            raise Failed(f"{what}: the generator rng was not used; draw the mask from it "
                         f"(rng.random(x.shape)), so that a seed repeats a run")
        dropped = out == 0
        share = float(dropped.mean())
        spread = 5 * np.sqrt(rate * (1 - rate) / size)  # 5 standard deviations of the share
        if abs(share - rate) > spread:
            if abs(share - (1 - rate)) <= spread:
                raise Failed(f"{what}: {share:.3f} of the units were dropped, 1 - rate: rate was "
                             f"taken as the probability of keeping a unit (CS231n's p); in Keras, "
                             f"and here, rate is the fraction dropped")
            raise Failed(f"{what}: {share:.3f} of the units were dropped; expected about {rate} "
                         f"(within {spread:.3f})")
        kept_in, kept_out = x[~dropped], out[~dropped]
        if np.allclose(kept_out, kept_in, rtol=1e-12):
            raise Failed(f"{what}: the kept units are unchanged: that is dropout without the "
                         f"inverted scale; divide them by 1 - rate ({1 - rate:g}) so the expected "
                         f"output stays x and inference needs no change")
        if np.allclose(kept_out, kept_in * (1 - rate), rtol=1e-12):
            raise Failed(f"{what}: the kept units were multiplied by 1 - rate; inverted dropout "
                         f"divides them by it")
        expect_close(kept_out, kept_in / (1 - rate), f"{what}: the kept units, x / (1 - rate)", rtol=1e-12)
        # The 1/(1 - rate) scale keeps the mean: E[out] = x; 5 standard deviations of the mean.
        tolerance = 5 * np.sqrt(np.mean(x ** 2) * rate / (1 - rate) / size)
        if abs(out.mean() - x.mean()) > tolerance:
            raise Failed(f"{what}: the mean moved from {x.mean():.4f} to {out.mean():.4f}; the "
                         f"1/(1 - rate) scale should keep it (within {tolerance:.4f})")
        mask = expect_shape(mask, DROPOUT_SHAPE, f"{what}: mask")
        expect_close(out, x * mask, f"{what}: out against x * mask (the mask holds 0 for a "
                                    f"dropped unit and 1/(1 - rate) for a kept one, so the backward "
                                    f"pass needs only it)", rtol=1e-12)

    small = x[:20, :30]
    first = _tuple(function(small.copy(), 0.5, True, np.random.default_rng(7)), ("out", "mask"), "seed 7")[0]
    again = _tuple(function(small.copy(), 0.5, True, np.random.default_rng(7)), ("out", "mask"), "seed 7")[0]
    if not np.array_equal(array(first, "out"), array(again, "out")):
        raise Failed("two calls with generators of the same seed dropped different units; draw "
                     "only from rng, so that a seed repeats a run")
    rng = np.random.default_rng(8)
    one = array(_tuple(function(small.copy(), 0.5, True, rng), ("out", "mask"), "a first call")[0], "out")
    two = array(_tuple(function(small.copy(), 0.5, True, rng), ("out", "mask"), "a second call")[0], "out")
    if np.array_equal(one == 0, two == 0):
        raise Failed("two calls on the same generator dropped the same units: each call must draw "
                     "a fresh mask from rng")

    what = "dropout_forward(x, rate=0, training=True)"
    out, _ = _tuple(function(small.copy(), 0.0, True, np.random.default_rng(9)), ("out", "mask"), what)
    expect_close(out, small, f"{what}: nothing is dropped at rate 0", rtol=1e-12)

    what = "dropout_forward(x, rate=0.5, training=False)"
    out, mask = _tuple(function(small.copy(), 0.5, False, np.random.default_rng(10)), ("out", "mask"), what)
    out = expect_shape(out, small.shape, f"{what}: out")
    if np.any(out == 0):
        raise Failed(f"{what}: units were dropped at inference; dropout acts in training only, "
                     f"at inference the input passes unchanged")
    if np.allclose(out, small * 0.5, rtol=1e-12):
        raise Failed(f"{what}: the input was multiplied by 1 - rate at inference: that is the "
                     f"non-inverted dropout's test-time rule; inverted dropout scales in training "
                     f"and leaves inference alone")
    expect_close(out, small, f"{what}: the input unchanged", rtol=1e-12)
    if mask is not None:
        raise Failed(f"{what}: return None as the mask at inference (nothing was dropped); got "
                     f"{type(mask).__name__}")


def check_dropout_backward(function) -> None:
    rng = np.random.default_rng(11)
    shape = (8, 6)
    for rate in (0.3, 0.6):
        _, mask = dropout_forward(np.ones(shape), rate, True, rng)
        dout = rng.normal(size=shape)
        what = f"dropout_backward with a mask of rate {rate}"
        dx = function(dout.copy(), mask.copy())
        _matching(dx, dout * mask, what, [
            (dout * (mask > 0), "the kept units' gradient lost the 1/(1 - rate) scale; their "
                                "values were scaled by it, so their gradients are too: dx = dout * mask"),
            (dout, "the mask was not applied: a dropped unit passes no gradient"),
        ], rtol=1e-12)
    dout = rng.normal(size=shape)
    _matching(function(dout.copy(), None), dout, "dropout_backward(dout, None), after inference: dx = dout",
              rtol=1e-12)


# -- the update rules --------------------------------------------------------------------------------

# CS231n's test vectors (FullyConnectedNets.ipynb, assignment 2): w, dw and the state from
# np.linspace, one step, printed to 8 decimals.
N, D = 4, 5
W0 = np.linspace(-0.4, 0.6, num=N * D).reshape(N, D)
DW0 = np.linspace(-0.6, 0.4, num=N * D).reshape(N, D)
STATE0 = np.linspace(0.6, 0.9, num=N * D).reshape(N, D)
CS231N = {
    "sgd_momentum": ({"learning_rate": 1e-3, "velocity": STATE0}, {
        "next_w": [[0.1406, 0.20738947, 0.27417895, 0.34096842, 0.40775789],
                   [0.47454737, 0.54133684, 0.60812632, 0.67491579, 0.74170526],
                   [0.80849474, 0.87528421, 0.94207368, 1.00886316, 1.07565263],
                   [1.14244211, 1.20923158, 1.27602105, 1.34281053, 1.4096]],
        "velocity": [[0.5406, 0.55475789, 0.56891579, 0.58307368, 0.59723158],
                     [0.61138947, 0.62554737, 0.63970526, 0.65386316, 0.66802105],
                     [0.68217895, 0.69633684, 0.71049474, 0.72465263, 0.73881053],
                     [0.75296842, 0.76712632, 0.78128421, 0.79544211, 0.8096]]}),
    "rmsprop": ({"learning_rate": 1e-2, "cache": STATE0}, {
        "next_w": [[-0.39223849, -0.34037513, -0.28849239, -0.23659121, -0.18467247],
                   [-0.132737, -0.08078555, -0.02881884, 0.02316247, 0.07515774],
                   [0.12716641, 0.17918792, 0.23122175, 0.28326742, 0.33532447],
                   [0.38739248, 0.43947102, 0.49155973, 0.54365823, 0.59576619]],
        "cache": [[0.5976, 0.6126277, 0.6277108, 0.64284931, 0.65804321],
                  [0.67329252, 0.68859723, 0.70395734, 0.71937285, 0.73484377],
                  [0.75037008, 0.7659518, 0.78158892, 0.79728144, 0.81302936],
                  [0.82883269, 0.84469141, 0.86060554, 0.87657507, 0.8926]]}),
    "adam": ({"learning_rate": 1e-2, "m": STATE0, "v": np.linspace(0.7, 0.5, num=N * D).reshape(N, D),
              "t": 5}, {
        "next_w": [[-0.40094747, -0.34836187, -0.29577703, -0.24319299, -0.19060977],
                   [-0.1380274, -0.08544591, -0.03286534, 0.01971428, 0.0722929],
                   [0.1248705, 0.17744702, 0.23002243, 0.28259667, 0.33516969],
                   [0.38774145, 0.44031188, 0.49288093, 0.54544852, 0.59801459]],
        "v": [[0.69966, 0.68908382, 0.67851319, 0.66794809, 0.65738853],
              [0.64683452, 0.63628604, 0.6257431, 0.61520571, 0.60467385],
              [0.59414753, 0.58362676, 0.57311152, 0.56260183, 0.55209767],
              [0.54159906, 0.53110598, 0.52061845, 0.51013645, 0.49966]],
        "m": [[0.48, 0.49947368, 0.51894737, 0.53842105, 0.55789474],
              [0.57736842, 0.59684211, 0.61631579, 0.63578947, 0.65526316],
              [0.67473684, 0.69421053, 0.71368421, 0.73315789, 0.75263158],
              [0.77210526, 0.79157895, 0.81105263, 0.83052632, 0.85]],
        "t": 6}),
}
DEFAULTS = {"sgd_momentum": {"learning_rate": 1e-2, "momentum": 0.9},
            "rmsprop": {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8},
            "adam": {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}}
STATE = {"sgd_momentum": ("velocity",), "rmsprop": ("cache",), "adam": ("m", "v", "t")}
# Hyperparameters away from the defaults, epsilon large enough to show where it is added.
CUSTOM = {"sgd_momentum": {"learning_rate": 0.05, "momentum": 0.7},
          "rmsprop": {"learning_rate": 0.03, "decay_rate": 0.9, "epsilon": 0.05},
          "adam": {"learning_rate": 0.02, "beta1": 0.8, "beta2": 0.95, "epsilon": 0.05}}
REFERENCES = {"sgd_momentum": sgd_momentum, "rmsprop": rmsprop, "adam": adam}


def _copied(config):
    return None if config is None else {k: (v.copy() if isinstance(v, np.ndarray) else v)
                                        for k, v in config.items()}


def _step(function, name, w, dw, config, what):
    result = _tuple(function(w.copy(), dw.copy(), _copied(config)), ("next_w", "config"), what)
    next_w, returned = result
    if not isinstance(returned, dict):
        raise Failed(f"{what}: return (next_w, config) with config the dict of settings and "
                     f"state; got {type(returned).__name__} as config")
    for key in STATE[name]:
        if key not in returned:
            raise Failed(f"{what}: the returned config has no {key!r}; store the state there "
                         f"(the caller hands that config to the next call)")
    return next_w, returned


def _rule_mistakes(name, w, dw, config):
    """What the classic mistakes of rule `name` compute for one step: (next_w, message)."""
    c = {**DEFAULTS[name], **(_copied(config) or {})}
    lr = c["learning_rate"]
    if name == "sgd_momentum":
        v = c.get("velocity", np.zeros_like(w))
        return [(w - lr * dw, "this is plain SGD: the velocity was not carried; read "
                              "config['velocity'] (zeros the first time) and store the new one there"),
                (w - lr * (c["momentum"] * v + dw),
                 "the velocity is kept in gradient units (v = momentum * v + dw, w -= lr * v, "
                 "PyTorch's form); here, as in CS231n and Keras, the velocity is the step itself: "
                 "v = momentum * v - learning_rate * dw, next_w = w + v")]
    if name == "rmsprop":
        rho, eps = c["decay_rate"], c["epsilon"]
        cache = c.get("cache", np.zeros_like(w))
        new = rho * cache + (1 - rho) * dw ** 2
        return [(w - lr * dw / (new + eps), "RMSProp divides by the square root of the cache: "
                                            "dw / (sqrt(cache) + epsilon)"),
                (w - lr * dw / np.sqrt(new + eps), "epsilon was added inside the square root (as "
                                                   "Keras' RMSprop does); CS231n's rule, and this "
                                                   "one, adds it after: sqrt(cache) + epsilon"),
                (w - lr * dw / (np.sqrt((1 - rho) * cache + rho * dw ** 2) + eps),
                 "decay_rate swapped: cache = decay_rate * cache + (1 - decay_rate) * dw**2"),
                (w - lr * dw / (np.sqrt((1 - rho) * dw ** 2) + eps),
                 "the cache was not carried: read config['cache'] and store the new one there")]
    b1, b2, eps = c["beta1"], c["beta2"], c["epsilon"]
    m0, v0, t0 = c.get("m", np.zeros_like(w)), c.get("v", np.zeros_like(w)), c.get("t", 0)
    m, v, t = b1 * m0 + (1 - b1) * dw, b2 * v0 + (1 - b2) * dw ** 2, t0 + 1
    with np.errstate(all="ignore"):
        late = w - lr * (m / (1 - b1 ** t0)) / (np.sqrt(v / (1 - b2 ** t0)) + eps)
        folded = w - lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (np.sqrt(v) + eps)
    fresh_m, fresh_v = (1 - b1) * dw, (1 - b2) * dw ** 2
    return [(w - lr * m / (np.sqrt(v) + eps), "this is Adam without its bias correction: divide m "
                                              "by 1 - beta1**t and v by 1 - beta2**t"),
            (late, "t was incremented after the bias correction; increment it first, so the "
                   "first step corrects with t = 1"),
            (folded, "the bias corrections were folded into the learning rate with epsilon added "
                     "to sqrt(v) (Keras' 'epsilon hat'); here, as in CS231n, epsilon is added to "
                     "sqrt(v_hat): next_w = w - lr * m_hat / (sqrt(v_hat) + epsilon)"),
            (w - lr * m / (1 - b1 ** t) / np.sqrt(v / (1 - b2 ** t) + eps),
             "epsilon was added inside the square root; add it after: sqrt(v_hat) + epsilon"),
            (w - lr * (fresh_m / (1 - b1)) / (np.sqrt(fresh_v / (1 - b2)) + eps),
             "m, v and t were not carried: read them from config and store the new ones there")]


def _check_rule(function, name: str) -> None:
    reference = REFERENCES[name]
    # 1. CS231n's published step.
    config, expected = CS231N[name]
    what = f"CS231n's test step ({', '.join(f'{k}={v}' for k, v in config.items() if np.isscalar(v))})"
    next_w, returned = _step(function, name, W0, DW0, config, what)
    _matching(next_w, expected["next_w"], f"{what}: next_w", _rule_mistakes(name, W0, DW0, config),
              rtol=1e-6, atol=1e-8)
    for key in STATE[name]:
        if key == "t":
            if returned["t"] != expected["t"]:
                raise Failed(f"{what}: config['t'] is {returned['t']!r} after a step from t = 5; "
                             f"expected 6 (t counts the steps, incremented before its use)")
            continue
        _matching(returned[key], expected[key], f"{what}: config[{key!r}]", [
            (config[key], "it still holds what it was given; store the new one there (the caller "
                          "hands that config to the next call)")], rtol=1e-6, atol=1e-8)

    # 2. The defaults, filled in when absent (an empty config, and none at all).
    rng = np.random.default_rng(12)
    w, dw = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    want_w, want_config = reference(w.copy(), dw.copy(), {})
    for given in ({}, None):
        what = f"a first step with config={given!r} (every default)"
        next_w, returned = _step(function, name, w, dw, given, what)
        for key, default in DEFAULTS[name].items():
            if returned.get(key) != default:
                raise Failed(f"{what}: config[{key!r}] is {returned.get(key)!r}; fill in the "
                             f"default {default!r} when it is absent")
        _matching(next_w, want_w, f"{what}: next_w", _rule_mistakes(name, w, dw, {}))

    # 3. Five steps, each handed the config the last returned, with other hyperparameters.
    config = dict(CUSTOM[name])
    ours = dict(CUSTOM[name])
    w = rng.normal(size=(3, 4))
    for step in range(1, 6):
        dw = rng.normal(size=(3, 4)) * 0.1
        what = f"step {step} of 5 with {', '.join(f'{k}={v}' for k, v in CUSTOM[name].items())}"
        mistakes = _rule_mistakes(name, w, dw, ours)
        want_w, ours = reference(w.copy(), dw.copy(), _copied(ours))
        next_w, config = _step(function, name, w, dw, config, what)
        next_w = _matching(next_w, want_w, f"{what}: next_w", mistakes)
        for key in STATE[name]:
            if key == "t":
                if config["t"] != ours["t"]:
                    raise Failed(f"{what}: config['t'] is {config['t']!r}, expected {ours['t']} "
                                 f"(one more each step)")
            else:
                _matching(config[key], ours[key], f"{what}: config[{key!r}]")
        w = want_w


def check_sgd_momentum(function) -> None:
    _check_rule(function, "sgd_momentum")


def check_rmsprop(function) -> None:
    _check_rule(function, "rmsprop")


def check_adam(function) -> None:
    _check_rule(function, "adam")


# -- the exercises ------------------------------------------------------------------------------------

RULE_DOC = '''
    w: an array of weights; dw: the loss's gradient with respect to w, the same shape.
    config: a dict of settings and state (None: an empty one); put the default of each
    key that is missing into it. Returns (next_w, config); the state in config is what
    the next call starts from.
'''

EXERCISES = (
    Exercise("batchnorm_forward", "batch normalisation, forward: train and test modes",
             '''def batchnorm_forward(x, gamma, beta, bn_param):
    """Batch normalisation of x, (N, D): each of the D units over the N examples.

    gamma, beta: (D,) the learned scale and shift. bn_param, a dict: "mode" ("train" or
    "test"); optional "eps" (default 1e-5), "momentum" (0.9), "running_mean" (default
    zeros, (D,)) and "running_var" (default ones, as Keras' moving variance starts).
    train: normalise by the batch's mean and variance (divided by N, like np.var):
        out = gamma * (x - mean) / sqrt(var + eps) + beta, and update in bn_param itself
        running = momentum * running + (1 - momentum) * batch, for the mean and variance.
    test: the same formula with the running averages, which stay as they are.
    Returns out, (N, D).
    """''', check_batchnorm_forward, batchnorm_forward),
    Exercise("batchnorm_backward", "batch normalisation, backward: the full graph",
             '''def batchnorm_backward(dout, x, gamma, beta, eps=1e-5):
    """The gradients of batch normalisation in train mode.

    dout: (N, D) the loss's gradient with respect to out; x, gamma, beta, eps: what the
    forward pass was given (recompute its mean, variance and x_hat from x).
    Returns (dx, dgamma, dbeta): (N, D), (D,), (D,). Every x_i changes its column's mean
    and variance, and through them every output of the column: dx has three paths, not
    just dout * gamma / sqrt(var + eps).
    """''', check_batchnorm_backward, batchnorm_backward),
    Exercise("dropout_forward", "inverted dropout, forward: rate is the share dropped",
             '''def dropout_forward(x, rate, training, rng):
    """Inverted dropout, as Keras' Dropout(rate): rate (0 <= rate < 1) is the fraction of
    units dropped, not kept.

    training True: draw a mask from rng (a numpy.random.Generator: rng.random(x.shape)),
    each unit kept with probability 1 - rate; a kept unit is divided by 1 - rate, so the
    expected output is x. Return (x * mask, mask), mask holding 0 or 1 / (1 - rate).
    training False (inference): return (x, None), the input unchanged and no mask.
    """''', check_dropout_forward, dropout_forward),
    Exercise("dropout_backward", "inverted dropout, backward: through the same mask",
             '''def dropout_backward(dout, mask):
    """The gradient through dropout_forward: dout, (same shape as x), and the mask it
    returned (0 or 1 / (1 - rate); None after inference). Returns dx.
    """''', check_dropout_backward, dropout_backward),
    Exercise("sgd_momentum", "SGD with momentum, its velocity carried in config",
             '''def sgd_momentum(w, dw, config=None):
    """Stochastic gradient descent with momentum.
''' + RULE_DOC + '''
    Defaults: learning_rate 1e-2, momentum 0.9; state: velocity (zeros like w).
    v = momentum * v - learning_rate * dw; next_w = w + v.
    """''', check_sgd_momentum, sgd_momentum),
    Exercise("rmsprop", "RMSProp, its cache carried in config",
             '''def rmsprop(w, dw, config=None):
    """RMSProp: each weight's step divided by the size of its recent gradients.
''' + RULE_DOC + '''
    Defaults: learning_rate 1e-2, decay_rate 0.99, epsilon 1e-8; state: cache (zeros).
    cache = decay_rate * cache + (1 - decay_rate) * dw**2;
    next_w = w - learning_rate * dw / (sqrt(cache) + epsilon).
    """''', check_rmsprop, rmsprop),
    Exercise("adam", "Adam, with its bias correction and its m, v and t carried",
             '''def adam(w, dw, config=None):
    """Adam: momentum and RMSProp's scaling, each corrected for starting at zero.
''' + RULE_DOC + '''
    Defaults: learning_rate 1e-3, beta1 0.9, beta2 0.999, epsilon 1e-8; state: m and v
    (zeros like w) and the step count t (0).
    t += 1 first; m = beta1 * m + (1 - beta1) * dw; v = beta2 * v + (1 - beta2) * dw**2;
    m_hat = m / (1 - beta1**t); v_hat = v / (1 - beta2**t);
    next_w = w - learning_rate * m_hat / (sqrt(v_hat) + epsilon).
    """''', check_adam, adam),
)
