"""Run every benchmark on this machine and print one Markdown table (also saved as JSON).

    python -m benchmarks.run            # full
    python -m benchmarks.run --quick    # under 3 minutes on 2 cores
"""

from __future__ import annotations

import argparse
import json
import platform
from dataclasses import asdict
from pathlib import Path

from benchmarks import generation

CASES = [generation]


def machine() -> str:
    import os

    from workbench import devices

    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; run device: {devices.run_device()}"


def table(rows) -> str:
    lines = ["| case | ours | alternative | ratio | unit | budget |", "|---|---|---|---|---|---|"]
    for r in rows:
        budget = f">= {r.budget:g}x: {r.verdict}" if r.budget else ""
        lines.append(f"| {r.case} | {r.ours:,.4g} ({r.ours_label}) | {r.alternative:,.4g} "
                     f"({r.alternative_label}) | {r.ratio:,.1f}x | {r.unit} | {budget} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    parser.add_argument("--json", default="benchmarks/results/latest.json", help="where to write JSON")
    args = parser.parse_args()
    rows = [row for case in CASES for row in case.measure(args.quick)]
    print(f"machine: {machine()}\n")
    print(table(rows))
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": machine(), "quick": args.quick,
                               "rows": [{**asdict(r), "ratio": r.ratio} for r in rows]}, indent=2))


if __name__ == "__main__":
    main()
