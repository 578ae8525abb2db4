"""The backprop lesson's exercises (CS231n assignment 2's first layers): the affine and
ReLU pieces, forward and backward, and the two-layer net's loss and gradients built from
them, in NumPy float64. The lesson's own answers are lessons/backprop/layers.py, the
code its network run trains with (tests/test_exercises_backprop.py holds them to
tf.GradientTape and to CS231n's published test vectors).

Each check compares the learner's answer with CS231n's test vectors where the notebooks
publish one (affine_forward, relu_forward, the two-layer loss), every backward pass with
centred differences in float64 (CS231n's relative error) and with the lesson's own; a
wrong answer that is one of the classic mistakes is named. A function that changes its
arguments in place fails too: the caller still needs them (the backward pass needs the
forward pass's input as it was; an upstream gradient can be used twice).
"""

from __future__ import annotations


import numpy as np

from lessons.backprop.layers import (PARAMS, affine_backward, affine_forward, relu_backward,
                                     relu_forward, softmax_loss, two_layer_loss)
from lessons.checking import array, case, centred_difference, expect_close, expect_gradient, expect_shape
from workbench.authoring import Exercise, Failed

# CS231n's test vectors (FullyConnectedNets.ipynb; TwoLayerNet in assignment 2). Inputs
# and weights are np.linspace ramps; the outputs are the notebooks' published numbers.
AFFINE_VECTOR = dict(x=((-0.1, 0.5, 2 * 4 * 5 * 6), (2, 4, 5, 6)), w=((-0.2, 0.3, 120 * 3), (120, 3)),
                     b=((-0.3, 0.1, 3), (3,)))
AFFINE_OUT = [[1.49834967, 1.70660132, 1.91485297], [3.25553199, 3.5141327, 3.77273342]]
RELU_VECTOR = ((-0.5, 0.5, 12), (3, 4))
RELU_OUT = [[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.04545455, 0.13636364],
            [0.22727273, 0.31818182, 0.40909091, 0.5]]
NET_VECTOR = dict(W1=((-0.7, 0.3, 5 * 50), (5, 50)), b1=((-0.1, 0.9, 50), (50,)),
                  W2=((-0.3, 0.4, 50 * 7), (50, 7)), b2=((-0.9, 0.1, 7), (7,)))
NET_X = ((-5.5, 4.5, 3 * 5), (5, 3))  # then transposed to (3, 5), as the notebook does
NET_Y = (0, 5, 1)
# The notebook's losses: 3.4702243556 without regularisation, 26.5948426952 with its
# reg = 1.0 on 0.5 * reg * sum(W^2); this course's reg * sum(W^2) gives it at reg = 0.5.
NET_LOSS = {0.0: 3.4702243556, 0.5: 26.5948426952}

THRESHOLD = 1e-7  # CS231n's "relative error below 1e-7": the analytic gradient is right
CLOSE = dict(rtol=1e-7, atol=1e-9)  # an answer that computes what the lesson does


def _ramp(spec) -> np.ndarray:
    (low, high, num), shape = spec
    return np.linspace(low, high, num=num).reshape(shape)


# -- what the checks share -----------------------------------------------------------------------

def _copy(value):
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return np.array(value, copy=True) if isinstance(value, np.ndarray) else value


def _same(a, b) -> bool:
    if isinstance(a, dict) or isinstance(b, dict):
        return (isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys()
                and all(_same(a[k], b[k]) for k in a))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=True))
    return a == b


def _called(function, name: str, arguments: dict, in_place: dict | None = None):
    """function(*arguments) on copies; Failed when it changed one of them in place (the
    sandbox hands such changes back to the caller, as a call in one process would)."""
    copies = {key: _copy(value) for key, value in arguments.items()}
    result = function(*copies.values())
    for key, value in arguments.items():
        if not _same(copies[key], value):
            why = (in_place or {}).get(key, "the caller still holds it and may use it again")
            changed = _changed_entry(key, copies[key], value) if isinstance(value, dict) else key
            raise Failed(f"{name} changed {changed} in place: {why}; compute into a new array "
                         f"and leave the arguments as they came")
    return result


