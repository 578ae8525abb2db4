"""The LSTM lesson's exercises: one LSTM step with Keras' weights, forward and backward,
sampling with a temperature, and clipping by the global norm, NumPy float64. Checked
against the lesson's own versions here, which tests/test_exercises.py and
tests/test_exercises_layers.py hold to Keras' LSTMCell (its output, and its gradients
through TensorFlow's GradientTape) and `tf.clip_by_global_norm`; the step against
CS231n's published test vector and the backward pass against centred differences in
float64 (CS231n's relative error), both also on CS231n's own inputs with the gates moved
from its order (i, f, o, g) to Keras' (i, f, c, o); sampling by its frequencies over many
draws, at any temperature > 0 with logits of any size.

The backward pass takes the forward pass's inputs, not a cache: `lstm_step_backward(
dnext_h, dnext_c, x, h, c, Wx, Wh, b)`.
"""

from __future__ import annotations


import numpy as np

from lessons.checking import (array, called_on_copies, case, centred_differences, expect_close,
                              expect_gradient, expect_shape)
from workbench.authoring import Exercise, Failed, LearnerRaised

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


def lstm_step_backward(dnext_h, dnext_c, x, h, c, Wx, Wh, b):
    return _lstm_backward(dnext_h, dnext_c, x, h, c, Wx, Wh, b)


def _lstm_backward(dnext_h, dnext_c, x, h, c, Wx, Wh, b, *, order="ifco", through_h=True,
                   with_dnext_c=True, times_f=True, tanh_prime=True):
    """The gradients of sum(h_next * dnext_h) + sum(c_next * dnext_c); the keywords
    imitate the classic mistakes (CS231n's gate order, a path left out, tanh' forgotten)."""
    z = x @ Wx + h @ Wh + b
    parts = dict(zip(order, np.split(z, 4, axis=1)))
    i, f, o, g = sigmoid(parts["i"]), sigmoid(parts["f"]), sigmoid(parts["o"]), np.tanh(parts["c"])
    c_next = f * c + i * g
    t = np.tanh(c_next)
    slope = 1 - t ** 2 if tanh_prime else 1 - c_next ** 2
    # c_next reaches the loss twice: as the next cell state, and through h_next = o * tanh(c_next).
    dc_next = (dnext_c if with_dnext_c else 0) + (dnext_h * o * slope if through_h else 0)
    dz = {"i": dc_next * g * i * (1 - i), "f": dc_next * c * f * (1 - f),
          "c": dc_next * i * (1 - g ** 2), "o": dnext_h * t * o * (1 - o)}
    dz = np.concatenate([dz[gate] for gate in order], axis=1)  # (N, 4H), in the weights' order
    return (dz @ Wx.T, dz @ Wh.T, dc_next * f if times_f else dc_next, x.T @ dz, h.T @ dz,
            dz.sum(axis=0))


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


def keras_order(weights: np.ndarray) -> np.ndarray:
    """CS231n's gate blocks (i, f, o, g) along the last axis, moved to Keras' (i, f, c, o)."""
    i, f, o, g = np.split(weights, 4, axis=-1)
    return np.concatenate([i, f, g, o], axis=-1)


def cs231n_step_case():
    """LSTM_Captioning.ipynb's forward test: ramps, and its published next_h and next_c.
    Wx, Wh and b are the notebook's with their gate blocks moved to Keras' order."""
    n, d, units = 3, 4, 5
    x = np.linspace(-0.4, 1.2, num=n * d).reshape(n, d)
    h = np.linspace(-0.3, 0.7, num=n * units).reshape(n, units)
    c = np.linspace(-0.4, 0.9, num=n * units).reshape(n, units)
    Wx = np.linspace(-2.1, 1.3, num=4 * d * units).reshape(d, 4 * units)
    Wh = np.linspace(-0.7, 2.2, num=4 * units * units).reshape(units, 4 * units)
    b = np.linspace(0.3, 0.7, num=4 * units)
    next_h = [[0.24635157, 0.28610883, 0.32240467, 0.35525807, 0.38474904],
              [0.49223563, 0.55611431, 0.61507696, 0.66844003, 0.7159181],
              [0.56735664, 0.66310127, 0.74419266, 0.80889665, 0.858299]]
    next_c = [[0.32986176, 0.39145139, 0.451556, 0.51014116, 0.56717407],
              [0.66382255, 0.76674007, 0.87195994, 0.97902709, 1.08751345],
              [0.74192008, 0.90592151, 1.07717006, 1.25120233, 1.42395676]]
    return (x, h, c, keras_order(Wx), keras_order(Wh), keras_order(b)), np.array(next_h), np.array(next_c)


