"""The batchnorm and optimizers experiments with the learner's own functions (`--mine`).

Both compare first one step with Keras on the very same numbers, then train a net in
NumPy with the learner's functions beside the Keras run:

- batchnorm: the trained net's first BatchNormalization layer against their
  batchnorm_forward (train and test mode, the moving averages) and batchnorm_backward
  (against TensorFlow's gradients through the layer); then the experiment's "bad init +
  BN" net, from the weights Keras' started from, trained by SGD with momentum 0.9 at the
  same rate with their batch norm between each affine layer and its nonlinearity (the
  layer's own eps and momentum, Keras' 1e-3 and 0.99);
- optimizers: their sgd_momentum, rmsprop and adam down the bowl, with Keras' rates and
  hyperparameters, beside Keras' paths; then the digits net, from the same start, trained
  by each of their rules at Keras' rate.

The nets are float64 NumPy: x @ W per layer, the gradients written out (as in CS231n's
FullyConnectedNet), softmax cross-entropy at the top.
"""

from __future__ import annotations

import numpy as np

from workbench.authoring import WorkbenchError

LEAKY_SLOPE = 0.01  # nets.nonlinearity's leaky ReLU


# -- a fully connected net in NumPy ---------------------------------------------------------------

def activate(name: str, z: np.ndarray) -> np.ndarray:
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "leaky_relu":
        return np.where(z > 0, z, LEAKY_SLOPE * z)
    if name == "tanh":
        return np.tanh(z)
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    if name == "elu":
        return np.where(z > 0, z, np.expm1(np.minimum(z, 0.0)))
    raise ValueError(f"no NumPy twin for the activation {name!r}")