def _changed_entry(name: str, got: dict, was: dict) -> str:
    if got.keys() != was.keys():
        return f"the keys of {name} (now {sorted(got)})"
    return next(f"{name}[{k!r}]" for k in was if not _same(got[k], was[k]))


def _arrays(result, names: tuple[str, ...], what: str) -> tuple:
    """The tuple of len(names) a function returns, else a message saying so."""
    if not isinstance(result, tuple) or len(result) != len(names):
        got = f"a tuple of {len(result)}" if isinstance(result, tuple) else type(result).__name__
        raise Failed(f"{what}: return ({', '.join(names)}), a tuple of {len(names)}; got {got}")
    return result


def _one(result, what: str):
    if isinstance(result, tuple):
        raise Failed(f"{what}: return out alone, an array, not a tuple of {len(result)} (CS231n's "
                     f"version also returns a cache; here the backward pass is handed the forward "
                     f"pass's inputs instead)")
    return result


def _named(got: np.ndarray, want: np.ndarray, mistakes=()) -> None:
    """When `got` is not `want` but is what one of the `mistakes` computes, say which
    (each message names the array it is about)."""
    if np.allclose(got, want, **CLOSE):
        return
    for wrong, message in mistakes:
        with np.errstate(all="ignore"):
            wrong = np.asarray(wrong, dtype=np.float64)
        if wrong.shape == got.shape and np.allclose(got, wrong, **CLOSE, equal_nan=True):
            raise Failed(message)


def _gradient(got, want, numeric, what: str, mistakes=()) -> None:
    """A gradient: the mistakes named, then CS231n's check against centred differences,
    then the lesson's own answer (a tighter bound: both are exact up to round-off)."""
    got = expect_shape(got, np.shape(want), what)
    _named(got, want, mistakes)
    if numeric is not None:
        expect_gradient(got, numeric, what, threshold=THRESHOLD)
    expect_gradient(got, want, what, threshold=1e-8)


def _numeric(f, x: np.ndarray) -> np.ndarray:
    return centred_difference(f, np.array(x, dtype=np.float64, copy=True))


# -- affine -------------------------------------------------------------------------------------

AFFINE_IN_PLACE = {"x": "the backward pass needs the input as the forward pass saw it",
                   "w": "the weights belong to the model; only the optimiser's step may change them",
                   "b": "the bias belongs to the model; only the optimiser's step may change it",
                   "dout": "the upstream gradient may reach other pieces too"}


def check_affine_forward(function) -> None:
    x, w, b = (_ramp(AFFINE_VECTOR[k]) for k in "xwb")
    with case("CS231n's test vector (x of shape (2, 4, 5, 6), w (120, 3))"):
        out = _affine_out(function, x, w, b)
        expect_close(out, AFFINE_OUT, "out", rtol=1e-7, atol=1e-8)
    rng = np.random.default_rng(0)
    for shape, m in (((5, 7), 4), ((3, 2, 3, 4), 5), ((1, 3, 2), 3), ((4, 6), 6)):
        x = rng.normal(size=shape)
        d = int(np.prod(shape[1:]))
        w, b = rng.normal(size=(d, m)), rng.normal(size=m)
        with case(f"x of shape {shape}, w {w.shape}"):
            out = _affine_out(function, x, w, b)
            expect_close(out, affine_forward(x, w, b), "out", rtol=1e-10, atol=1e-12)