def cs231n_backward_case():
    """The notebook's backward test: np.random.seed(231), then x, prev_h, prev_c, Wx, Wh,
    b, dnext_h, dnext_c drawn in that order (CS231n publishes the inputs and the bound,
    not the gradients); the weights' gate blocks moved to Keras' order."""
    rng = np.random.RandomState(231)
    n, d, units = 4, 5, 6
    x, h, c = rng.randn(n, d), rng.randn(n, units), rng.randn(n, units)
    Wx, Wh, b = rng.randn(d, 4 * units), rng.randn(units, 4 * units), rng.randn(4 * units)
    dnext_h, dnext_c = rng.randn(n, units), rng.randn(n, units)
    return dnext_h, dnext_c, x, h, c, keras_order(Wx), keras_order(Wh), keras_order(b)


def _called(function, name: str, arguments: dict):
    return called_on_copies(function, name, arguments, "the next step, or the backward pass, needs it as it was")


def check_lstm_step(function) -> None:
    rng = np.random.default_rng(0)
    n, d, units = 3, 5, 4
    x, h, c = rng.normal(size=(n, d)), rng.normal(size=(n, units)), rng.normal(size=(n, units))
    Wx, Wh = rng.normal(size=(d, 4 * units)), rng.normal(size=(units, 4 * units))
    b = rng.normal(size=4 * units)
    h_next, c_next = _step(function, x, h, c, Wx, Wh, b)
    want_h, want_c = lstm_step(x, h, c, Wx, Wh, b)
    if np.allclose(h_next, _cs231n_order_step(x, h, c, Wx, Wh, b)[0]):
        raise Failed("the gates are read in the order i, f, o, g (CS231n's assignment); Keras packs "
                     "them i, f, c, o: input, forget, cell candidate, output")
    expect_close(c_next, want_c, "c_next", rtol=1e-6)
    expect_close(h_next, want_h, "h_next", rtol=1e-6)
    inputs, want_h, want_c = cs231n_step_case()
    with case("CS231n's test vector (N, D, H = 3, 4, 5; the notebook's Wx, Wh, b with their gate "
               "blocks moved from its order i, f, o, g to Keras' i, f, c, o)"):
        h_next, c_next = _step(function, *inputs)
        expect_close(c_next, want_c, "c_next", rtol=1e-7, atol=1e-8)
        expect_close(h_next, want_h, "h_next", rtol=1e-7, atol=1e-8)


def _step(function, x, h, c, Wx, Wh, b):
    result = _called(function, "lstm_step", dict(x=x, h=h, c=c, Wx=Wx, Wh=Wh, b=b))
    if not isinstance(result, tuple) or len(result) != 2:
        raise Failed(f"return (h_next, c_next), a pair; got {type(result).__name__}")
    return tuple(expect_shape(v, h.shape, name) for v, name in zip(result, ("h_next", "c_next")))


# -- the step's backward pass ----------------------------------------------------------------

THRESHOLD = 1e-6  # CS231n's bound for the LSTM (its own dWh check reads 1e-7 on its inputs)
CLOSE = dict(rtol=1e-7, atol=1e-10)  # against the lesson's own answer: equal up to round-off
GRADIENTS = ("dx", "dh", "dc", "dWx", "dWh", "db")
# (N, D, H): D and H differ, so dx and dh, dWx and dWh differ in shape; CS231n's case is added.
BACKWARD_SHAPES = ((3, 2, 4), (2, 7, 3), (1, 3, 3))


def check_lstm_step_backward(function) -> None:
    rng = np.random.default_rng(5)
    for n, d, units in BACKWARD_SHAPES:
        x, h, c = rng.normal(size=(n, d)), rng.normal(size=(n, units)), rng.normal(size=(n, units))
        Wx, Wh = rng.normal(size=(d, 4 * units)) * 0.5, rng.normal(size=(units, 4 * units)) * 0.5
        b = rng.normal(size=4 * units)
        dnext_h, dnext_c = rng.normal(size=(n, units)), rng.normal(size=(n, units))
        with case(f"N, D, H = {n}, {d}, {units}"):
            _check_lstm_gradients(function, dnext_h, dnext_c, x, h, c, Wx, Wh, b)
    with case("CS231n's case (np.random.seed(231), N, D, H = 4, 5, 6; the weights' gate blocks "
               "moved from its order i, f, o, g to Keras' i, f, c, o)"):
        _check_lstm_gradients(function, *cs231n_backward_case())


