"""What silences cost a list of alerts: GET /api/alerts marks each firing alert with the active silence that holds
it (alerts/silences.py). Time to mark a page of firing alerts against N active silences, index built included,
the best of several runs (in process: the matching alone, no HTTP or store).

Each silence has a regular expression on service and an equality on severity that every alert meets: the worst
case for the index, where every alert hits every silence's equality matcher.

    python bench/silence_cost.py [--alerts 100] [--silences 10 100 1000] [--runs 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from loglens.alerts.silences import Matcher, Silence, mark  # noqa: E402

T0 = 1_767_225_600_000


def cost(alerts: int, silences: int, runs: int) -> float:
    held = [
        Silence(
            f"s{i}",
            (Matcher("service", "=~", f"svc-{i}.*"), Matcher("severity", "=", "critical")),
            T0,
            T0 + 3_600_000,
            "bench",
            "bench",
            T0,
        )
        for i in range(silences)
    ]
    firing = [
        {"rule": "error_rate", "service": f"svc-{i % 997}", "severity": "CRITICAL", "state": "firing"}
        for i in range(alerts)
    ]
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        mark(firing, held, T0 + 1)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--alerts", type=int, default=100)
    parser.add_argument("--silences", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    for n in args.silences:
        print(
            f"{args.alerts} firing alerts against {n} active silences: {cost(args.alerts, n, args.runs) * 1000:.1f} ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