def _affine_out(function, x, w, b) -> np.ndarray:
    n, m = len(x), w.shape[1]
    out = _one(_called(function, "affine_forward", dict(x=x, w=w, b=b), AFFINE_IN_PLACE), "affine_forward")
    got = array(out, "out")
    if got.shape == (m,) and n == 1:
        raise Failed(f"out has shape {got.shape}: keep the batch axis, (N, M) = (1, {m}), even "
                     f"for one example (reshape x to (N, D) with x.reshape(len(x), -1))")
    got = expect_shape(got, (n, m), "out")
    want = affine_forward(x, w, b)
    _named(got, want, [
        (x.reshape(n, -1) @ w, "the bias b is missing: out = x_flat @ w + b"),
        (x.reshape(n, -1, order="F") @ w + b,
         "x was flattened in Fortran (column) order; each row must hold one example's entries "
         "in NumPy's usual order: x.reshape(N, -1)"),
        (x.reshape(-1, n).T @ w + b,
         "x was flattened across examples (x.reshape(-1, N).T mixes them); each row must be "
         "one example: x.reshape(N, -1)"),
    ])
    return got


def check_affine_backward(function) -> None:
    rng = np.random.default_rng(1)
    # N, M and D all different, so a sum over the wrong axis or a transpose shows in a shape.
    for x_shape, m in (((4, 2, 3, 2), 5), ((10, 2, 3), 5), ((6, 3), 4), ((1, 7), 2)):
        x = rng.normal(size=x_shape)
        w = rng.normal(size=(int(np.prod(x_shape[1:])), m))
        b, dout = rng.normal(size=m), rng.normal(size=(x_shape[0], m))
        with case(f"x of shape {x_shape}, w {w.shape}, dout {dout.shape}"):
            _check_affine_gradients(function, dout, x, w, b)


def _check_affine_gradients(function, dout, x, w, b) -> None:
    result = _called(function, "affine_backward", dict(dout=dout, x=x, w=w, b=b), AFFINE_IN_PLACE)
    dx, dw, db = (array(g, name) for g, name in
                  zip(_arrays(result, ("dx", "dw", "db"), "affine_backward"), ("dx", "dw", "db")))
    n, m, d = len(x), w.shape[1], w.shape[0]
    want_dx, want_dw, want_db = affine_backward(dout, x, w, b)
    ones = np.ones_like(dout)
    x_flat = x.reshape(n, -1)
    if x.ndim > 2 and dx.shape == (n, d):
        raise Failed(f"dx has shape {dx.shape}, the flattened x's; reshape it to x's own shape "
                     f"{x.shape}: (dout @ w.T).reshape(x.shape)")
    if dw.shape == (m, d) and m != d:
        raise Failed(f"dw has shape {dw.shape}, transposed: it must be w's shape {w.shape}, "
                     f"x_flat.T @ dout")
    if db.shape == (n,) and n != m:
        raise Failed(f"db has shape {db.shape}: summed over the wrong axis (the outputs); b has "
                     f"one entry per output, so sum dout over the batch: dout.sum(axis=0)")
    if db.shape == () or (db.shape == (1,) and m != 1):
        raise Failed(f"db is one number: dout summed over both axes; b has one entry per "
                     f"output, so sum over the batch only: dout.sum(axis=0), shape ({m},)")

    def numeric(argument):
        values = dict(x=x, w=w, b=b)

        def loss(v):
            values[argument] = v
            return float(np.sum(affine_forward(values["x"], values["w"], values["b"]) * dout))

        return _numeric(loss, values[argument])

    averaged = f"divided by N = {n}: the affine piece does not average; the loss's 1/N is already in dout"
    _gradient(dx, want_dx, numeric("x"), "dx", [
        ((ones @ w.T).reshape(x.shape), "dx ignores the upstream gradient dout (it sums w over the "
                                        "outputs, each with weight 1): dx = dout @ w.T, reshaped"),
        (want_dx / n, f"dx is {averaged}")])
    _gradient(dw, want_dw, numeric("w"), "dw", [
        (x_flat.T @ ones, "dw ignores the upstream gradient dout: x_flat.T @ dout"),
        (want_dw / n, f"dw is {averaged}")])
    _gradient(db, want_db, numeric("b"), "db", [
        (ones.sum(axis=0), "db ignores the upstream gradient dout: dout.sum(axis=0)"),
        (want_db / n, f"db is {averaged} (dout.mean(axis=0) where the sum is meant)")])


