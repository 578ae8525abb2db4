"""Claims: what a lesson says a run will show, each judged on the run's own metrics.

A claim's `judge` reads the metrics and returns whether it holds and the numbers it was
judged on; the common shapes (a metric against a bound, two metrics in order, a metric
near a target) are written once here. Its words are English, looked up in the lesson's
catalogue (`workbench.course.wording`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from workbench.course.wording import in_language
from workbench.drawing.numbers import number


class MissingMetric(KeyError):
    """A claim names a metric the run did not report."""


def value(metrics: Mapping[str, Any], name: str) -> Any:
    if name not in metrics or metrics[name] is None:
        raise MissingMetric(name)
    return metrics[name]


@dataclass(frozen=True)
class Verdict:
    """One claim judged on one run: `measured` shows the numbers it was judged on."""

    text: str
    holds: bool
    measured: str
    why_not: str = ""  # when it does not hold: what may have kept it from holding

    def to_dict(self) -> dict[str, Any]:
        found = {"text": self.text, "holds": self.holds, "measured": self.measured}
        return found | ({"why_not": self.why_not} if not self.holds else {})

    def line(self) -> str:
        mark = "yes" if self.holds else "no"
        return f"{self.text}: {self.measured}: {mark}" + ("" if self.holds else f" ({self.why_not})")


Judge = Callable[[Mapping[str, Any]], tuple[bool, str]]  # metrics -> (holds, measured text)


@dataclass(frozen=True)
class Claim:
    """What the lesson says a run will show. `judge` reads the run's metrics and returns
    whether it holds and the measured numbers as text; `why_not` is what the learner is
    told when it does not (too few epochs, another seed), never a silent pass."""

    text: str
    judge: Judge
    why_not: str
    words = ("text", "why_not")

    def check(self, metrics: Mapping[str, Any], lang: str = "en") -> Verdict:
        try:
            holds, measured = self.judge(metrics)
        except MissingMetric as missing:
            holds, measured = False, f"not measured: the run reported no {missing.args[0]}"
        except (TypeError, ValueError) as exc:  # a metric of an unexpected kind
            holds, measured = False, f"not measured: {exc}"
        said = in_language(self, lang)
        return Verdict(said.text, bool(holds), measured, said.why_not)


# -- the common claims ------------------------------------------------------------------

_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
}


def finite(name: str, raw: Any) -> float:
    """`raw` as a float; ValueError (the claim is then "not measured") for NaN or inf."""
    x = float(raw)
    if not math.isfinite(x):
        raise ValueError(f"{name} is {number(x)}")
    return x


def scalar(metrics: Mapping[str, Any], name: str) -> float:
    """A single-number metric of the run, finite, for a claim's judge."""
    return finite(name, value(metrics, name))


def compares(name: str, op: str, bound: float, text: str, why_not: str, ) -> Claim:
    """metrics[name] `op` bound: `compares("train_accuracy", "==", 1.0, ...)`."""
    def judge(metrics):
        x = scalar(metrics, name)
        return _OPS[op](x, bound), f"{name} {number(x)} {op} {number(bound)}"

    return Claim(text, judge, why_not, )


def ordered(left: str, op: str, right: str, text: str, why_not: str, *,
            labels: tuple[str, str] | None = None) -> Claim:
    """Two metrics of one run: `ordered("residual_loss", "<", "plain_loss", ...)`, shown as
    `residual 0.067 < plain 0.21` with `labels`."""
    shown = labels or (left, right)

    def judge(metrics):
        a, b = scalar(metrics, left), scalar(metrics, right)
        return _OPS[op](a, b), f"{shown[0]} {number(a)} {op} {shown[1]} {number(b)}"

    return Claim(text, judge, why_not, )


def near(name: str, target: float, tolerance: float, text: str, why_not: str, *,
         relative: bool = True, target_words: str = "") -> Claim:
    """metrics[name] within `tolerance` of `target` (a share of it when `relative`);
    `target_words` names the target ("ln 10") in the measured text."""
    allowed = tolerance * abs(target) if relative else tolerance

    def judge(metrics):
        x = scalar(metrics, name)
        off = abs(x - target)
        about = f"{target_words} = {number(target)}" if target_words else number(target)
        share = f", {100 * off / abs(target):.1f}% off" if relative and target else ""
        return off <= allowed, f"{name} {number(x)} vs {about}{share}"

    return Claim(text, judge, why_not, )
