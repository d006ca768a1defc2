"""The dashboard right after a burst: its 60- and 15-minute views just after 1,000,000 entries arrived within one
hour, against the same views of the same server when it held 10,000 (issue 23).

    .venv/bin/python bench/dashboard_burst.py [--backend sqlite|clickhouse|both] [--burst 1000000] [--rounds 30]

A real `loglens serve` on a fresh store (SQLite, or a clickhouse-server started here) takes 10,000 entries over
bulk NDJSON (1,000 per request, 4 connections), all with event times within the last hour (20 services, 50,000
users); GET /api/advanced-dashboard-data?minutes=60 and ?minutes=15 are timed --rounds times each. Then the burst
arrives the same way and, as soon as its last request is acknowledged, the same requests are timed again. Target:
each view after the burst within 1.5x of its cost at 10,000 entries, or 15 ms more. Figures are printed, never
asserted.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402
from tests.support.live import LiveServer  # noqa: E402

from loglens.model import iso_from_ms  # noqa: E402

SERVICES = 20
USERS = 50_000
PER_REQUEST = 1000
CONNECTIONS = 4
BASELINE = 10_000
VIEWS = (("60 min", 60), ("15 min", 15))
LEVELS = ["DEBUG", "INFO", "INFO", "INFO", "INFO", "INFO", "WARNING", "ERROR", "CRITICAL"]


def bodies(count: int, end_ms: int, seed: int) -> list[bytes]:
    """`count` entries with event times moving forward through the hour before `end_ms`, as NDJSON bodies."""
    rnd = random.Random(seed)
    out, lines = [], []
    start = end_ms - 3_600_000
    for i in range(count):
        ts = start + i * 3_600_000 // count + rnd.randrange(0, 500)
        entry = {
            "timestamp": iso_from_ms(min(ts, end_ms - 1)),
            "level": rnd.choice(LEVELS),
            "service": f"svc-{rnd.randrange(SERVICES):02d}",
            "message": f"request {rnd.randrange(1_000_000)} handled in {rnd.randrange(1, 2000)} ms",
            "user_id": f"user-{rnd.randrange(USERS)}",
            "metadata": {"processing_time_ms": rnd.randrange(1, 2000)},
        }
        lines.append(orjson.dumps(entry))
        if len(lines) == PER_REQUEST:
            out.append(b"\n".join(lines) + b"\n")
            lines = []
    if lines:
        out.append(b"\n".join(lines) + b"\n")
    return out


def send(url: str, payloads: list[bytes]) -> float:
    """POST every body to /api/logs/bulk over CONNECTIONS threads; returns the seconds it took."""
    pending = list(reversed(payloads))
    lock = threading.Lock()
    errors: list[str] = []

    def worker() -> None:
        while True:
            with lock:
                if not pending or errors:
                    return
                body = pending.pop()
            request = urllib.request.Request(url + "/api/logs/bulk", data=body, method="POST")
            request.add_header("Content-Type", "application/x-ndjson")
            with urllib.request.urlopen(request, timeout=120) as response:
                if response.status not in (200, 201, 202):
                    errors.append(f"{response.status}")
                response.read()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(CONNECTIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"bulk ingest failed: {errors[:5]}")
    return time.perf_counter() - started


def views(url: str, rounds: int) -> dict[str, tuple[float, float]]:
    out = {}
    for label, minutes in VIEWS:
        samples = []
        for _ in range(rounds):
            started = time.perf_counter()
            with urllib.request.urlopen(f"{url}/api/advanced-dashboard-data?minutes={minutes}", timeout=60) as r:
                r.read()
            samples.append((time.perf_counter() - started) * 1000)
        ordered = sorted(samples)
        out[label] = (statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))])
    return out


@contextmanager
def server_config(backend: str, tmp: Path) -> Iterator[dict[str, Any]]:
    base: dict[str, Any] = {"storage": {"integrity_check": "off"}, "auth": {"ingest_rate": 0}}
    if backend == "sqlite":
        yield base
        return
    from tests.support.clickhouse import ClickHouseServer

    with ClickHouseServer(tmp / "clickhouse") as ch:
        yield {
            **base,
            "storage": {
                **base["storage"],
                "backend": "clickhouse",
                "clickhouse": {"port": ch.tcp_port, "database": "burst"},
            },
        }


def run(backend: str, burst: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="loglens-burst-") as name, server_config(backend, Path(name)) as config:
        end_ms = int(time.time() * 1000) + 60_000  # event times stay within the last hour while this runs
        first, second = bodies(BASELINE, end_ms, 1), bodies(burst, end_ms, 2)
        with LiveServer(Path(name) / "srv", config) as server:
            send(server.url, first)
            views(server.url, 3)  # warm-up
            before = views(server.url, rounds)
            seconds = send(server.url, second)
            after = views(server.url, rounds)
    print(f"\n{backend}: {burst:,} entries in {seconds:.0f} s ({burst / seconds:,.0f}/s), then at once:")
    print(f"| view | {BASELINE:,} entries p50 / p99 | after the burst p50 / p99 | ratio | target |")
    print("|---|---:|---:|---:|---|")
    for label, _ in VIEWS:
        (b50, b99), (a50, a99) = before[label], after[label]
        met = "met" if a50 <= max(1.5 * b50, b50 + 15) else "MISSED"
        print(f"| {label} | {b50:.1f} / {b99:.1f} ms | {a50:.1f} / {a99:.1f} ms | {a50 / b50:.2f}x | {met} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "clickhouse", "both"), default="both")
    parser.add_argument("--burst", type=int, default=1_000_000, help="entries of the burst")
    parser.add_argument("--rounds", type=int, default=30, help="requests per view")
    args = parser.parse_args()
    backends = ["sqlite", "clickhouse"] if args.backend == "both" else [args.backend]
    if "clickhouse" in backends:
        from tests.support.clickhouse import available

        if not available():
            print("bench/dashboard_burst.py: clickhouse-server not installed (make system-deps): ClickHouse skipped")
            backends.remove("clickhouse")
    for backend in backends:
        run(backend, args.burst, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