# -- ReLU ---------------------------------------------------------------------------------------

RELU_IN_PLACE = {"x": "the backward pass needs the input as the forward pass saw it",
                 "dout": "the upstream gradient may reach other pieces too (a value used twice "
                         "gets both gradients, added)"}


def check_relu_forward(function) -> None:
    x = _ramp(RELU_VECTOR)
    with case("CS231n's test vector (x = np.linspace(-0.5, 0.5, 12) as (3, 4))"):
        expect_close(_relu_out(function, x), RELU_OUT, "out", rtol=1e-7, atol=1e-8)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 3, 2, 4)) * 3
    x.flat[::5] = 0.0  # exact zeros: max(0, 0) = 0
    with case(f"x of shape {x.shape}, values from {x.min():.2f} to {x.max():.2f}"):
        expect_close(_relu_out(function, x), relu_forward(x), "out", rtol=1e-12, atol=0)


def _relu_out(function, x) -> np.ndarray:
    out = _one(_called(function, "relu_forward", dict(x=x), RELU_IN_PLACE), "relu_forward")
    got = expect_shape(out, x.shape, "out")
    negative = x < 0
    leaky = got[negative] / x[negative] if negative.any() else np.zeros(0)
    if leaky.size and np.all(np.isfinite(leaky)) and np.ptp(leaky) < 1e-9 and 0 < leaky[0] < 1:
        raise Failed(f"negative inputs come out as {leaky[0]:g} x, a leaky ReLU; ReLU "
                     f"gives 0 for them: max(0, x)")
    _named(got, relu_forward(x), [
        (x, "negative inputs pass unchanged; ReLU gives 0 for them: np.maximum(x, 0)"),
        (np.abs(x), "negative inputs come out as -x (np.abs); ReLU gives 0 for them"),
        (np.minimum(x, 0), "np.minimum keeps the negative inputs; ReLU keeps the positive ones: "
                           "np.maximum(x, 0)"),
        (np.clip(x, 0, 1), "values above 1 were clipped to 1; ReLU has no upper limit"),
    ])
    return got


def check_relu_backward(function) -> None:
    rng = np.random.default_rng(3)
    for shape in ((10, 10), (2, 3, 2, 2)):
        x = rng.normal(size=shape)
        x[np.abs(x) < 1e-2] = 0.5  # no input within a step h of the kink at 0
        dout = rng.normal(size=shape)
        with case(f"x of shape {shape}"):
            _check_relu_gradient(function, dout, x)
    x = rng.normal(size=(3, 4))
    x[:, 1] = 0.0  # exactly at the kink
    dout = rng.normal(size=x.shape)
    with case("x with exact zeros (column 1)"):
        dx = _relu_dx(function, dout, x)
        if np.allclose(dx, dout * (x >= 0), **CLOSE) and not np.allclose(dx, relu_backward(dout, x), **CLOSE):
            raise Failed("dx passes dout where x = 0 exactly (the mask x >= 0). ReLU has no "
                         "slope at 0; this course, like CS231n and tf.nn.relu's gradient, takes "
                         "it as 0 there: mask with x > 0")
        expect_close(dx, relu_backward(dout, x), "dx", rtol=1e-12, atol=0)


def _relu_dx(function, dout, x) -> np.ndarray:
    dx = _called(function, "relu_backward", dict(dout=dout, x=x), RELU_IN_PLACE)
    if isinstance(dx, tuple):
        raise Failed(f"return dx alone, an array like x, not a tuple of {len(dx)}")
    return expect_shape(dx, x.shape, "dx")


