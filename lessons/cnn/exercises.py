"""The CNN lesson's exercises (CS231n assignment 2, in Keras' layout): the output-size
rule, a naive convolution and a naive max pool, each forward and backward, channels last,
NumPy float64.

Each check compares the learner's answer with the lesson's own functions here (which
tests/test_exercises_layers.py holds to TensorFlow's GradientTape on Keras' Conv2D and
MaxPooling2D, and to CS231n's published test vectors) on several shapes, strides and
paddings, including ones where the output's shape differs from the input's; and with
CS231n's own test case, transposed from NCHW to channels last. Every backward pass is
also held to centred differences in float64 (CS231n's relative error). A wrong answer
that is one of the classic mistakes is named.

The backward passes take the forward pass's inputs, not a cache: `conv_backward_naive(
dout, x, w, b, stride, pad)`, `max_pool_backward_naive(dout, x, pool, stride)`.
"""

from __future__ import annotations


import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from lessons.checking import (array, called_on_copies, case, centred_differences, expect_close,
                              expect_gradient, expect_shape)
from workbench.authoring import Exercise, Failed, LearnerRaised

THRESHOLD = 1e-7  # CS231n's relative error against centred differences: below it, right
CLOSE = dict(rtol=1e-7, atol=1e-10)  # against the lesson's own answer: equal up to round-off


# -- the lesson's own answers ---------------------------------------------------------------

def conv_output_size(size, kernel, stride, pad):
    return (size - kernel + 2 * pad) // stride + 1


