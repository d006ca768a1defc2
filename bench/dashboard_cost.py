"""What one dashboard refresh costs the server, at 100k and at 10M entries in the last hour.

For each volume, fills a fresh embedded store through the store's own write path (SQLiteStore.write, 10,000
entries per batch): N entries within the last hour from 50 services and 100,000 users (user ids log-uniform, so
a few are busy and most are rare), plus 24 hours of lighter traffic before it (200,000 entries). Then starts a real
`loglens serve` on it and times GET /api/advanced-dashboard-data (the page's only request per refresh) for each
range the dashboard offers. Prints p50 / p99 per range at each volume, and the ratio big / small.

Target (issue 11): every range <= 50 ms p50 at 10M in an hour, and <= 1.5x its cost at 100k.

    .venv/bin/python bench/dashboard_cost.py [--volumes 100000,10000000] [--rounds 30]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.live import LiveServer  # noqa: E402

from loglens.model import Entry, iso_from_ms  # noqa: E402
from loglens.store.sqlite import SQLiteStore  # noqa: E402
from loglens.validation import StatsDelta  # noqa: E402

LEVELS = ["DEBUG", "INFO", "INFO", "INFO", "INFO", "INFO", "INFO", "WARNING", "ERROR", "CRITICAL"]
SERVICES = 50
USERS = 100_000
BACKGROUND = 200_000  # entries over the 24 hours before the last hour
BATCH = 10_000
RANGES = [("15m", 15), ("30m", 30), ("1h", 60), ("6h", 360), ("24h", 1440), ("7d", 10080)]
MAX_LOGS = 50_000_000  # no eviction while filling


def entries(rng: random.Random, count: int, start_ms: int, span_ms: int, now_ms: int) -> list[Entry]:
    out = []
    for _ in range(count):
        ts = start_ms + int(rng.random() * span_ms)
        out.append(
            Entry(
                ts_ms=ts,
                received_ms=now_ms,
                timestamp=iso_from_ms(ts),
                level=LEVELS[int(rng.random() * len(LEVELS))],
                service=f"service-{int(rng.random() * SERVICES)}",
                message="request handled",
                user_id=f"user-{int(USERS ** rng.random())}",  # log-uniform: user-1 busiest
                metadata=None,
            )
        )
    out.sort(key=lambda e: e.ts_ms)  # as a shipper's batch roughly is
    return out


def fill(path: Path, in_hour: int) -> float:
    """Two threads build and submit batches, so that one builds (Python) while the writer commits (SQLite)."""
    store = SQLiteStore(str(path), max_logs=MAX_LOGS, synchronous="NORMAL")
    now_ms = int(time.time() * 1000)
    hour_ms, day_ms = 3_600_000, 86_400_000
    jobs = [
        (
            now_ms - hour_ms - day_ms + lo * day_ms // BACKGROUND,
            day_ms * BATCH // BACKGROUND,
            min(BATCH, BACKGROUND - lo),
        )
        for lo in range(0, BACKGROUND, BATCH)
    ] + [
        (now_ms - hour_ms + lo * hour_ms // in_hour, hour_ms * BATCH // in_hour, min(BATCH, in_hour - lo))
        for lo in range(0, in_hour, BATCH)  # time moves forward through the hour
    ]

    def write(job: tuple[int, int, int], seed: int) -> None:
        begin, span, n = job
        store.write(entries(random.Random(seed), n, begin, span, now_ms), StatsDelta(valid=n))

    start = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        for _ in pool.map(write, jobs, range(len(jobs))):
            pass
    # a live server's word indexer trails its writes by under a second; this fill outruns it, so index the rest
    # now rather than have it compete with the measured requests for the first minutes
    store.refresh()
    store.close()
    return time.perf_counter() - start


def measure(data: Path, rounds: int) -> dict[str, tuple[float, float, int]]:
    out = {}
    # the startup integrity check has its own benchmark (bench/startup_check.py): here it would run beside us
    config = {
        "storage": {"max_logs": MAX_LOGS, "integrity_check": "off"},
        "alerting": {"check_interval_seconds": 3600},
    }
    with LiveServer(data, config) as server:
        for label, minutes in RANGES:
            url = f"{server.url}/api/advanced-dashboard-data?minutes={minutes}"
            times, size = [], 0
            for _ in range(rounds + 2):
                t0 = time.perf_counter()
                with urllib.request.urlopen(url, timeout=60) as response:
                    size = len(response.read())
                times.append((time.perf_counter() - t0) * 1000)
            times = sorted(times[2:])  # two warm-up requests
            p99 = times[min(len(times) - 1, round(len(times) * 0.99) - 1)]
            out[label] = (statistics.median(times), p99, size)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--volumes", default="100000,10000000", help="entries in the last hour, comma-separated")
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    volumes = [int(v) for v in args.volumes.split(",")]
    results = {}
    with tempfile.TemporaryDirectory(prefix="loglens-bench-") as tmp:
        for volume in volumes:
            data = Path(tmp) / f"v{volume}"
            data.mkdir()
            seconds = fill(data / "loglens.db", volume)
            size = (data / "loglens.db").stat().st_size
            print(
                f"filled {volume:,} entries in the last hour + {BACKGROUND:,} over the 24 h before "
                f"({SERVICES} services, {USERS:,} users) in {seconds:.0f} s; store {size / 1e6:,.0f} MB",
                flush=True,
            )
            results[volume] = measure(data, args.rounds)
            for f in data.iterdir():
                f.unlink()
    print(f"\nGET /api/advanced-dashboard-data, {args.rounds} requests per range, server time in ms")
    head = f"{'range':>6}" + "".join(f" {f'{v:,} p50':>13} {f'{v:,} p99':>13}" for v in volumes)
    if len(volumes) > 1:
        head += f" {'p50 ratio':>10}"
    print(head)
    verdicts = []
    for label, _ in RANGES:
        line = f"{label:>6}"
        for v in volumes:
            p50, p99, _ = results[v][label]
            line += f" {p50:>13.1f} {p99:>13.1f}"
        if len(volumes) > 1:
            small, big = results[volumes[0]][label][0], results[volumes[-1]][label][0]
            ratio = big / small
            line += f" {ratio:>9.2f}x"
            verdicts.append(big <= 50 and ratio <= 1.5)
        print(line)
    if verdicts:
        met = "met" if all(verdicts) else "NOT met"
        print(f"\ntarget every range <= 50 ms p50 at {volumes[-1]:,} and <= 1.5x its cost at {volumes[0]:,}: {met}")


if __name__ == "__main__":
    main()