def _check_relu_gradient(function, dout, x) -> None:
    dx = _relu_dx(function, dout, x)
    numeric = _numeric(lambda v: float(np.sum(relu_forward(v) * dout)), x)
    _gradient(dx, relu_backward(dout, x), numeric, "dx", [
        ((x > 0).astype(float), "dx ignores the upstream gradient dout: (x > 0) is ReLU's local "
                                "gradient alone; multiply it by dout"),
        (dout, "dx = dout everywhere: the gradient must stop where x was negative: dout * (x > 0)"),
        (dout * x, "dx = dout * x: ReLU's local gradient is 1 where x > 0 and 0 elsewhere, not x"),
        (dout * relu_forward(x), "dx = dout * max(0, x): ReLU's local gradient is 1 where x > 0, "
                                 "not its output"),
        (dout * (x < 0), "dx's mask is inverted: the gradient flows where x > 0, not where x < 0"),
        (np.maximum(dout, 0), "dx's mask came from dout's sign; it comes from x, the forward "
                              "pass's input: dout * (x > 0)"),
    ])


# -- the two-layer net -----------------------------------------------------------------------------

NET_IN_PLACE = {"X": "the caller's data is its own",
                "y": "the caller's labels are its own",
                "params": "the loss only computes; updating the weights is the optimiser's step"}


def _net_vector():
    params = {name: _ramp(spec) for name, spec in NET_VECTOR.items()}
    return _ramp(NET_X).T, np.asarray(NET_Y), params


def _net_call(function, X, y, params, reg, what: str):
    result = _called(function, "two_layer_loss", dict(X=X, y=y, params=params, reg=reg), NET_IN_PLACE)
    loss, grads = _arrays(result, ("loss", "grads"), what)
    loss = array(loss, f"{what}: the loss")
    if loss.shape not in ((), (1,)):
        raise Failed(f"{what}: the loss should be one number (the mean over the batch plus the "
                     f"regulariser), got shape {loss.shape}")
    if not isinstance(grads, dict) or set(grads) != set(PARAMS):
        got = sorted(grads) if isinstance(grads, dict) else type(grads).__name__
        raise Failed(f"{what}: grads must be a dict with the keys W1, b1, W2, b2 (params' own); "
                     f"got {got}")
    return float(loss.reshape(())), grads


def _loss_parts(X, y, params):
    W1, b1, W2, b2 = (params[name] for name in PARAMS)
    data = two_layer_loss(X, y, params, 0.0)[0]
    return data, np.sum(W1 * W1), np.sum(W2 * W2), np.sum(b1 * b1) + np.sum(b2 * b2)


def _named_loss(loss: float, want: float, X, y, params, reg, what: str) -> None:
    if np.isclose(loss, want, rtol=1e-9, atol=1e-10):
        return
    data, w1, w2, biases = _loss_parts(X, y, params)
    n = len(y)
    mistakes = [
        (n * data + reg * (w1 + w2), f"the data loss is summed over the N = {n} examples, not "
                                     f"averaged: the loss is the mean cross-entropy"),
        (data, "the regularisation term reg * (sum W1^2 + sum W2^2) is missing"),
        (data + 0.5 * reg * (w1 + w2), "the regulariser is 0.5 * reg * sum(W^2), CS231n's "
                                       "convention; this course's (the linear lesson's) is "
                                       "reg * sum(W^2), whose gradient is 2 reg W"),
        (data + reg * (w1 + w2 + biases), "the biases are regularised too; only W1 and W2 are: "
                                          "reg * (sum W1^2 + sum W2^2)"),
        (data + reg * w1, "the regulariser leaves out W2: reg * (sum W1^2 + sum W2^2)"),
        (data + reg * w2, "the regulariser leaves out W1: reg * (sum W1^2 + sum W2^2)"),
    ]
    for wrong, message in mistakes:
        if wrong != want and np.isclose(loss, wrong, rtol=1e-9, atol=1e-10):
            raise Failed(f"{what}: loss {loss:.10g}, expected {want:.10g}: {message}")
    raise Failed(f"{what}: loss {loss:.10g}, expected {want:.10g}")


