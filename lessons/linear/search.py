"""Finding W without a gradient, as the optimisation notes begin: random search (try many
random W, keep the best) and random local search (nudge the best W at random, keep the
nudge when the loss drops). Both only ever evaluate the loss, so both are measured by the
one thing they spend: loss evaluations.

The loss is the lesson's own, written in NumPy (float64) over a stack of candidate W at
once: one matrix product scores every image under every candidate. W carries the bias
as its last row, which multiplies a constant 1 appended to each image (the "bias
trick"); the L2 penalty skips that row, as the Keras model's regulariser skips the bias.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

# Scores of one stack of candidates (candidates x images x classes, float64) stay near
# this many bytes. The loss is bound by memory, not arithmetic: on the digits a few
# candidates per stack ran fastest (7,400 evaluations a second against 4,500 at 2 MB).
BATCH_BYTES = 256 * 2**10


@dataclass(frozen=True)
class Objective:
    """The training loss as a function of W alone: data loss + reg * sum(W^2)."""

    inputs: np.ndarray  # (N, D + 1): mean-subtracted images, then a constant 1
    labels: np.ndarray  # (N,) integer classes
    loss: str  # "softmax" or "svm"
    reg: float
    delta: float = 1.0

    @classmethod
    def of(cls, images: np.ndarray, labels: np.ndarray, mean_image: np.ndarray, loss: str,
           reg: float, delta: float) -> "Objective":
        flat = images.reshape(len(images), -1).astype(np.float64) - mean_image.reshape(-1)
        inputs = np.hstack([flat, np.ones((len(flat), 1))])
        return cls(inputs, np.asarray(labels).reshape(-1).astype(np.int64), loss, reg, delta)

    def first(self, n: int) -> "Objective":
        """The same loss over the first n training images only."""
        return Objective(self.inputs[:n], self.labels[:n], self.loss, self.reg, self.delta)

    @property
    def shape(self) -> tuple[int, int]:
        """W's shape: (pixels + 1, classes)."""
        return self.inputs.shape[1], int(self.labels.max()) + 1

    def batch_size(self, classes: int) -> int:
        return max(1, BATCH_BYTES // (8 * len(self.labels) * classes))

    def __call__(self, weights: np.ndarray) -> np.ndarray:
        """The loss of each W in a stack (K, D + 1, C): K evaluations, returned as (K,)."""
        scores = np.matmul(self.inputs, weights)  # (K, N, C): every image under every W
        correct = np.take_along_axis(scores, self.labels[None, :, None], axis=2)[..., 0]  # (K, N)
        if self.loss == "softmax":
            top = scores.max(axis=2)
            logsumexp = top + np.log(np.exp(scores - top[..., None]).sum(axis=2))
            data = (logsumexp - correct).mean(axis=1)
        else:
            margins = np.maximum(0.0, scores - correct[..., None] + self.delta)
            data = (margins.sum(axis=2) - self.delta).mean(axis=1)  # the j = y term is delta
        kernel = weights[:, :-1, :]
        return data + self.reg * np.einsum("kdc,kdc->k", kernel, kernel)

    def losses(self, weights: np.ndarray) -> np.ndarray:
        """As calling it, in batches small enough for memory."""
        step = self.batch_size(weights.shape[2])
        return np.concatenate([self(weights[i:i + step]) for i in range(0, len(weights), step)])

    def one(self, W: np.ndarray) -> float:
        return float(self(W[None])[0])


@dataclass(frozen=True)
class Search:
    """What a search found: its best W, the best loss after each evaluation, and the time."""

    method: str
    best: np.ndarray  # (D + 1, C)
    best_loss_by_evaluation: np.ndarray  # running minimum, one entry per evaluation
    seconds: float
    accepted: int = 0  # local search: the nudges that lowered the loss

    @property
    def evaluations(self) -> int:
        return len(self.best_loss_by_evaluation)

    @property
    def best_loss(self) -> float:
        return float(self.best_loss_by_evaluation[-1])


Tick = Callable[[int], None]  # told the evaluations done so far (a run's progress, its cancel)
# Local search tells its progress every this many evaluations.
TICK_EVERY = 100


def random_search(objective: Objective, evaluations: int, scale: float,
                  rng: np.random.Generator, tick: Tick = lambda done: None) -> Search:
    """Strategy 1: `evaluations` W drawn at scale * randn, the one with the lowest loss kept."""
    rows, classes = objective.shape
    step = objective.batch_size(classes)
    start = time.perf_counter()
    losses, best, best_loss = [], None, np.inf
    for done in range(0, evaluations, step):
        candidates = scale * rng.standard_normal((min(step, evaluations - done), rows, classes))
        batch = objective(candidates)
        losses.append(batch)
        k = int(np.argmin(batch))
        if batch[k] < best_loss:
            best, best_loss = candidates[k].copy(), float(batch[k])
        tick(done + len(batch))
    seconds = time.perf_counter() - start
    return Search("random_search", best, np.minimum.accumulate(np.concatenate(losses)), seconds)


def local_search(objective: Objective, evaluations: int, scale: float, step_size: float,
                 rng: np.random.Generator, tick: Tick = lambda done: None) -> Search:
    """Strategy 2: from one W at scale * randn, try W + step_size * randn and move there
    whenever the loss drops; the starting point is the first of the `evaluations`."""
    rows, classes = objective.shape
    start = time.perf_counter()
    W = scale * rng.standard_normal((rows, classes))
    best_loss = objective.one(W)
    curve = np.empty(evaluations)
    curve[0], accepted = best_loss, 0
    # Each try depends on the last one kept: one evaluation at a time.
    for i in range(1, evaluations):
        trial = W + step_size * rng.standard_normal((rows, classes))
        loss = objective.one(trial)
        if loss < best_loss:
            W, best_loss, accepted = trial, loss, accepted + 1
        curve[i] = best_loss
        if (i + 1) % TICK_EVERY == 0:
            tick(i + 1)
    tick(evaluations)
    return Search("local_search", W, curve, time.perf_counter() - start, accepted)
