"""How the residual lesson trains: a quick schedule for a CPU and the paper's (no Keras here)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Schedule:
    """What width/epochs/batch_size/learning_rate = 0 mean, and how training runs."""

    width: float
    epochs: int
    batch_size: int
    learning_rate: float
    sgd: bool  # SGD with momentum 0.9 and weight decay 1e-4 (else Adam)
    drops_at: tuple[float, ...]  # fractions of training where the learning rate is divided by 10
    pad: int  # random shifts of up to this many pixels (0: a tenth of the image)
    flips: bool  # mirror images at random (never for digits: a mirrored digit is another symbol)


SCHEDULES = {
    "quick": Schedule(0.5, 12, 64, 0.001, sgd=False, drops_at=(), pad=0, flips=False),
    # Section 4.2 of He et al.: 64k iterations of 128, divided by 10 at 32k and 48k.
    "paper": Schedule(1.0, 182, 128, 0.1, sgd=True, drops_at=(0.5, 0.75), pad=4, flips=True),
}
WEIGHT_DECAY = 1e-4  # the paper's 0.0001