def conv_forward_naive(x, w, b, stride, pad):
    n, height, width, _ = x.shape
    kh, kw, _, filters = w.shape
    padded = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    out_h = (height - kh + 2 * pad) // stride + 1
    out_w = (width - kw + 2 * pad) // stride + 1
    out = np.zeros((n, out_h, out_w, filters))
    for i in range(out_h):
        for j in range(out_w):
            window = padded[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
            out[:, i, j, :] = np.tensordot(window, w, axes=([1, 2, 3], [0, 1, 2])) + b
    return out


def conv_backward_naive(dout, x, w, b, stride, pad):
    return _conv_backward(dout, x, w, stride, pad)


def _conv_backward(dout, x, w, stride, pad, step=None):
    """The gradients of sum(conv(x, w, b) * dout). `step`: where output (i, j)'s window is
    taken to start, i * step (the stride, unless a mistake is being imitated)."""
    step = stride if step is None else step
    height, width = x.shape[1:3]
    kh, kw = w.shape[:2]
    padded = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    dpadded, dw = np.zeros_like(padded), np.zeros_like(w, dtype=np.float64)
    for i in range(dout.shape[1]):
        for j in range(dout.shape[2]):
            rows, cols = slice(i * step, i * step + kh), slice(j * step, j * step + kw)
            g = dout[:, i, j, :]  # (N, F): this position's upstream gradient, each image, each filter
            dw += np.tensordot(padded[:, rows, cols, :], g, axes=([0], [0]))  # (KH, KW, C, F)
            dpadded[:, rows, cols, :] += np.tensordot(g, w, axes=([1], [3]))  # (N, KH, KW, C)
    return (dpadded[:, pad:pad + height, pad:pad + width, :], dw,
            dout.sum(axis=(0, 1, 2)))  # b was added at every position of every image


def max_pool_forward_naive(x, pool, stride):
    return _pool(x, pool, stride, np.max)


def _pool(x, pool, stride, reduce):
    n, height, width, channels = x.shape
    out_h, out_w = (height - pool) // stride + 1, (width - pool) // stride + 1
    out = np.zeros((n, out_h, out_w, channels))
    for i in range(out_h):
        for j in range(out_w):
            out[:, i, j, :] = reduce(x[:, i * stride:i * stride + pool, j * stride:j * stride + pool, :],
                                     axis=(1, 2))
    return out


def max_pool_backward_naive(dout, x, pool, stride):
    """Each window's gradient goes to the one entry that was its max (the first in
    row-major order where several tie, as TensorFlow's MaxPool gradient does); windows that
    overlap add their gradients where they share that entry."""
    n, _, _, channels = x.shape
    dx = np.zeros_like(x, dtype=np.float64)
    images, chans = np.meshgrid(np.arange(n), np.arange(channels), indexing="ij")
    for i in range(dout.shape[1]):
        for j in range(dout.shape[2]):
            window = x[:, i * stride:i * stride + pool, j * stride:j * stride + pool, :]
            first = window.reshape(n, pool * pool, channels).argmax(axis=1)  # (N, C)
            rows, cols = i * stride + first // pool, j * stride + first % pool
            dx[images, rows, cols, chans] += dout[:, i, j, :]  # one entry per (image, channel)
    return dx


# -- fast twins, for the centred differences (hundreds of forward passes per check) ----------

def _conv_fast(x, w, b, stride, pad):
    padded = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    windows = sliding_window_view(padded, w.shape[:2], axis=(1, 2))[:, ::stride, ::stride]
    return np.tensordot(windows, w, axes=([3, 4, 5], [2, 0, 1])) + b  # (N, H', W', C, KH, KW) . w


def _pool_fast(x, pool, stride):
    return sliding_window_view(x, (pool, pool), axis=(1, 2))[:, ::stride, ::stride].max(axis=(-2, -1))


# -- what the checks share -------------------------------------------------------------------

def _called(function, name: str, arguments: dict):
    return called_on_copies(function, name, arguments, "the backward pass needs the forward pass's input as it was, and an upstream gradient may reach other layers too")


def _raised(exc) -> str | None:
    """'ValueError: ... (at cnn.py, line 9: ...)' for a ValueError the learner's code raised,
    in the sandbox (LearnerRaised, its message the learner's lines of the traceback) or, in
    the lesson's own tests, here; None for anything else."""
    if isinstance(exc, LearnerRaised) and exc.type_name == "ValueError":
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        where = f" (at {lines[-2]})" if len(lines) > 1 else ""
        return f"{lines[-1] if lines else 'ValueError'}{where}"
    if isinstance(exc, ValueError) and not isinstance(exc, LearnerRaised):
        return f"ValueError: {exc}"
    return None


def _named(got: np.ndarray, want: np.ndarray, mistakes) -> None:
    """When `got` is not `want` but is what one of the `mistakes` computes, say which."""
    if np.allclose(got, want, **CLOSE):
        return
    for wrong, message in mistakes:
        wrong = np.asarray(wrong, dtype=np.float64)
        if (wrong.shape == got.shape and not np.allclose(wrong, want, **CLOSE)
                and np.allclose(got, wrong, **CLOSE)):
            raise Failed(message)


def _gradient(got, want, numeric, what: str, mistakes=()) -> None:
    """A gradient: the classic mistakes named, then CS231n's check against centred
    differences, then the lesson's own answer."""
    got = expect_shape(got, np.shape(want), what)
    _named(got, want, mistakes)
    expect_gradient(got, numeric, what, threshold=THRESHOLD)
    expect_close(got, want, what, **CLOSE)


def _tuple(result, names: tuple[str, ...], name: str) -> tuple:
    if not isinstance(result, tuple) or len(result) != len(names):
        got = f"a tuple of {len(result)}" if isinstance(result, tuple) else type(result).__name__
        raise Failed(f"{name}: return ({', '.join(names)}), a tuple of {len(names)}; got {got}")
    return tuple(array(value, n) for value, n in zip(result, names))


# -- CS231n's test cases (ConvolutionalNetworks.ipynb), moved to channels last ----------------
# Inputs as the notebook makes them, in NCHW and (F, C, KH, KW), then transposed:
# x.transpose(0, 2, 3, 1), w.transpose(2, 3, 1, 0); its outputs likewise.

def cs231n_conv_forward_case():
    x = np.linspace(-0.1, 0.5, num=2 * 3 * 4 * 4).reshape(2, 3, 4, 4)
    w = np.linspace(-0.2, 0.3, num=3 * 3 * 4 * 4).reshape(3, 3, 4, 4)
    b = np.linspace(-0.1, 0.2, num=3)
    out = np.array([[[[-0.08759809, -0.10987781], [-0.18387192, -0.2109216]],
                     [[0.21027089, 0.21661097], [0.22847626, 0.23004637]],
                     [[0.50813986, 0.54309974], [0.64082444, 0.67101435]]],
                    [[[-0.98053589, -1.03143541], [-1.19128892, -1.24695841]],
                     [[0.69108355, 0.66880383], [0.59480972, 0.56776003]],
                     [[2.36270298, 2.36904306], [2.38090835, 2.38247847]]]])
    return x.transpose(0, 2, 3, 1), w.transpose(2, 3, 1, 0), b, 2, 1, out.transpose(0, 2, 3, 1)


def cs231n_conv_backward_case():
    """The notebook's numeric-gradient case: np.random.seed(231), then x, w, b, dout drawn
    in that order (CS231n publishes the inputs and the bound, not the gradients)."""
    rng = np.random.RandomState(231)
    x, w = rng.randn(4, 3, 5, 5), rng.randn(2, 3, 3, 3)
    b, dout = rng.randn(2), rng.randn(4, 2, 5, 5)
    return x.transpose(0, 2, 3, 1), w.transpose(2, 3, 1, 0), b, 1, 1, dout.transpose(0, 2, 3, 1)


def cs231n_pool_forward_case():
    x = np.linspace(-0.3, 0.4, num=2 * 3 * 4 * 4).reshape(2, 3, 4, 4)
    out = np.array([[[[-0.26315789, -0.24842105], [-0.20421053, -0.18947368]],
                     [[-0.14526316, -0.13052632], [-0.08631579, -0.07157895]],
                     [[-0.02736842, -0.01263158], [0.03157895, 0.04631579]]],
                    [[[0.09052632, 0.10526316], [0.14947368, 0.16421053]],
                     [[0.20842105, 0.22315789], [0.26736842, 0.28210526]],
                     [[0.32631579, 0.34105263], [0.38526316, 0.4]]]])
    return x.transpose(0, 2, 3, 1), 2, 2, out.transpose(0, 2, 3, 1)


def cs231n_pool_backward_case():
    rng = np.random.RandomState(231)
    x, dout = rng.randn(3, 2, 8, 8), rng.randn(3, 2, 4, 4)
    return x.transpose(0, 2, 3, 1), 2, 2, dout.transpose(0, 2, 3, 1)


# -- the output-size rule ----------------------------------------------------------------------

SIZES = [(227, 11, 4, 0, "AlexNet's conv1"), (32, 5, 1, 0, "LeNet's C1"), (224, 3, 1, 1, "a VGG conv"),
         (7, 3, 2, 1, "stride 2 with padding"), (6, 3, 2, 0, "a window that does not fit evenly")]


def check_output_size(function) -> None:
    for size, kernel, stride, pad, what in SIZES:
        got = function(size, kernel, stride, pad)
        want = conv_output_size(size, kernel, stride, pad)
        if not isinstance(got, (int, np.integer)):
            raise Failed(f"{what}: conv_output_size({size}, {kernel}, {stride}, {pad}) returned "
                         f"{got!r}, a {type(got).__name__}: a size is a whole number (use //)")
        if got != want:
            hint = (" (the padding counts twice: once on each side)" if got == (size - kernel + pad) // stride + 1
                    else " (the padding is missing)" if got == (size - kernel) // stride + 1 else "")
            raise Failed(f"{what}: conv_output_size({size}, {kernel}, {stride}, {pad}) = {got}, "
                         f"expected {want} = ({size} - {kernel} + 2 x {pad}) / {stride} + 1{hint}")


# -- the convolution, forward ------------------------------------------------------------------

# (x's shape, w's shape, stride, pad): same size out, smaller (stride 2, a window that does
# not fit evenly, a non-square kernel), larger (pad 2).
CONV_CASES = [((2, 5, 5, 3), (3, 3, 3, 4), 1, 1), ((2, 7, 6, 2), (3, 2, 2, 3), 2, 0),
              ((1, 6, 6, 1), (4, 4, 1, 2), 2, 1)]


def _conv_what(x_shape, w_shape, stride, pad) -> str:
    return f"conv of {tuple(x_shape)} by {w_shape[0]}x{w_shape[1]} kernels, stride {stride}, pad {pad}"


def _window_hint(pad) -> str:
    if pad:
        return (f"With pad {pad} the windows at the edges reach past x: sliced from the unpadded x "
                f"they come out cut short, and no longer match w. Pad first, x_padded = np.pad(x, "
                f"((0, 0), ({pad}, {pad}), ({pad}, {pad}), (0, 0))), and slice every window from x_padded")
    return ("Each window x_padded[:, i * stride:i * stride + KH, j * stride:j * stride + KW, :] is "
            "(N, KH, KW, C); w is (KH, KW, C, F): np.tensordot over the last three axes of the "
            "window and the first three of w gives (N, F)")


def _conv_out(function, x, w, b, stride, pad) -> np.ndarray:
    try:
        out = _called(function, "conv_forward_naive", dict(x=x, w=w, b=b, stride=stride, pad=pad))
    except (LearnerRaised, ValueError) as exc:
        raised = _raised(exc)
        if raised is None:
            raise
        raise Failed(f"your code raised {raised}. {_window_hint(pad)}") from None
    want_shape = conv_forward_naive(x, w, b, stride, pad).shape
    got = array(out, "out")
    unpadded = (x.shape[0], conv_output_size(x.shape[1], w.shape[0], stride, 0),
                conv_output_size(x.shape[2], w.shape[1], stride, 0), w.shape[3])
    if pad and got.shape == unpadded and got.shape != want_shape:
        zeros = "zero" if pad == 1 else "zeros"
        raise Failed(f"expected shape {want_shape}, got {got.shape}: the padding is missing. Pad x "
                     f"with {pad} {zeros} on each side of H and W first (np.pad), then slide the "
                     f"windows over the padded array: H' = (H - KH + 2 x {pad}) // {stride} + 1")
    if got.shape == (x.shape[0], w.shape[3], *want_shape[1:3]) and got.shape != want_shape:
        raise Failed(f"expected shape {want_shape}, got {got.shape}: channels first (CS231n's "
                     f"NCHW); here the filters' maps come last, (N, H', W', F)")
    return expect_shape(got, want_shape, "out")


def check_conv(function) -> None:
    rng = np.random.default_rng(0)
    for x_shape, w_shape, stride, pad in CONV_CASES:
        x, w, b = rng.normal(size=x_shape), rng.normal(size=w_shape), rng.normal(size=w_shape[-1])
        with case(_conv_what(x_shape, w_shape, stride, pad)):
            _expect_conv(function, x, w, b, stride, pad)
    x, w, b, stride, pad, out = cs231n_conv_forward_case()
    with case("CS231n's test vector (x (2, 4, 4, 3), w (4, 4, 3, 3): the notebook's NCHW arrays, "
               "channels last), stride 2, pad 1"):
        got = _conv_out(function, x, w, b, stride, pad)
        expect_close(got, out, "out", rtol=1e-7, atol=1e-8)


def _expect_conv(function, x, w, b, stride, pad) -> None:
    got = _conv_out(function, x, w, b, stride, pad)
    want = conv_forward_naive(x, w, b, stride, pad)
    if np.allclose(got, conv_forward_naive(x, w[::-1, ::-1], b, stride, pad)) and not np.allclose(got, want):
        raise Failed("the kernel is flipped. Keras' Conv2D, like CS231n, computes a "
                     "cross-correlation: out = sum of window * w, w not flipped")
    if np.allclose(got, want - b):
        raise Failed("the bias b is missing (one per filter, added to every output)")
    expect_close(got, want, "out", rtol=1e-6)


# -- the convolution, backward -----------------------------------------------------------------

# (x's shape, w's shape, stride, pad): CS231n's case is added to these (stride 1, pad 1).
CONV_BACKWARD_CASES = [((2, 7, 6, 2), (3, 2, 2, 3), 2, 0),  # smaller out; the last row is in no window
                       ((2, 4, 4, 3), (3, 3, 3, 2), 1, 2),  # larger out (6x6), the padding cropped
                       ((1, 6, 6, 1), (4, 4, 1, 2), 2, 1),  # stride 2 and padding; overlapping windows
                       ((3, 3, 4, 2), (1, 1, 2, 3), 1, 0)]  # a 1x1 convolution


def check_conv_backward(function) -> None:
    rng = np.random.default_rng(3)
    for x_shape, w_shape, stride, pad in CONV_BACKWARD_CASES:
        x, w, b = rng.normal(size=x_shape), rng.normal(size=w_shape), rng.normal(size=w_shape[-1])
        dout = rng.normal(size=conv_forward_naive(x, w, b, stride, pad).shape)
        with case(_conv_what(x_shape, w_shape, stride, pad) + f", dout {dout.shape}"):
            _check_conv_gradients(function, dout, x, w, b, stride, pad)
    x, w, b, stride, pad, dout = cs231n_conv_backward_case()
    with case("CS231n's case (np.random.seed(231): x (4, 5, 5, 3), w (3, 3, 3, 2), dout "
               "(4, 5, 5, 2), the notebook's NCHW arrays channels last), stride 1, pad 1"):
        _check_conv_gradients(function, dout, x, w, b, stride, pad)


def _check_conv_gradients(function, dout, x, w, b, stride, pad) -> None:
    result = _called(function, "conv_backward_naive", dict(dout=dout, x=x, w=w, b=b, stride=stride, pad=pad))
    dx, dw, db = _tuple(result, ("dx", "dw", "db"), "conv_backward_naive")
    n, height, width, channels = x.shape
    kh, kw, _, filters = w.shape
    if dx.shape == (n, height + 2 * pad, width + 2 * pad, channels) and pad:
        raise Failed(f"dx has shape {dx.shape}, the padded input's: the padding is not cropped. "
                     f"dx has x's shape {x.shape}: keep dx_padded[:, {pad}:{pad} + H, {pad}:{pad} + W, :] "
                     f"(the zeros added around x are not inputs, so they get no gradient)")
    if dw.shape == (filters, channels, kh, kw) and dw.shape != w.shape:
        raise Failed(f"dw has shape {dw.shape}, CS231n's (F, C, KH, KW); here w, Keras' kernel, "
                     f"is (KH, KW, C, F) = {w.shape}, and dw has w's shape")
    if db.shape != (filters,):
        raise Failed(f"db has shape {db.shape}, expected ({filters},): b has one entry per filter, "
                     f"and each was added at every position of every image, so db sums dout over "
                     f"N, H' and W': dout.sum(axis=(0, 1, 2))")
    want = _conv_backward(dout, x, w, stride, pad)
    ones = _conv_backward(np.ones_like(dout), x, w, stride, pad)
    flipped = _conv_backward(dout, x, w[::-1, ::-1], stride, pad)
    # The convolution is linear in each of x, w and b: a centred difference is exact for any
    # step, and a step of 1 keeps round-off (about eps |out| / h) far below the smallest
    # gradient entries, some of which cancel down to 1e-5.
    numeric = [centred_differences(f, v, dout, h=1.0) for f, v in (
        (lambda v: _conv_fast(v, w, b, stride, pad), x), (lambda v: _conv_fast(x, v, b, stride, pad), w),
        (lambda v: _conv_fast(x, w, v, stride, pad), b))]
    ignored = "ignores the upstream gradient dout (as if it were all ones)"
    no_stride = []
    if stride != 1:
        loose = _conv_backward(dout, x, w, stride, pad, step=1)
        no_stride = [(loose[k], f"{name} took output (i, j)'s window at rows i, i + 1, ... instead of "
                                f"i * stride: the forward pass moved each window {stride} pixels, so "
                                f"the backward pass must send each gradient back to that same window")
                     for k, name in enumerate(("dx", "dw"))]
    _gradient(dx, want[0], numeric[0], "dx", [
        (ones[0], f"dx {ignored}: each output's gradient dout[n, i, j, f] goes back through w to "
                  f"the window it came from"),
        (flipped[0], "dx used the kernel flipped: in a cross-correlation window entry (p, q) met "
                     "w[p, q], so its gradient is dout times w[p, q], not w[KH-1-p, KW-1-q]"),
        *no_stride[:1]])
    _gradient(dw, want[1], numeric[1], "dw", [
        (want[1][::-1, ::-1], "the kernel is flipped in dw: dw[p, q] collects window entry (p, q) "
                              "times dout, the same (p, q) the forward pass multiplied by w[p, q]"),
        (ones[1], f"dw {ignored}: dw sums each window times its own dout[n, i, j, f]"),
        (want[1] / n, f"dw is divided by N = {n}: the layer does not average; the loss's 1/N is "
                      f"already in dout"),
        *no_stride[1:]])
    _gradient(db, want[2], numeric[2], "db", [
        (ones[2], f"db {ignored}: db = dout.sum(axis=(0, 1, 2))"),
        (dout.mean(axis=(0, 1, 2)), "db is dout's mean; b was added at every position of every "
                                    "image, so each of those adds its gradient: the sum"),
        (dout.sum(axis=0).mean(axis=(0, 1)), "db sums dout over N but averages over H' and W'; "
                                             "sum over all three")])


# -- max pooling, forward ----------------------------------------------------------------------

POOL_CASES = (((2, 4, 4, 3), 2, 2), ((1, 7, 7, 2), 3, 2), ((2, 5, 5, 1), 2, 1), ((2, 4, 6, 2), 2, 2))

AXES = ("x is (N, H, W, C), channels last: a window is x[:, i * stride:i * stride + pool, "
        "j * stride:j * stride + pool, :], (N, pool, pool, C), and its max is over axes (1, 2), "
        "leaving (N, C), one value per channel; axes (2, 3) are H and W only in CS231n's NCHW layout")


def _pool_out(function, x, pool, stride) -> np.ndarray:
    try:
        out = _called(function, "max_pool_forward_naive", dict(x=x, pool=pool, stride=stride))
    except (LearnerRaised, ValueError) as exc:
        raised = _raised(exc)
        if raised is None:
            raise
        raise Failed(f"your code raised {raised}. Are the windows and the max over the right "
                     f"axes? {AXES}") from None
    want = max_pool_forward_naive(x, pool, stride)
    got = array(out, "out")
    n, a1, a2, a3 = x.shape
    nchw = (n, a1, (a2 - pool) // stride + 1, (a3 - pool) // stride + 1)
    if got.shape == nchw and got.shape != want.shape:
        raise Failed(f"expected shape {want.shape}, got {got.shape}: the windows slid over axes 2 "
                     f"and 3, as in CS231n's NCHW layout. {AXES}")
    if got.shape == (n, (a1 - pool) + 1, (a2 - pool) + 1, a3) and got.shape != want.shape:
        raise Failed(f"expected shape {want.shape}, got {got.shape}: the windows moved 1 pixel at "
                     f"a time; move them `stride` = {stride}: (H - pool) // stride + 1 positions")
    return expect_shape(got, want.shape, "out")


def check_pool(function) -> None:
    rng = np.random.default_rng(1)
    for shape, pool, stride in POOL_CASES:
        x = rng.normal(size=shape) + 3.0 * np.arange(shape[-1])  # each channel its own range
        with case(f"max pool {pool}x{pool}, stride {stride}, of {shape}"):
            got = _pool_out(function, x, pool, stride)
            want = max_pool_forward_naive(x, pool, stride)
            if np.allclose(got, _pool(x, pool, stride, np.mean)):
                raise Failed("these are the windows' means (average pooling); max pooling keeps "
                             "each window's largest value")
            if not np.allclose(got, want) and _mixes_channels(got, want, x):
                raise Failed(f"an output of channel c holds a value of another channel: the max "
                             f"mixed the channels. {AXES}")
            expect_close(got, want, "out", rtol=1e-9)
    x, pool, stride, out = cs231n_pool_forward_case()
    with case("CS231n's test vector (x (2, 4, 4, 3): the notebook's NCHW array, channels last), "
               "pool 2, stride 2"):
        expect_close(_pool_out(function, x, pool, stride), out, "out", rtol=1e-7, atol=1e-8)


def _mixes_channels(got, want, x) -> bool:
    for n, i, j, c in np.argwhere(~np.isclose(got, want)):
        own = np.isclose(x[n, ..., c], got[n, i, j, c]).any()
        if not own and np.isclose(x[n], got[n, i, j, c]).any():
            return True
    return False


# -- max pooling, backward ---------------------------------------------------------------------

# (x's shape, pool, stride): CS231n's case is added to these (pool 2, stride 2, 8x8).
POOL_BACKWARD_CASES = (((2, 5, 5, 3), 2, 1),  # overlapping windows: an entry can be the max of two
                       ((1, 7, 7, 2), 3, 2),  # overlapping, and the shape changes 7 -> 3
                       ((2, 5, 4, 2), 2, 2))  # the last row is in no window: its gradient is 0


def _pool_backward_whole_window(dout, x, pool, stride, share):
    dx = np.zeros_like(x, dtype=np.float64)
    for i in range(dout.shape[1]):
        for j in range(dout.shape[2]):
            dx[:, i * stride:i * stride + pool, j * stride:j * stride + pool, :] += (
                dout[:, i, j, :][:, None, None, :] * share)
    return dx


def _pool_backward_assigned(dout, x, pool, stride, whole_slice: bool):
    """The overlap mistake: each window's gradient assigned (=), not added (+=); either just
    the max's entry, or the whole window's slice (a mask times dout), which also wipes the
    gradient an earlier window left at its other entries."""
    dx = np.zeros_like(x, dtype=np.float64)
    for i in range(dout.shape[1]):
        for j in range(dout.shape[2]):
            rows, cols = slice(i * stride, i * stride + pool), slice(j * stride, j * stride + pool)
            window = x[:, rows, cols, :]
            mask = window == window.max(axis=(1, 2), keepdims=True)
            if whole_slice:
                dx[:, rows, cols, :] = mask * dout[:, i, j, :][:, None, None, :]
            else:
                upstream = dout[:, i, j, :][:, None, None, :]
                dx[:, rows, cols, :] = np.where(mask, upstream, dx[:, rows, cols, :])
    return dx


def check_pool_backward(function) -> None:
    rng = np.random.default_rng(4)
    for shape, pool, stride in POOL_BACKWARD_CASES:
        x = rng.normal(size=shape)
        dout = rng.normal(size=max_pool_forward_naive(x, pool, stride).shape)
        with case(f"max pool {pool}x{pool}, stride {stride}, of {shape}, dout {dout.shape}"):
            _check_pool_gradient(function, dout, x, pool, stride)
    x, pool, stride, dout = cs231n_pool_backward_case()
    with case("CS231n's case (np.random.seed(231): x (3, 8, 8, 2), dout (3, 4, 4, 2), the "
               "notebook's NCHW arrays channels last), pool 2, stride 2"):
        _check_pool_gradient(function, dout, x, pool, stride)
    with case("max pool 2x2, stride 2, of (2, 4, 4, 3) after a ReLU (windows of zeros: ties)"):
        _check_pool_ties(function, rng)


def _pool_dx(function, dout, x, pool, stride) -> np.ndarray:
    dx = _called(function, "max_pool_backward_naive", dict(dout=dout, x=x, pool=pool, stride=stride))
    if isinstance(dx, tuple):
        raise Failed(f"return dx alone, an array of x's shape, not a tuple of {len(dx)}")
    got = array(dx, "dx")
    if got.shape == dout.shape and got.shape != x.shape:
        raise Failed(f"dx has shape {got.shape}, dout's; it has x's shape {x.shape}: one gradient "
                     f"per input entry, zero where the entry was no window's max")
    return expect_shape(got, x.shape, "dx")


def _check_pool_gradient(function, dout, x, pool, stride) -> None:
    dx = _pool_dx(function, dout, x, pool, stride)
    want = max_pool_backward_naive(dout, x, pool, stride)
    overlap = ("the windows overlap (stride {0} < pool {1}): an entry that is the max of two "
               "windows gets both their gradients, added (dx[...] += ...); ").format(stride, pool)
    _named(dx, want, [
        (_pool_backward_whole_window(dout, x, pool, stride, 1.0),
         "each window's gradient went to all its entries; only the entry that was the max "
         "affected the output, so only it gets dout (the others get 0)"),
        (_pool_backward_whole_window(dout, x, pool, stride, 1.0 / pool ** 2),
         "the gradient was spread evenly over each window: that is average pooling's backward "
         "pass; max pooling's sends it all to the window's max"),
        (max_pool_backward_naive(np.ones_like(dout), x, pool, stride),
         "dx ignores the upstream gradient dout (1 at each max): the max gets dout[n, i, j, c]"),
        (_pool_backward_assigned(dout, x, pool, stride, whole_slice=False),
         overlap + "assigning keeps only the last window's"),
        (_pool_backward_assigned(dout, x, pool, stride, whole_slice=True),
         overlap + "assigning the window's slice (mask * dout) also wiped the gradient the "
                   "previous window had left in it"),
    ])
    # Each entry within h of no other in its window: the max does not switch in the difference.
    numeric = centred_differences(lambda v: _pool_fast(v, pool, stride), x, dout, h=1e-6)
    expect_gradient(dx, numeric, "dx", threshold=THRESHOLD)
    expect_close(dx, want, "dx", **CLOSE)


def _check_pool_ties(function, rng) -> None:
    """Where a window's max is shared, the max has no derivative: this course accepts the
    gradient sent to one of the tied entries (TensorFlow sends it to the first) or split
    evenly among them, and refuses it given whole to each, which counts it several times."""
    x = np.maximum(rng.integers(-2, 3, size=(2, 4, 4, 3)), 0).astype(np.float64)
    x[0, :2, :2, 0] = 0.0  # a whole window of zeros: four entries tie
    dout = rng.normal(size=(2, 2, 2, 3))
    dx = _pool_dx(function, dout, x, 2, 2)
    for i in range(2):
        for j in range(2):
            rows, cols = slice(2 * i, 2 * i + 2), slice(2 * j, 2 * j + 2)
            for n, c in np.ndindex(2, 3):
                window, got, g = x[n, rows, cols, c], dx[n, rows, cols, c], dout[n, i, j, c]
                at = f"window ({i}, {j}) of image {n}, channel {c} (values {window.ravel().tolist()})"
                tied = window == window.max()
                if np.any(~np.isclose(got[~tied], 0.0, atol=1e-12)):
                    raise Failed(f"dx at {at}: an entry below the window's max got gradient "
                                 f"{got[~tied][~np.isclose(got[~tied], 0.0, atol=1e-12)][0]:.6g}; "
                                 f"only the max gets any")
                if tied.sum() > 1 and np.allclose(got[tied], g):
                    raise Failed(f"dx at {at}: each of the {tied.sum()} tied maxima got the whole "
                                 f"dout {g:.6g}, so the window passed on {tied.sum()} times its "
                                 f"gradient. Send it to one of them (np.argmax picks the first, as "
                                 f"TensorFlow does) or split it evenly among them")
                shares = got[tied] / g
                if not (np.isclose(shares.sum(), 1.0) and np.all(shares > -1e-12)):
                    raise Failed(f"dx at {at}: the maxima got {np.round(got[tied], 6).tolist()} in "
                                 f"all, expected dout = {g:.6g}, sent to the max (to one of them "
                                 f"where they tie, or split among them)")


EXERCISES = (
    Exercise("conv_output_size", "how many positions a window takes: the output-size rule",
             '''def conv_output_size(size, kernel, stride, pad):
    """Output width (or height) of a convolution or pooling layer, as an int.

    An input `size` pixels wide, zero padding `pad` on each side, a `kernel`-wide window
    moved `stride` pixels at a time: (size - kernel + 2 pad) / stride + 1 positions,
    rounded down where the window does not fit evenly. AlexNet's conv1: 227, 11, 4, 0 -> 55.
    """''', check_output_size, conv_output_size),
    Exercise("conv_forward_naive", "a convolution with loops, in Keras' layout",
             '''def conv_forward_naive(x, w, b, stride, pad):
    """The forward pass of a convolutional layer (Keras' Conv2D, padding by hand).

    x: (N, H, W, C) images, channels last; w: (KH, KW, C, F), Keras' kernel layout;
    b: (F,). Pads x with `pad` zeros on each side of H and W, then slides each filter
    with `stride`. Returns (N, H', W', F) with H' = (H - KH + 2 pad) // stride + 1.
    out[n, i, j, f] = sum(window * w[:, :, :, f]) + b[f]: a cross-correlation, w not
    flipped. Hint: np.pad, then loop over output positions (i, j).
    """''', check_conv, conv_forward_naive),
    Exercise("conv_backward_naive", "the convolution's backward pass, with loops",
             '''def conv_backward_naive(dout, x, w, b, stride, pad):
    """The gradients of a convolutional layer, given the forward pass's inputs.

    dout: (N, H', W', F), the loss's gradient with respect to conv_forward_naive(x, w, b,
    stride, pad); x, w, b, stride, pad: as the forward pass had them. Returns (dx, dw, db)
    with the shapes of x (N, H, W, C), w (KH, KW, C, F) and b (F,).
    Loop over the output positions (i, j) as the forward pass did: the window of the
    padded x that made out[:, i, j, :] gets dout[:, i, j, :] times w back (added into a
    padded dx: windows overlap), and dw gets that window times dout[:, i, j, :], summed
    over the images. db sums dout over N, H' and W'. Crop the padding from dx at the end.
    """''', check_conv_backward, conv_backward_naive),
    Exercise("max_pool_forward_naive", "max pooling with loops",
             '''def max_pool_forward_naive(x, pool, stride):
    """Max pooling: each pool x pool window, moved by `stride`, keeps its largest value.

    x: (N, H, W, C); returns (N, (H - pool) // stride + 1, (W - pool) // stride + 1, C),
    channel by channel (no padding, like Keras' MaxPooling2D with padding="valid").
    """''', check_pool, max_pool_forward_naive),
    Exercise("max_pool_backward_naive", "max pooling's backward pass: the gradient to each max",
             '''def max_pool_backward_naive(dout, x, pool, stride):
    """The gradient of max pooling, given the forward pass's inputs.

    dout: (N, H', W', C), the loss's gradient with respect to max_pool_forward_naive(x,
    pool, stride). Returns dx, x's shape (N, H, W, C): each window's dout[n, i, j, c] goes
    to the one entry that was its max, every other entry gets 0. Where windows overlap
    (stride < pool), an entry can be the max of several: add their gradients. Where a
    window's max is tied, send the gradient to one of the tied entries (np.argmax picks
    the first, as TensorFlow does) or split it evenly; never whole to each.
    """''', check_pool_backward, max_pool_backward_naive),
)