def _net_gradient_mistakes(X, y, params, reg, name: str) -> list:
    """What the classic mistakes give for grads[name]."""
    W1, b1, W2, b2 = (params[k] for k in PARAMS)
    n = len(y)
    right = two_layer_loss(X, y, params, reg)[1][name]
    data = two_layer_loss(X, y, params, 0.0)[1][name]
    h = affine_forward(X, W1, b1)
    a = relu_forward(h)
    _, dscores = softmax_loss(affine_forward(a, W2, b2), y)
    da = dscores @ W2.T
    unmasked = {"W1": X.T @ da + 2 * reg * W1, "b1": da.sum(axis=0)}  # the ReLU skipped
    found = [(n * data + (right - data), f"d{name} is N = {n} times too large: the loss averages "
                                          f"over the batch, so d loss / d scores is divided by N")]
    if name in ("W1", "W2"):
        W = params[name]
        found += [(data + reg * W, f"d{name} lacks the regulariser's factor 2: d/dW of "
                                   f"reg * sum(W^2) is 2 reg W, not reg W"),
                  (data, f"d{name} has no regularisation gradient: add 2 * reg * {name}")]
    else:
        found += [(data + 2 * reg * params[name], f"d{name} has a regularisation gradient "
                                                  f"2 reg {name}: the biases are not regularised")]
    if name in unmasked:
        found.append((unmasked[name], f"d{name}: the gradient went back through the ReLU where "
                                      f"it was off (h <= 0); mask it: relu_backward(da, h)"))
    if name == "W2":
        found.append((h.T @ dscores + 2 * reg * W2, "dW2 used the hidden layer before the ReLU "
                                                    "(h); the second affine piece's input is "
                                                    "a = max(0, h): dW2 = a.T @ dscores"))
    return found


def _check_net(function, X, y, params, reg, what: str, *, loss_wanted: float | None = None,
               numeric: bool = True) -> None:
    """`numeric`: also against centred differences, where the loss is small enough for
    them to be exact to 1e-7 (their round-off grows with the loss: about 1e-16 x loss / h)."""
    loss, grads = _net_call(function, X, y, params, reg, what)
    want_loss, want = two_layer_loss(X, y, params, reg)
    _named_loss(loss, want_loss if loss_wanted is None else loss_wanted, X, y, params, reg, what)
    for name in PARAMS:
        with case(what):
            def loss_of(value, name=name):
                return two_layer_loss(X, y, {**params, name: value}, reg)[0]

            _gradient(grads[name], want[name], _numeric(loss_of, params[name]) if numeric else None,
                      f"d{name}", _net_gradient_mistakes(X, y, params, reg, name))


def _small_net(rng, n=6, d=8, hidden=6, classes=4):
    params = {"W1": rng.normal(size=(d, hidden)) * 0.5, "b1": rng.normal(size=hidden) * 0.1,
              "W2": rng.normal(size=(hidden, classes)) * 0.5, "b2": rng.normal(size=classes) * 0.1}
    return rng.normal(size=(n, d)), rng.integers(0, classes, n), params


def check_two_layer_loss(function) -> None:
    X, y, params = _net_vector()
    for reg, loss in NET_LOSS.items():  # at reg 0.5 the loss is 26.6: the lesson's own gradients only
        _check_net(function, X, y, params, reg,
                   f"CS231n's TwoLayerNet test vector (N = 3, D = 5, H = 50, C = 7), reg = {reg:g}",
                   loss_wanted=loss, numeric=reg == 0.0)
    rng = np.random.default_rng(4)
    for reg in (0.0, 0.1):
        X, y, params = _small_net(rng)
        _check_net(function, X, y, params, reg, f"a net with D = 8, H = 6, C = 4 on N = 6, reg = {reg:g}")
    # Scores in the thousands: np.exp of them overflows unless each row's largest is
    # subtracted. b2 lifts every class by the same 1000, so the probabilities, the loss
    # and the gradients are those of the net without it (none rounds to 0 or 1).
    X, y, params = _small_net(np.random.default_rng(5))
    params["b2"] = params["b2"] + 1000.0
    what = "scores in the thousands (every class's bias b2 + 1000)"
    with np.errstate(all="ignore"):
        loss, grads = _net_call(function, X, y, params, 0.0, what)
    want_loss, want = two_layer_loss(X, y, params, 0.0)
    if not np.isfinite(loss) or not all(np.all(np.isfinite(array(grads[k], k))) for k in PARAMS):
        raise Failed(f"{what}: the loss is {loss}: np.exp overflows; subtract each row's largest "
                     f"score first (the probabilities do not change)")
    _named_loss(loss, want_loss, X, y, params, 0.0, what)
    for name in PARAMS:
        with case(what):
            expect_gradient(grads[name], want[name], f"d{name}", threshold=1e-8)


