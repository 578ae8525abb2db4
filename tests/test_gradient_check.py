"""The linear lesson's gradient check against independent references: CS231n's rel_error,
NumPy's SVM loss and its "did a winner of max(0, m) change?" rule for kinks, a backward
pass made wrong on purpose, and models trained on the digits as the lesson trains them."""

import numpy as np
import pytest

from workbench.running.data import load_images
from workbench.running.quiet import import_tensorflow

tf = import_tensorflow()
import keras  # noqa: E402

from lessons.linear import checks  # noqa: E402
from lessons.linear.losses import MulticlassHinge, SoftmaxCrossEntropy  # noqa: E402
from lessons.linear.model import build_linear  # noqa: E402


def linear_model(W, b, mean, image_shape):
    """The lesson's model with W, b set by hand (exactly representable values stay exact)."""
    model = build_linear(image_shape, W.shape[1], np.reshape(mean, image_shape), reg=0.0)
    model.get_layer("scores").kernel.assign(np.asarray(W, "float32"))
    model.get_layer("scores").bias.assign(np.asarray(b, "float32"))
    return model


def svm_loss_numpy(W, b, x, y, delta, reg):
    """CS231n's vectorised multiclass SVM loss plus reg * sum(W^2), in float64."""
    scores = x @ W + b
    margins = np.maximum(0.0, scores - scores[np.arange(len(y)), y][:, None] + delta)
    margins[np.arange(len(y)), y] = 0.0
    return margins.sum(axis=1).mean() + reg * np.sum(W * W)


def winners_change(W, b, x, y, delta, i, j, h):
    """CS231n's kink test: does the set of positive margins differ between W[i, j] +- h?"""
    def active(step):
        nudged = W.copy()
        nudged[i, j] += step
        scores = x @ nudged + b
        margins = scores - scores[np.arange(len(y)), y][:, None] + delta
        margins[np.arange(len(y)), y] = -1.0
        return margins > 0
    return bool(np.any(active(h) != active(-h)))


def test_relative_error_is_cs231n_rel_error():
    assert checks.relative_error(2.0, 1.0) == pytest.approx(1 / 3)
    assert checks.relative_error(-1.0, 1.0) == 1.0
    assert checks.relative_error(0.0, 0.0) == 0.0  # the floor: 0 against 0 agrees
    assert checks.relative_error(1e-9, 0.0) == pytest.approx(0.1)  # 1e-9 / 1e-8
    assert checks.relative_error(1e-9, 0.0, floor=1e-4) == pytest.approx(1e-5)
    np.testing.assert_allclose(checks.relative_error([1.0, 3.0], [1.0, 1.0]), [0.0, 0.5])


def test_softmax_on_a_random_problem_agrees_below_1e_7_and_leaves_flat_pixels_out():
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(40, 3, 4, 1)).astype("float32")
    x[:, 0, 0, 0] = 0.0  # a pixel that is 0 in every image, like the digits' borders
    y = rng.integers(0, 5, 40)
    model = linear_model(rng.normal(size=(12, 5)), rng.normal(size=5), x.mean(0), (3, 4, 1))
    result = checks.gradient_check(model, SoftmaxCrossEntropy, 0.05, x, y, entries=None)
    assert result.entries == 11 * 5 and result.skipped_flat == 5
    assert result.kinks == ()
    assert result.max_rel_error < 1e-7
    assert result.worst.startswith("W[") and not result.worst.startswith("W[0,")


def test_an_svm_margin_exactly_at_its_kink_is_named_and_the_rest_agree():
    # Sample 0 is pixel 0 alone, class 0, and scores W[0] = (1, 0, -3): its class-1 margin
    # is 0 - 1 + 1 = 0, exactly on the hinge. W[0, 1] moves that margin; W[0, 0] moves
    # the correct score and with it every margin of sample 0. W[0, 2]'s margin is -3.
    rng = np.random.default_rng(3)
    W = np.array([[1.0, 0.0, -3.0], [2.0, -1.0, 0.5], [-0.5, 1.5, 1.0]])
    b = np.zeros(3)
    x = np.vstack([[1.0, 0.0, 0.0], rng.uniform(size=(11, 3))]).astype("float32")
    y = np.concatenate([[0], rng.integers(0, 3, 11)])
    xf = x.astype("float64")
    scores = xf @ W
    margins = scores - scores[np.arange(12), y][:, None] + 1.0
    margins[np.arange(12), y] = np.inf
    assert margins[0, 1] == 0.0 and np.min(np.abs(margins[1:])) > 1e-2  # only the one kink
    reg, h = 1e-3, 1e-4

    model = linear_model(W, b, np.zeros(3), (3,))
    result = checks.gradient_check(model, MulticlassHinge, reg, x, y, entries=None, h=h, delta=1.0)
    assert result.kinks == ("W[0,0]", "W[0,1]")
    assert result.entries == 9 - 2 and result.skipped_flat == 0
    assert result.max_rel_error < 1e-7

    # The kink is real: at W[0, 1] NumPy's centred difference and TensorFlow's gradient part.
    plus, minus = W.copy(), W.copy()
    plus[0, 1] += h
    minus[0, 1] -= h
    numeric = (svm_loss_numpy(plus, b, xf, y, 1.0, reg)
               - svm_loss_numpy(minus, b, xf, y, 1.0, reg)) / (2 * h)
    weights = tf.constant(W)
    with tf.GradientTape() as tape:
        tape.watch(weights)
        value = (MulticlassHinge(1.0, dtype="float64")(y, xf @ weights)
                 + reg * tf.reduce_sum(weights ** 2))
    analytic = tape.gradient(value, weights).numpy()[0, 1]
    assert checks.relative_error(analytic, numeric) > 1e-2