def slope(name: str, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """d activation / dz, from its input z and output a."""
    if name == "relu":
        return (z > 0).astype(np.float64)
    if name == "leaky_relu":
        return np.where(z > 0, 1.0, LEAKY_SLOPE)
    if name == "tanh":
        return 1.0 - a * a
    if name == "sigmoid":
        return a * (1.0 - a)
    return np.where(z > 0, 1.0, a + 1.0)  # elu


def softmax_loss(scores: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of softmax(scores) and its gradient with respect to the scores."""
    n = len(y)
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    dscores = np.exp(log_p)
    dscores[np.arange(n), y] -= 1.0
    return float(-log_p[np.arange(n), y].mean()), dscores / n


def flat(images: np.ndarray) -> np.ndarray:
    return images.reshape(len(images), -1).astype(np.float64)


def minibatches(n: int, size: int, rng: np.random.Generator):
    order = rng.permutation(n)
    for start in range(0, n, size):
        yield order[start:start + size]


class BatchNormNet:
    """(Dense without bias, their batch norm, nonlinearity) x L, then Dense + softmax, with
    one bn_param per layer kept between calls: the running averages live there."""

    def __init__(self, model, layers: int, activation: str, forward, backward):
        self.activation, self.forward_bn, self.backward_bn = activation, forward, backward
        self.kernels, self.gammas, self.betas, self.bn_params = [], [], [], []
        for i in range(1, layers + 1):
            (kernel,) = model.get_layer(f"dense{i}").get_weights()
            bn = model.get_layer(f"bn{i}")
            gamma, beta, moving_mean, moving_var = bn.get_weights()
            self.kernels.append(kernel.astype(np.float64))
            self.gammas.append(gamma.astype(np.float64))
            self.betas.append(beta.astype(np.float64))
            self.bn_params.append({"mode": "train", "eps": float(bn.epsilon), "momentum": float(bn.momentum),
                                   "running_mean": moving_mean.astype(np.float64),
                                   "running_var": moving_var.astype(np.float64)})
        kernel, bias = model.get_layer("scores").get_weights()
        self.scores_kernel, self.scores_bias = kernel.astype(np.float64), bias.astype(np.float64)

    def parameters(self) -> list[np.ndarray]:
        return [*self.kernels, *self.gammas, *self.betas, self.scores_kernel, self.scores_bias]

    def scores(self, x: np.ndarray, mode: str, keep: list | None = None) -> np.ndarray:
        h = x
        for kernel, gamma, beta, bn_param in zip(self.kernels, self.gammas, self.betas, self.bn_params):
            bn_param["mode"] = mode
            z = h @ kernel
            normalised = np.asarray(self.forward_bn(z, gamma, beta, bn_param), dtype=np.float64)
            a = activate(self.activation, normalised)
            if keep is not None:
                keep.append((h, z, normalised, a))
            h = a
        return h @ self.scores_kernel + self.scores_bias

    def loss_and_gradients(self, x, y) -> tuple[float, list[np.ndarray]]:
        keep: list = []
        loss, dscores = softmax_loss(self.scores(x, "train", keep), y)
        h_last = keep[-1][3]
        d_scores_kernel, d_scores_bias = h_last.T @ dscores, dscores.sum(axis=0)
        dh = dscores @ self.scores_kernel.T
        d_kernels, d_gammas, d_betas = [], [], []
        for layer in reversed(range(len(self.kernels))):
            h, z, normalised, a = keep[layer]
            dnormalised = dh * slope(self.activation, normalised, a)
            result = self.backward_bn(dnormalised, z, self.gammas[layer], self.betas[layer],
                                      eps=self.bn_params[layer]["eps"])
            dz, dgamma, dbeta = (np.asarray(v, dtype=np.float64) for v in result)
            d_kernels.insert(0, h.T @ dz)
            d_gammas.insert(0, dgamma)
            d_betas.insert(0, dbeta)
            dh = dz @ self.kernels[layer].T
        return loss, [*d_kernels, *d_gammas, *d_betas, d_scores_kernel, d_scores_bias]


class PlainNet:
    """(Dense, nonlinearity) x L, then Dense + softmax: the optimizers experiment's net."""

    def __init__(self, weights: list[np.ndarray], activation: str):
        self.weights = [w.astype(np.float64) for w in weights]  # kernel, bias, kernel, bias, ...
        self.activation = activation

    def loss_and_gradients(self, x, y) -> tuple[float, list[np.ndarray]]:
        pairs = list(zip(self.weights[0::2], self.weights[1::2]))
        keep, h = [], x
        for kernel, bias in pairs[:-1]:
            z = h @ kernel + bias
            a = activate(self.activation, z)
            keep.append((h, z, a))
            h = a
        loss, d = softmax_loss(h @ pairs[-1][0] + pairs[-1][1], y)
        grads = [h.T @ d, d.sum(axis=0)]
        dh = d @ pairs[-1][0].T
        for (kernel, _), (h, z, a) in zip(reversed(pairs[:-1]), reversed(keep)):
            dz = dh * slope(self.activation, z, a)
            grads = [h.T @ dz, dz.sum(axis=0), *grads]
            dh = dz @ kernel.T
        return loss, grads


def _finite(loss: float, what: str, epoch: int) -> float:
    if not np.isfinite(loss):
        raise WorkbenchError(f"{what} became {loss} at epoch {epoch}; lower learning_rate")
    return loss


# -- batchnorm --------------------------------------------------------------------------------------

def batchnorm_with(mine, ctx, p, model, start, keras_losses: dict) -> None:
    """`model`: Keras' trained "bad init + BN" net; `start`: its weights before training."""
    forward, backward = mine["batchnorm_forward"], mine["batchnorm_backward"]
    batch = ctx.images.x_train[:ctx.global_batch(p.batch_size)]
    _one_layer_against_keras(forward, backward, ctx, model, batch)

    import keras

    twin = keras.models.clone_model(model)
    twin.set_weights(start)
    net = BatchNormNet(twin, p.layers, p.nonlinearity(), forward, backward)
    data = ctx.images
    x, y = flat(data.x_train), data.y_train
    params = net.parameters()
    velocities = [np.zeros_like(w) for w in params]
    rng = np.random.default_rng(ctx.seed)
    losses = []
    ctx.stage("your batch norm", p.epochs)
    for epoch in range(1, p.epochs + 1):
        ctx.check_cancelled()
        batch_losses = []
        for rows in minibatches(len(y), ctx.global_batch(p.batch_size), rng):
            loss, grads = net.loss_and_gradients(x[rows], y[rows])
            batch_losses.append(_finite(loss, "the training loss with your batch norm", epoch))
            for w, v, g in zip(params, velocities, grads):  # Keras' SGD(momentum=0.9), in place
                v *= 0.9
                v -= p.learning_rate * g
                w += v
        losses.append(float(np.mean(batch_losses)))
        ctx.progress("your batch norm", epoch, p.epochs, loss=losses[-1])
    predicted = np.concatenate([np.argmax(net.scores(flat(data.x_test[i:i + 512]), "test"), axis=1)
                                for i in range(0, len(data.x_test), 512)])
    accuracy = float(np.mean(predicted == data.y_test))
    ctx.metric("mine_loss_per_epoch", losses)
    ctx.metric("mine_final_train_loss", losses[-1])
    ctx.metric("mine_test_accuracy", accuracy)
    epochs = list(range(1, p.epochs + 1))
    ctx.chart("training loss per epoch at std 0.01: Keras with and without BN, and your batch norm",
              "epoch", epochs, {"Keras + BN": keras_losses["bad init + BN"],
                                "Keras, no BN": keras_losses["bad init"], "yours": losses})
    ctx.log("your batch norm in the bad-init net, SGD with momentum in NumPy: final training loss "
            "{mine:.4f} (Keras with BN {keras:.4f}, without {plain:.4f}); test accuracy {accuracy:.3f} "
            "with your test mode and running averages (Keras: {keras_accuracy:.3f})",
            mine=losses[-1], keras=float(keras_losses["bad init + BN"][-1]),
            plain=float(keras_losses["bad init"][-1]), accuracy=accuracy,
            keras_accuracy=ctx.metrics["test_accuracy"])


def _gap(mine, keras_value) -> float:
    """Largest difference, over the largest entry of Keras' answer (float32 there)."""
    theirs = np.asarray(keras_value, dtype=np.float64)
    difference = np.max(np.abs(np.asarray(mine, dtype=np.float64) - theirs))
    return float(difference / max(np.max(np.abs(theirs)), 1e-12))


def _one_layer_against_keras(forward, backward, ctx, model, images) -> None:
    import keras
    import tensorflow as tf

    bn = model.get_layer("bn1")
    h = keras.Model(model.input, model.get_layer("dense1").output)(images, training=False)
    layer = keras.layers.BatchNormalization.from_config(bn.get_config())  # a copy: the saved
    layer.build(h.shape)                                                  # net stays untouched
    layer.set_weights(bn.get_weights())
    gamma, beta, moving_mean, moving_var = (w.astype(np.float64) for w in bn.get_weights())
    x = keras.ops.convert_to_numpy(h).astype(np.float64)
    bn_param = {"mode": "train", "eps": float(bn.epsilon), "momentum": float(bn.momentum),
                "running_mean": moving_mean.copy(), "running_var": moving_var.copy()}
    gaps = {"train output": _gap(forward(x, gamma, beta, bn_param), layer(h, training=True))}
    gaps["moving mean"] = _gap(bn_param["running_mean"], layer.moving_mean)
    gaps["moving variance"] = _gap(bn_param["running_var"], layer.moving_variance)
    bn_param["mode"] = "test"
    gaps["inference output"] = _gap(forward(x, gamma, beta, bn_param), layer(h, training=False))
    dout = np.random.default_rng(ctx.seed).normal(size=x.shape)
    with tf.GradientTape() as tape:
        tape.watch(h)
        loss = tf.reduce_sum(layer(h, training=True) * dout.astype(np.float32))
    theirs = tape.gradient(loss, [h, layer.gamma, layer.beta])
    mine = backward(dout, x, gamma, beta, eps=float(bn.epsilon))
    for name, got, want in zip(("dx", "dgamma", "dbeta"), mine, theirs):
        gaps[name] = _gap(got, want)
    ctx.metric("mine_vs_keras_bn", gaps)
    ctx.log("your batch norm against Keras' BatchNormalization on one batch of the trained net's "
            "first layer ({n} x {d}): largest difference over the largest value {worst:.1e} "
            "(in {where}); Keras computes in float32",
            n=x.shape[0], d=x.shape[1], worst=max(gaps.values()), where=max(gaps, key=gaps.get))


# -- optimizers ---------------------------------------------------------------------------------------

# The learner's rules under the experiment's names, with Keras' hyperparameters for each.
RULES = {"momentum": ("sgd_momentum", {"momentum": 0.9}),
         "rmsprop": ("rmsprop", {"decay_rate": 0.9, "epsilon": 1e-7}),  # Keras' rho 0.9
         "adam": ("adam", {"beta1": 0.9, "beta2": 0.999, "epsilon": 1e-7})}


def optimizers_with(mine, ctx, p, *, start, keras_paths: dict, bowl_rates: dict, rates: dict,
                    keras_losses: dict, start_point: np.ndarray, curvature: np.ndarray, steps: int) -> None:
    gaps, paths = {}, {}
    for name, (function, settings) in RULES.items():
        config = {"learning_rate": bowl_rates[name], **settings}
        w, path = start_point.astype(np.float64), [start_point.astype(np.float64)]
        for _ in range(steps):
            w, config = mine[function](w, curvature * w, config)  # the bowl's gradient
            w = np.asarray(w, dtype=np.float64)
            path.append(w)
        paths[name] = np.array(path)
        gaps[name] = float(np.max(np.abs(paths[name] - keras_paths[name])))
    ctx.metric("mine_bowl_gap", gaps)
    both = {**{f"Keras {n}": keras_paths[n] for n in RULES}, **{f"your {n}": paths[n] for n in RULES}}
    series, xs = {k: v[:, 1] for k, v in both.items()}, {k: v[:, 0] for k, v in both.items()}
    ctx.chart("paths on the bowl: Keras' optimizers and your rules", "w0", [], series, xs=xs)

    data = ctx.images
    x, y = flat(data.x_train), data.y_train
    final, per_epoch = {}, {}
    for name, (function, settings) in RULES.items():
        net = PlainNet(start, p.nonlinearity())
        shapes = [w.shape for w in net.weights]
        # The rules work entry by entry, so one call on all the weights as one vector does
        # what one call per weight array would, with a sixth of the trips to the sandbox.
        w = np.concatenate([v.ravel() for v in net.weights])
        config = {"learning_rate": rates[name], **settings}
        rng = np.random.default_rng(ctx.seed)
        losses = []
        stage = f"your {function}"
        ctx.stage(stage, p.epochs)
        for epoch in range(1, p.epochs + 1):
            ctx.check_cancelled()
            batch_losses = []
            for rows in minibatches(len(y), ctx.global_batch(p.batch_size), rng):
                net.weights = _unflat(w, shapes)
                loss, grads = net.loss_and_gradients(x[rows], y[rows])
                batch_losses.append(_finite(loss, f"the training loss with your {function}", epoch))
                w, config = mine[function](w, np.concatenate([g.ravel() for g in grads]), config)
                w = np.asarray(w, dtype=np.float64)
            losses.append(float(np.mean(batch_losses)))
            ctx.progress(stage, epoch, p.epochs, loss=losses[-1])
        final[name], per_epoch[name] = losses[-1], losses
        ctx.log("your {function} on the digits net from Keras' start: final training loss {mine:.4f} "
                "(Keras' {name}: {keras:.4f}); on the bowl at most {gap:.1e} from Keras' path",
                function=function, mine=losses[-1], name=name, keras=float(keras_losses[name][-1]),
                gap=gaps[name])
    ctx.metric("mine_final_train_loss", final)
    ctx.metric("mine_loss_per_epoch", per_epoch)
    epochs = list(range(1, p.epochs + 1))
    ctx.chart("training loss per epoch: Keras' optimizers and your rules", "epoch", epochs,
              {**{f"Keras {n}": keras_losses[n] for n in RULES},
               **{f"your {n}": per_epoch[n] for n in RULES}})


def _unflat(vector: np.ndarray, shapes) -> list[np.ndarray]:
    out, at = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        out.append(vector[at:at + size].reshape(shape))
        at += size
    return out
