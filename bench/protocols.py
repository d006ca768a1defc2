"""`make bench`: the shippers' protocols against NDJSON bulk, on one real `loglens serve` (Granian), in one run.

    .venv/bin/python bench/protocols.py [--rounds 3] [--seconds 4]

The same simulated entries, 1,000 per request over 4 keep-alive connections (bench/load.py in its own process), as
  NDJSON      POST /api/logs/bulk
  Loki JSON   POST /loki/api/v1/push (streams by service and level, each line a JSON object with the metadata)
  Loki proto  the same as a snappy-compressed protobuf PushRequest, as Promtail sends it
  ES bulk     POST /elasticsearch/_bulk (a create action and an ECS-style document per entry)
Each round runs every scenario, starting one further along each round, so a drift of the machine hits all alike.
Prints entries/s per scenario (the median over rounds) and its ratio to NDJSON bulk (the median of each round's
ratio, so that drift between rounds cancels out; the target is >= 0.8x).
Nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402
from tests.support.live import LiveServer  # noqa: E402

SCENARIOS = [  # (title, load.py scenario)
    ("NDJSON bulk x1000", "bulk"),
    ("Loki JSON x1000", "loki-json"),
    ("Loki protobuf+snappy x1000", "loki-protobuf"),
    ("ES _bulk x1000", "es-bulk"),
]
CONNECTIONS = 4


def drive(port: int, scenario: str, seconds: float) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench.load", "--port", str(port), "--scenario", scenario]
    cmd += ["--concurrency", str(CONNECTIONS), "--seconds", str(seconds)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise RuntimeError(f"load client failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = orjson.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4.0)
    args = parser.parse_args()
    rates: dict[str, list[float]] = {title: [] for title, _ in SCENARIOS}
    statuses: dict[str, dict[str, int]] = {title: {} for title, _ in SCENARIOS}
    print(
        f"Shipper protocols vs NDJSON bulk: granian, {CONNECTIONS} connections, {args.seconds:g} s per scenario,"
        f" {args.rounds} rounds (median)",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="loglens-bench-protocols-") as tmp, LiveServer(Path(tmp)) as server:
        for round_number in range(args.rounds):
            order = SCENARIOS[round_number % len(SCENARIOS) :] + SCENARIOS[: round_number % len(SCENARIOS)]
            for title, scenario in order:
                result = drive(server.port, scenario, args.seconds)
                rates[title].append(result["entries_per_s"])
                print(f"  round {round_number + 1} {title}: {result['entries_per_s']:,.0f} entries/s", flush=True)
                for status, count in result["statuses"].items():
                    statuses[title][status] = statuses[title].get(status, 0) + count
                if result["errors"]:
                    print(f"  {title}: {result['errors']}", flush=True)
    base = rates[SCENARIOS[0][0]]
    print(f"{'scenario':<28} {'entries/s':>11} {'x NDJSON':>9}  statuses")
    for title, _ in SCENARIOS:
        rate = statistics.median(rates[title])
        # each round's ratio to NDJSON in the same round (the machine drifts less within a round), median of those
        ratio = statistics.median(r / b if b else 0.0 for r, b in zip(rates[title], base, strict=True))
        verdict = "" if title == SCENARIOS[0][0] else ("  met >= 0.8x" if ratio >= 0.8 else "  NOT met >= 0.8x")
        shown = ",".join(f"{k}:{v}" for k, v in sorted(statuses[title].items()))
        print(f"{title:<28} {rate:>11,.0f} {ratio:>9.2f}  {shown}{verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
