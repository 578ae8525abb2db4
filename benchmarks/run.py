"""Run every benchmark on this machine and print one Markdown table (also saved as JSON).

    python -m benchmarks.run                # full
    python -m benchmarks.run --quick        # under 3 minutes on 2 cores
    python -m benchmarks.run --only knn     # one case (repeatable)
"""

from __future__ import annotations

import argparse
import json
import platform
from dataclasses import asdict
from pathlib import Path

from benchmarks import generation, knn, overhead, startup, throughput, training

# One module per case, each with measure(quick) -> list[Row]; the table keeps this order.
CASES = {"generation": generation, "knn": knn, "overhead": overhead, "startup": startup,
         "throughput": throughput, "training": training}


def machine() -> str:
    import os

    from workbench.running import devices

    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; run device: {devices.run_device()}"


def table(rows) -> str:
    lines = ["| case | ours | alternative | ratio | unit | budget |", "|---|---|---|---|---|---|"]
    for r in rows:
        alternative = "-" if r.alternative is None else f"{_number(r.alternative)} ({r.alternative_label})"
        ratio = "-" if r.ratio is None else _times(r.ratio)
        budget = f">= {r.budget:g}x: {r.verdict}" if r.budget is not None and r.ratio is not None else ""
        lines.append(f"| {r.case} | {_number(r.ours)} ({r.ours_label}) | {alternative} | {ratio} "
                     f"| {r.unit} | {budget} |")
    return "\n".join(lines)


def _number(value: float) -> str:
    """Thousands separated above 1,000 (12,345), four significant digits below (0.1234)."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def _times(ratio: float) -> str:
    """A ratio precise enough to read against its budget: 813.8x, 4.12x, 0.97x."""
    return f"{ratio:,.1f}x" if ratio >= 10 else f"{ratio:.2f}x"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    parser.add_argument("--only", action="append", choices=list(CASES), metavar="CASE",
                        help=f"run only this case (repeatable): {', '.join(CASES)}")
    parser.add_argument("--json", default="benchmarks/results/latest.json", help="where to write JSON")
    args = parser.parse_args()
    chosen = [name for name in CASES if not args.only or name in args.only]
    rows = [row for name in chosen for row in CASES[name].measure(args.quick)]
    print(f"machine: {machine()}\n")
    print(table(rows))
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": machine(), "quick": args.quick, "cases": chosen,
                               "rows": [{**asdict(r), "ratio": r.ratio, "verdict": r.verdict} for r in rows]},
                              indent=2))


if __name__ == "__main__":
    main()