def _check_lstm_gradients(function, dnext_h, dnext_c, x, h, c, Wx, Wh, b) -> None:
    arguments = dict(dnext_h=dnext_h, dnext_c=dnext_c, x=x, h=h, c=c, Wx=Wx, Wh=Wh, b=b)
    result = _called(function, "lstm_step_backward", arguments)
    if not isinstance(result, tuple) or len(result) != 6:
        got = f"a tuple of {len(result)}" if isinstance(result, tuple) else type(result).__name__
        raise Failed(f"return (dx, dh, dc, dWx, dWh, db), a tuple of 6; got {got}")
    got = dict(zip(GRADIENTS, (array(v, name) for v, name in zip(result, GRADIENTS))))
    shapes = dict(zip(GRADIENTS, (x.shape, h.shape, c.shape, Wx.shape, Wh.shape, b.shape)))
    for name in ("dWx", "dWh"):
        if got[name].shape == shapes[name][::-1] and shapes[name][0] != shapes[name][1]:
            raise Failed(f"{name} has shape {got[name].shape}, transposed: it has {name[1:]}'s "
                         f"shape {shapes[name]}, {'x' if name == 'dWx' else 'h'}.T @ dz")
    if got["db"].shape == (len(x), len(b)):
        raise Failed(f"db has shape {got['db'].shape}: b was added to every row of the batch, so "
                     f"db sums dz over the batch: dz.sum(axis=0), shape {b.shape}")
    want = _lstm_backward(**arguments)
    variants = [
        (_lstm_backward(**arguments, order="ifoc"),
         "the gates are read in CS231n's order i, f, o, g; Keras packs them i, f, c, o (input, "
         "forget, cell candidate, output), in Wx, Wh and b alike, and dz must come out in that "
         "order too"),
        (_lstm_backward(**arguments, through_h=False),
         "the gradient reaching c_next misses the path through h_next: h_next = o * tanh(c_next), "
         "so c_next also gets dnext_h * o * (1 - tanh(c_next) ** 2), added to dnext_c"),
        (_lstm_backward(**arguments, with_dnext_c=False),
         "dnext_c is ignored: c_next is also the next step's cell state, and the loss's gradient "
         "through it, dnext_c, adds to what comes through h_next"),
        (_lstm_backward(**arguments, times_f=False),
         "dc is the gradient on c_next itself; c reached c_next as f * c, so dc = (gradient on "
         "c_next) * f"),
        (_lstm_backward(**arguments, tanh_prime=False),
         "tanh's slope at c_next is 1 - tanh(c_next) ** 2, not 1 - c_next ** 2"),
    ]
    numeric_of = {"dx": "x", "dh": "h", "dc": "c", "dWx": "Wx", "dWh": "Wh", "db": "b"}
    for k, name in enumerate(GRADIENTS):
        what = name
        value = expect_shape(got[name], shapes[name], what)
        _named(value, want[k], [(variant[k], f"{name}: {message}") for variant, message in variants])

        def f(v, argument=numeric_of[name]):
            return lstm_step(**{**{key: arguments[key] for key in ("x", "h", "c", "Wx", "Wh", "b")},
                                argument: v})

        numeric = centred_differences(f, arguments[numeric_of[name]], (dnext_h, dnext_c))
        expect_gradient(value, numeric, what, threshold=THRESHOLD)
        expect_close(value, want[k], what, **CLOSE)


def _named(got, want, mistakes) -> None:
    if np.allclose(got, want, **CLOSE):
        return
    for wrong, message in mistakes:
        if not np.allclose(wrong, want, **CLOSE) and np.allclose(got, wrong, **CLOSE):
            raise Failed(message)


def draws(sample_function, logits, temperature, seed, count):
    """`count` indices from the learner's `sample`, one generator throughout: the harness,
    run beside their function (20,000 calls there, one here)."""
    rng = np.random.default_rng(seed)
    return np.array([int(sample_function(logits.copy(), temperature, rng)) for _ in range(count)])


# Logits as large as a trained model can give, at temperatures that make them larger still:
# np.exp(1000) and np.exp(300000) are inf, so only a softmax shifted by its largest input
# (softmax(z) = softmax(z - max z)) gets them right.
STABILITY = ((np.array([1000.0, 1001.0, 999.0, 1000.5]), 1.0),
             (np.array([3000.00, 3000.02, 2999.99, 3000.01]), 0.01))
