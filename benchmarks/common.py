"""Timing helpers: warm up, repeat, report the median; and the Row every case returns."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Row:
    """One line of the table: ours against an alternative measured in the same run, or a
    plain figure (a throughput) when `alternative` is None, which has no ratio or budget."""

    case: str
    ours: float
    unit: str
    ours_label: str
    alternative: float | None = None
    alternative_label: str = ""
    higher_is_better: bool = True
    budget: float | None = None  # the ratio ours must reach (in the better direction)

    @property
    def ratio(self) -> float | None:
        """How many times better ours is than the alternative (> 1: ours wins)."""
        if self.alternative is None:
            return None
        if self.higher_is_better:
            return self.ours / self.alternative
        return self.alternative / self.ours

    @property
    def verdict(self) -> str:
        if self.budget is None or self.ratio is None:
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


def median_seconds_paired(a: Callable[[], object], b: Callable[[], object], repeats: int,
                          warmup: int = 1) -> tuple[float, float]:
    """Median time of `a` and of `b`, run alternately (a b, b a, a b, ...): a slow spell on
    a shared machine then lands on both sides rather than on whichever ran during it, and
    neither side always runs first."""
    for _ in range(warmup):
        a()
        b()
    times: dict[int, list[float]] = {0: [], 1: []}
    for i in range(repeats):
        for side in ((0, 1) if i % 2 == 0 else (1, 0)):
            started = time.perf_counter()
            (a, b)[side]()
            times[side].append(time.perf_counter() - started)
    return statistics.median(times[0]), statistics.median(times[1])
