"""What one dashboard refresh costs the server with 1 million stored logs.

Fills a fresh embedded store with N entries spread over the last 24 hours (20 services, 500 users), starts a
real `loglens serve` on it, and times GET /api/advanced-dashboard-data (the page's only request per refresh)
for each range the dashboard offers. Prints requests, bytes and server time per refresh.

    .venv/bin/python bench/dashboard_cost.py [--entries 1000000] [--rounds 30]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.live import LiveServer  # noqa: E402

from loglens.model import Entry, iso_from_ms  # noqa: E402
from loglens.store.sqlite import SQLiteStore  # noqa: E402
from loglens.validation import StatsDelta  # noqa: E402

LEVELS = ["DEBUG", "INFO", "INFO", "INFO", "INFO", "WARNING", "ERROR", "CRITICAL"]


def fill(path: Path, count: int) -> float:
    rng = random.Random(7)
    store = SQLiteStore(str(path))
    now_ms = int(time.time() * 1000)
    start = time.perf_counter()
    batch = 5000
    for offset in range(0, count, batch):
        entries = []
        for i in range(offset, min(count, offset + batch)):
            ts = now_ms - int((count - i) / count * 86_400_000)
            entries.append(
                Entry(
                    ts_ms=ts,
                    received_ms=now_ms,
                    timestamp=iso_from_ms(ts),
                    level=rng.choice(LEVELS),
                    service=f"service-{rng.randrange(20)}",
                    message=f"request {i} handled in {rng.randrange(500)} ms",
                    user_id=f"user-{rng.randrange(500)}",
                    metadata={"request_id": f"req-{i}", "processing_time_ms": rng.random() * 300},
                )
            )
        store.write(entries, StatsDelta(valid=len(entries)))
    store.close()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="loglens-bench-") as tmp:
        data = Path(tmp) / "srv"
        data.mkdir()
        seconds = fill(data / "loglens.db", args.entries)
        size = (data / "loglens.db").stat().st_size
        print(f"filled {args.entries:,} entries in {seconds:.1f}s; store {size / 1e6:.0f} MB", flush=True)
        # the startup integrity check has its own benchmark (bench/startup_check.py); here it would run in the
        # background and compete with the requests measured
        config = {"server": {"max_body_bytes": 10_485_760}, "storage": {"integrity_check": "off"}}
        with LiveServer(data, config) as server:
            print(f"{'range':>6} {'requests':>8} {'bytes':>9} {'p50 ms':>8} {'p90 ms':>8} {'max ms':>8}")
            for label, minutes in [("15m", 15), ("30m", 30), ("1h", 60), ("6h", 360), ("24h", 1440)]:
                url = f"{server.url}/api/advanced-dashboard-data?minutes={minutes}"
                times, size = [], 0
                for _ in range(args.rounds):
                    t0 = time.perf_counter()
                    with urllib.request.urlopen(url, timeout=30) as response:
                        size = len(response.read())
                    times.append((time.perf_counter() - t0) * 1000)
                times.sort()
                p50 = statistics.median(times)
                p90 = times[int(len(times) * 0.9) - 1]
                print(f"{label:>6} {1:>8} {size:>9,} {p50:>8.1f} {p90:>8.1f} {times[-1]:>8.1f}")


if __name__ == "__main__":
    main()