STABILITY_DRAWS = 4_000


def check_sample(function) -> None:
    """`function` is `draws` around the learner's `sample`."""
    logits = np.array([1.0, 2.0, 0.5, 3.0])
    greedy = np.asarray(function(logits, 0, 0, 3))
    if greedy.shape != (3,) or not np.all(greedy == 3):
        raise Failed(f"temperature 0 must pick the largest logit (index 3) every time; got "
                     f"{greedy.tolist()}")
    for temperature in (0.5, 1.0, 2.0):
        _expect_frequencies(function, logits, temperature, DRAWS, "")
    for logits, temperature in STABILITY:
        what = (f"logits {logits.tolist()} at temperature {temperature:g} (logits / T up to "
                f"{logits.max() / temperature:.0f})")
        overflow = (f"np.exp({logits.max() / temperature:.0f}) overflows to inf, and inf / inf is "
                    f"nan. Subtract the largest logit / T before np.exp: softmax(z) = "
                    f"softmax(z - max z), and the largest term becomes e^0 = 1")
        try:
            _expect_frequencies(function, logits, temperature, STABILITY_DRAWS, f"; {overflow}")
        except (LearnerRaised, ValueError, FloatingPointError) as exc:
            if isinstance(exc, LearnerRaised) and exc.type_name not in ("ValueError", "FloatingPointError"):
                raise
            last = [line for line in str(exc).splitlines() if line.strip()] or [type(exc).__name__]
            raise Failed(f"{what}: your sample raised {last[-1]}: {overflow}") from None


def _expect_frequencies(function, logits, temperature, count, hint_if_wrong: str) -> None:
    drawn = expect_shape(function(logits, temperature, 1, count), (count,), "the draws").astype(int)
    if drawn.min() < 0 or drawn.max() >= len(logits):
        raise Failed(f"drew index {drawn.max() if drawn.max() >= len(logits) else drawn.min()}, "
                     f"outside 0..{len(logits) - 1}")
    freq = np.bincount(drawn, minlength=len(logits)) / count
    want = softmax(logits / temperature)
    # 5 standard deviations of a frequency over `count` draws: a right sampler fails 1 in 10^6.
    bound = 5 * np.sqrt(0.25 / count)
    if np.abs(freq - want).max() > bound:
        plain = np.abs(freq - softmax(logits)).max() < bound
        hint = (": these are softmax(logits); the temperature divides the logits before the "
                "softmax, it does not rescale the probabilities" if plain and temperature != 1
                else hint_if_wrong)
        raise Failed(f"temperature {temperature:g}: frequencies over {count:,} draws "
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
    Exercise("lstm_step_backward", "the LSTM step's backward pass, gates in Keras' order",
             '''def lstm_step_backward(dnext_h, dnext_c, x, h, c, Wx, Wh, b):
    """The gradients of one LSTM step, given the forward step's inputs.

    dnext_h, dnext_c: (N, H), the loss's gradients with respect to lstm_step's h_next and
    c_next; x, h, c, Wx, Wh, b: as lstm_step had them (gates i, f, c, o, Keras' order).
    Returns (dx, dh, dc, dWx, dWh, db), the shapes of x (N, D), h, c (N, H), Wx (D, 4H),
    Wh (H, 4H) and b (4H,). Recompute the gates first. c_next reaches the loss twice:
    directly (dnext_c) and through h_next = o * tanh(c_next), so its gradient is
    dnext_c + dnext_h * o * (1 - tanh(c_next) ** 2). From there to each gate's
    pre-activation (sigmoid' = s (1 - s), tanh' = 1 - t ** 2), stacked as dz (N, 4H) in
    the order i, f, c, o; then dx = dz @ Wx.T, dWx = x.T @ dz, and dc = (c_next's
    gradient) * f.
    """''', check_lstm_step_backward, lstm_step_backward),
    Exercise("sample", "the next character from the logits, at a temperature",
             '''def sample(logits, temperature, rng):
    """An index drawn with probabilities softmax(logits / temperature), as an int.

    logits: (V,) unnormalised log-probabilities; temperature 0 means the most likely
    index (argmax), every time; rng: a numpy.random.Generator (use it, for repeatable
    draws). Low temperature sharpens the distribution, high flattens it. Must work for
    logits of any size at any temperature > 0 (logits in the thousands at T = 0.01):
    subtract the largest of logits / T before np.exp, or np.exp overflows.
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