# -- the exercises ---------------------------------------------------------------------------------

EXERCISES = (
    Exercise("affine_forward", "an affine (fully connected) layer's forward pass",
             '''def affine_forward(x, w, b):
    """out = x_flat @ w + b, for a batch of N examples.

    x: (N, d1, ..., dk), each example flattened to one row of D = d1 * ... * dk
    entries (x.reshape(N, -1)); w: (D, M); b: (M,). Returns out, (N, M).
    Leave x, w and b as they came (no changes in place).
    """''', check_affine_forward, affine_forward),
    Exercise("affine_backward", "its backward pass: dx, dw and db from the upstream gradient",
             '''def affine_backward(dout, x, w, b):
    """The gradients of the loss for out = x_flat @ w + b, given dout = d loss / d out.

    dout: (N, M); x, w, b as in affine_forward. Returns (dx, dw, db): dx of x's own
    shape (N, d1, ..., dk), dw (D, M), db (M,). Each gradient has the shape of what
    it is the gradient of, and usually one product of dout with w or with x_flat
    gives that shape. b is added to every row of the batch. No 1/N here: the
    loss's average is already in dout. Leave the arguments as they came.
    """''', check_affine_backward, affine_backward),
    Exercise("relu_forward", "ReLU's forward pass, max(0, x) elementwise",
             '''def relu_forward(x):
    """max(0, x) elementwise, for x of any shape; returns out, a new array like x.

    Leave x as it came: the backward pass needs it.
    """''', check_relu_forward, relu_forward),
    Exercise("relu_backward", "ReLU's backward pass: the gradient routed where x > 0",
             '''def relu_backward(dout, x):
    """d loss / d x for out = max(0, x), given dout = d loss / d out (x's shape).

    The local gradient is 1 where x > 0 and 0 elsewhere; at x = 0 exactly, 0 (as
    CS231n and tf.nn.relu take it). Returns dx, a new array like x: leave dout as it
    came (an upstream gradient may be used again).
    """''', check_relu_backward, relu_backward),
    Exercise("two_layer_loss", "a two-layer net's loss and gradients, affine - ReLU - affine - softmax",
             '''def two_layer_loss(X, y, params, reg):
    """The loss of affine - ReLU - affine - softmax and the gradient of every parameter.

    X: (N, D); y: (N,) labels in 0..C-1; params: a dict with W1 (D, H), b1 (H,),
    W2 (H, C), b2 (C,); reg: the L2 strength. The loss is the mean cross-entropy over
    the N examples plus reg * (sum W1^2 + sum W2^2) (the biases are not regularised;
    the linear lesson's convention). Returns (loss, grads): grads a dict with the same
    keys and shapes as params. Build it from your four functions above: forward
    through them, then the softmax's d loss / d scores (the linear lesson's), then
    back through them in reverse; the regulariser's own gradient goes into dW1 and
    dW2. Subtract each row's largest score before np.exp (scores may be in the
    thousands). Leave params as it came: updating them is the optimiser's job.
    """''', check_two_layer_loss, two_layer_loss),
)
