"""The CNN lesson's exercises (CS231n assignment 2, in Keras' layout): the output-size
rule, a naive convolution and a naive max pool, channels last. Checked against the
lesson's own NumPy versions here, which the test suite checks against Keras' Conv2D and
MaxPooling2D."""

from __future__ import annotations

import numpy as np

from lessons.checking import array, expect_close, expect_shape
from workbench.authoring import Exercise, Failed


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


CONV_CASES = [((2, 5, 5, 3), (3, 3, 3, 4), 1, 1), ((2, 7, 6, 2), (3, 2, 2, 3), 2, 0), ((1, 6, 6, 1), (4, 4, 1, 2), 2, 1)]


def check_conv(function) -> None:
    rng = np.random.default_rng(0)
    for x_shape, w_shape, stride, pad in CONV_CASES:
        x, w, b = rng.normal(size=x_shape), rng.normal(size=w_shape), rng.normal(size=w_shape[-1])
        want = conv_forward_naive(x, w, b, stride, pad)
        what = f"conv of {x_shape} by {w_shape[:2]} kernels, stride {stride}, pad {pad}"
        got = expect_shape(function(x.copy(), w.copy(), b.copy(), stride, pad), want.shape, what)
        if np.allclose(got, conv_forward_naive(x, w[::-1, ::-1], b, stride, pad)) and not np.allclose(got, want):
            raise Failed(f"{what}: the kernel is flipped. Keras' Conv2D, like CS231n, computes a "
                         f"cross-correlation: out = sum of window * w, w not flipped")
        if np.allclose(got, want - b):
            raise Failed(f"{what}: the bias b is missing (one per filter, added to every output)")
        expect_close(got, want, what, rtol=1e-6)


def check_pool(function) -> None:
    rng = np.random.default_rng(1)
    for shape, pool, stride in (((2, 4, 4, 3), 2, 2), ((1, 7, 7, 2), 3, 2), ((2, 5, 5, 1), 2, 1)):
        x = rng.normal(size=shape)
        want = max_pool_forward_naive(x, pool, stride)
        what = f"max pool {pool}x{pool}, stride {stride}, of {shape}"
        got = expect_shape(function(x.copy(), pool, stride), want.shape, what)
        if np.allclose(got, _pool(x, pool, stride, np.mean)):
            raise Failed(f"{what}: these are the windows' means (average pooling); max pooling "
                         f"keeps each window's largest value")
        expect_close(array(got, what), want, what, rtol=1e-9)


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
    Exercise("max_pool_forward_naive", "max pooling with loops",
             '''def max_pool_forward_naive(x, pool, stride):
    """Max pooling: each pool x pool window, moved by `stride`, keeps its largest value.

    x: (N, H, W, C); returns (N, (H - pool) // stride + 1, (W - pool) // stride + 1, C),
    channel by channel (no padding, like Keras' MaxPooling2D with padding="valid").
    """''', check_pool, max_pool_forward_naive),
)
