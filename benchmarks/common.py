"""Timing helpers: warm up, repeat, report the median."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Row:
    case: str
    ours: float
    alternative: float
    unit: str
    ours_label: str
    alternative_label: str
    higher_is_better: bool
    budget: float | None = None  # the ratio ours must reach (in the better direction)

    @property
    def ratio(self) -> float:
        if self.higher_is_better:
            return self.ours / self.alternative
        return self.alternative / self.ours

    @property
    def verdict(self) -> str:
        if self.budget is None:
            return ""
        return "met" if self.ratio >= self.budget else "MISSED"


def median_seconds(fn: Callable[[], object], repeats: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)