def test_kinks_cover_every_entry_whose_winners_change():
    """With a coarse step many margins are crossed; every entry where CS231n's rule sees a
    winner change must be named, none named where no margin is within 2h of crossing,
    and every other entry must still agree (the SVM is piecewise linear: the centred
    difference is exact between kinks)."""
    rng = np.random.default_rng(4)
    x = rng.uniform(size=(60, 8)).astype("float32")
    y = rng.integers(0, 4, 60)
    W, b = rng.normal(size=(8, 4)) * 2, np.zeros(4)  # margins spread across 0
    model = linear_model(W, b, x.mean(0), (8,))
    h, reg = 1e-2, 1e-3
    result = checks.gradient_check(model, MulticlassHinge, reg, x, y, entries=None, h=h, delta=1.0)

    xf = x.astype("float64") - x.mean(0).astype("float64")
    Wf = model.get_layer("scores").kernel.numpy().astype("float64")
    names = {(i, j): checks.entry_name(i, j) for i in range(8) for j in range(4)}
    crossed = {names[e] for e in names if winners_change(Wf, b, xf, y, 1.0, *e, h)}
    near = {names[e] for e in names if winners_change(Wf, b, xf, y, 1.0, *e, checks.KINK_SAFETY * h)}
    assert crossed, "the step should cross some margins, or this test checks nothing"
    assert crossed <= set(result.kinks) <= near
    assert result.entries == 32 - len(result.kinks) > 0
    assert result.max_rel_error < 1e-7


class ForgetsTheLabel(SoftmaxCrossEntropy):
    """The right loss with a hand-written backward pass that drops the -1 at the label:
    dL/ds = softmax(s) instead of softmax(s) - onehot(y)."""

    def call(self, y_true, y_pred):
        labels = tf.cast(tf.reshape(y_true, (-1,)), tf.int32)

        @tf.custom_gradient
        def loss(scores):
            value = tf.reduce_logsumexp(scores, axis=1) - tf.gather(scores, labels, axis=1, batch_dims=1)
            return value, lambda upstream: upstream[:, None] * tf.nn.softmax(scores)

        return loss(y_pred)


class OnePercentOff(SoftmaxCrossEntropy):
    """The right loss and a backward pass 1% too large."""

    def call(self, y_true, y_pred):
        labels = tf.cast(tf.reshape(y_true, (-1,)), tf.int32)

        @tf.custom_gradient
        def loss(scores):
            value = tf.reduce_logsumexp(scores, axis=1) - tf.gather(scores, labels, axis=1, batch_dims=1)
            right = tf.nn.softmax(scores) - tf.one_hot(labels, tf.shape(scores)[1], dtype=scores.dtype)
            return value, lambda upstream: 1.01 * upstream[:, None] * right

        return loss(y_pred)


@pytest.mark.parametrize("wrong", [ForgetsTheLabel, OnePercentOff])
def test_a_wrong_backward_pass_fails_the_check(wrong):
    rng = np.random.default_rng(5)
    x, y = rng.uniform(size=(40, 10)).astype("float32"), rng.integers(0, 4, 40)
    model = linear_model(rng.normal(size=(10, 4)), np.zeros(4), x.mean(0), (10,))
    # The forward pass is right: the loss matches the correct class's value.
    scores = model.predict(x, verbose=0).astype("float64")
    assert float(wrong(dtype="float64")(y, scores)) == pytest.approx(
        float(SoftmaxCrossEntropy(dtype="float64")(y, scores)), rel=1e-12)
    right = checks.gradient_check(model, SoftmaxCrossEntropy, 1e-3, x, y, entries=None)
    assert right.max_rel_error < 1e-7
    assert checks.gradient_check(model, wrong, 1e-3, x, y, entries=None).max_rel_error > 1e-3


@pytest.fixture(scope="module")
def digits():
    return load_images("digits")


def trained_as_the_lesson_does(data, loss, epochs):
    """build_linear, SGD with momentum 0.9 at 0.1, batches of 64, reg 1e-4: the lesson's
    defaults, for fewer epochs."""
    keras.utils.set_random_seed(0)
    loss_kwargs = {"delta": 1.0} if loss == "svm" else {}
    loss_class = MulticlassHinge if loss == "svm" else SoftmaxCrossEntropy
    model = build_linear(data.image_shape, data.num_classes, data.x_train.mean(axis=0), 1e-4)
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9), loss=loss_class(**loss_kwargs))
    batches = (tf.data.Dataset.from_tensor_slices((data.x_train, data.y_train))
               .shuffle(len(data.x_train), seed=0).batch(64))
    model.fit(batches, epochs=epochs, shuffle=False, verbose=0)  # shuffled above
    return model, loss_class, loss_kwargs


@pytest.mark.parametrize("loss", ["softmax", "svm"])
def test_trained_digits_model_checks_below_1e_7(digits, loss):
    model, loss_class, loss_kwargs = trained_as_the_lesson_does(digits, loss, epochs=5)
    accuracy = np.mean(np.argmax(model.predict(digits.x_val, verbose=0), 1) == digits.y_val)
    assert accuracy > 0.9  # trained, so gradients are small and margins sit near their kinks
    x, y = digits.x_train[:200], digits.y_train[:200]
    result = checks.gradient_check(model, loss_class, 1e-4, x, y, seed=0, **loss_kwargs)
    constant = int(np.sum(np.ptp(x.reshape(200, -1), axis=0) == 0))
    assert constant > 0 and result.skipped_flat == constant * 10
    assert result.entries + len(result.kinks) == checks.DEFAULT_ENTRIES
    assert result.max_rel_error < 1e-7
    if loss == "softmax":
        assert result.kinks == ()
