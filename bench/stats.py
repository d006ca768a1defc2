"""`make bench` aggregation benchmark: the questions of issue 23 (histograms, stats, timecharts, facets, patterns)
at 10M (and 1M) stored entries over 24 h, on the embedded store and on ClickHouse.

    .venv/bin/python bench/stats.py [--entries 10000000] [--backend sqlite|clickhouse|both] [--rounds 10]

The store holds `--entries` entries over the 24 hours before it was filled: 20 services, 100,000 users, a message
from templates with variable words, metadata with a request id, `processing_time_ms` (1-2000), a status and (for
30%) a region; 2% of the entries arrive up to an hour late and about a tenth come in bursts that share one event
time. It is filled once through the store's own write path and cached under $LOGLENS_BENCH_DIR (default: the
system temp dir, loglens-bench-search/): the SQLite file, or the data directory of the clickhouse-server this
benchmark starts; never in git. A cached SQLite store is migrated on open like any other, so a schema change does
not refill it.

Each question is asked --rounds times (a different service / word per round where the question has one) through
the real API in process (Flask's test client on `create_app`), and p50 / p99 are printed beside the issue's
target and a floor measured in the same run: counting every stored entry with the backend's own `count()`.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402

from bench.search import BATCH, LATE_MS, LATE_SHARE, LEVEL_WEIGHTS, TABLES, TEMPLATES  # noqa: E402  the same entries
from loglens.app import create_app  # noqa: E402
from loglens.model import LEVELS, Entry, iso_from_ms  # noqa: E402
from loglens.state import loglens_of  # noqa: E402
from loglens.store import Store  # noqa: E402
from loglens.store.sqlite import SQLiteStore  # noqa: E402
from loglens.validation import StatsDelta  # noqa: E402

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
SERVICES = [f"svc-{i:02d}" for i in range(20)]
USERS = 100_000
CITIES = "berlin paris oslo rome lima quito cairo dakar hanoi seoul".split()
WORDS = ["shipped", "declined", "retries", "miss", "tenant"]  # free words of the histogram question, one per round
BURST_START = 0.0008  # chance that an entry starts a burst of 20-200 entries sharing its event time
DATA_SET = "stats1"  # names the generated shape in the cache: a changed shape fills a new store


def generate(count: int, end_ms: int, seed: int = 23) -> Iterator[list[Entry]]:
    """`count` entries arriving in order over the 24 h before `end_ms`, in batches of BATCH."""
    rnd = random.Random(seed)
    start_ms = end_ms - DAY_MS
    step = DAY_MS / count
    burst_left, burst_ts = 0, 0
    batch: list[Entry] = []
    for i in range(count):
        arrived = int(start_ms + i * step)
        if burst_left:
            burst_left -= 1
            ts = burst_ts
        else:
            ts = arrived - int(rnd.random() * 1000)
            if rnd.random() < LATE_SHARE:
                ts -= rnd.randint(0, LATE_MS)
            if rnd.random() < BURST_START:
                burst_left, burst_ts = rnd.randint(20, 200), ts
        template = rnd.choice(TEMPLATES)
        user = f"user-{rnd.randrange(USERS)}"
        ms = rnd.randint(1, 2000)
        status = rnd.choice((200, 200, 200, 201, 404, 500))
        message = template.format(
            table=rnd.choice(TABLES),
            n=rnd.randrange(1_000_000),
            n3=rnd.randrange(1000),
            status=status,
            ms=ms,
            user=user,
            city=rnd.choice(CITIES),
            r=rnd.randint(1, 5),
        )
        metadata: dict[str, Any] = {
            "request_id": f"req-{i:08x}{rnd.randrange(65536):04x}",
            "processing_time_ms": ms,
            "status": status,
        }
        if rnd.random() < 0.3:
            metadata["region"] = rnd.choice(("eu-west", "eu-north", "us-east", "ap-south"))
        level = rnd.choices(LEVELS, LEVEL_WEIGHTS)[0]
        service = SERVICES[min(len(SERVICES) - 1, int(len(SERVICES) * rnd.random() ** 1.5))]  # a few are busiest
        user_id = user if rnd.random() < 0.95 else None
        batch.append(Entry(ts, arrived + 50, iso_from_ms(ts), level, service, message, user_id, metadata))
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def bench_dir() -> Path:
    return Path(os.environ.get("LOGLENS_BENCH_DIR", Path(tempfile.gettempdir()) / "loglens-bench-search"))


def fill(store: Store, count: int, end_ms: int) -> None:
    started = time.monotonic()
    done = 0
    for batch in generate(count, end_ms):
        store.write(batch, StatsDelta(len(batch)))
        done += len(batch)
        if done % 1_000_000 == 0:
            print(f"  filled {done:,} entries ({done / (time.monotonic() - started):,.0f}/s)", flush=True)
    store.refresh()
    if isinstance(store, SQLiteStore):
        store.maintain()


def sqlite_store(count: int) -> tuple[Path, int]:
    """The cached SQLite store of `count` entries (filled now if missing) and the end of its range."""
    directory = bench_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"stats-{count}-{DATA_SET}.db"
    meta = path.with_suffix(".json")
    if meta.exists() and path.exists():
        return path, int(orjson.loads(meta.read_bytes())["end_ms"])
    for stale in directory.glob(f"{path.name}*"):
        stale.unlink()
    end_ms = int(time.time() * 1000) // 60_000 * 60_000
    started = time.monotonic()
    store = SQLiteStore(str(path), max_logs=count * 2, synchronous="NORMAL")
    try:
        fill(store, count, end_ms)
    finally:
        store.close()
    meta.write_bytes(orjson.dumps({"end_ms": end_ms, "count": count}))
    print(f"  (filled {count:,} in {time.monotonic() - started:.0f} s)", flush=True)
    return path, end_ms


@contextmanager
def clickhouse_server(count: int) -> Iterator[tuple[int, int]]:
    """A clickhouse-server on the cached data directory holding `count` entries (filled now if missing): its TCP
    port and the end of the range."""
    from tests.support.clickhouse import ClickHouseServer

    from loglens.store.clickhouse import ClickHouseStore, DriverConnection, Endpoint

    root = bench_dir() / f"stats-ch-{count}-{DATA_SET}"
    meta = root / "filled.json"
    if not meta.exists() and root.exists():
        shutil.rmtree(root)  # a fill that stopped half-way
    with ClickHouseServer(root) as server:
        if meta.exists():
            yield server.tcp_port, int(orjson.loads(meta.read_bytes())["end_ms"])
            return
        endpoint = Endpoint("127.0.0.1", server.tcp_port, "default", "")
        store = ClickHouseStore(lambda: DriverConnection(endpoint), database="stats", max_logs=count * 2)
        end_ms = int(time.time() * 1000) // 60_000 * 60_000
        started = time.monotonic()
        try:
            fill(store, count, end_ms)
        finally:
            store.close()
        meta.write_bytes(orjson.dumps({"end_ms": end_ms, "count": count}))
        print(f"  (filled {count:,} in {time.monotonic() - started:.0f} s)", flush=True)
        yield server.tcp_port, end_ms


@dataclass(frozen=True)
class Question:
    label: str
    target_ms: float
    path: Callable[[int, int], str]  # (round, end_ms) -> the request's path and query string


def _get(path: str, params: dict[str, Any]) -> str:
    return f"{path}?{urllib.parse.urlencode(params)}"


def _range(end_ms: int, hours: int) -> dict[str, str]:
    return {"from": iso_from_ms(end_ms - hours * HOUR_MS), "to": iso_from_ms(end_ms + 60_000)}


def questions() -> list[Question]:
    def stats(q: Callable[[int], str], hours: int) -> Callable[[int, int], str]:
        return lambda i, end: _get("/api/stats", {"q": q(i), **_range(end, hours)})

    return [
        Question("histogram `level:ERROR`, 24 h", 200, stats(lambda i: "level:ERROR | timechart count() by level", 24)),
        Question(
            "histogram of a free word, 24 h",
            500,
            stats(lambda i: f"{WORDS[i % len(WORDS)]} | timechart count() by level", 24),
        ),
        Question("`| stats count() by service`, 24 h", 200, stats(lambda i: "| stats count() by service", 24)),
        Question("`| timechart count() by level`, 24 h", 300, stats(lambda i: "| timechart count() by level", 24)),
        Question(
            "`service:X | stats p95(processing_time_ms) by level`, 1 h",
            1000,
            stats(lambda i: f"service:{SERVICES[i % 10]} | stats p95(metadata.processing_time_ms) by level", 1),
        ),
        Question(
            "facets of `service:X`, 1 h",
            500,
            lambda i, end: _get("/api/facets", {"q": f"service:{SERVICES[i % 10]}", **_range(end, 1)}),
        ),
        Question(
            "patterns of 10k sampled matches, 24 h",
            1000,
            lambda i, end: _get("/api/patterns", {"q": f"service:{SERVICES[i % 10]}", **_range(end, 24)}),
        ),
        Question(
            "`metadata.processing_time_ms>1990 service:svc-01`, page 1",
            50,
            lambda i, end: _get("/api/logs", {"q": "metadata.processing_time_ms>1990 service:svc-01", "limit": 100}),
        ),
    ]


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def floor_ms(backend: str, target: Any, rounds: int) -> tuple[float, float, int]:
    """Counting every stored entry with the backend's own count(): what reading nothing but the store costs."""
    samples, found = [], 0
    if backend == "sqlite":
        import sqlite3

        conn = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
        for _ in range(rounds):
            started = time.perf_counter()
            found = conn.execute("SELECT count(*) FROM logs").fetchone()[0]
            samples.append((time.perf_counter() - started) * 1000)
        conn.close()
    else:
        from clickhouse_driver import Client

        client = Client("127.0.0.1", port=target)
        for _ in range(rounds):
            started = time.perf_counter()
            found = client.execute("SELECT count() FROM stats.logs")[0][0]
            samples.append((time.perf_counter() - started) * 1000)
        client.disconnect()
    return (*percentiles(samples), int(found))


def measure(config: dict[str, Any], end_ms: int, rounds: int) -> list[Row]:
    app = create_app(config, start_jobs=False)
    client = app.test_client()
    out = []
    try:
        for question in questions():
            samples, note = [], ""
            for i in range(rounds + 1):  # the first is a warm-up
                path = question.path(i, end_ms)
                started = time.perf_counter()
                response = client.get(path)
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    raise RuntimeError(f"{path}: {response.status_code} {response.get_data(as_text=True)[:300]}")
                body = response.get_json()
                if i:
                    samples.append(elapsed)
                if body.get("complete") is False:
                    note = "incomplete"
                if "sampled" in body:
                    note = f"{body['sampled']:,} sampled"
            out.append((question, *percentiles(samples), note))
            p50, p99 = out[-1][1], out[-1][2]
            print(f"    {question.label:<58} {p50:>9.1f} {p99:>9.1f}", flush=True)
    finally:
        loglens_of(app).close()
    return out


Row = tuple[Question, float, float, str]


def table(backend: str, count: int, floor: tuple[float, float, int], rows: list[Row]) -> None:
    """A Markdown table (docs/performance.md takes it as printed)."""
    print(f"\n{backend}, {count:,} entries over 24 h: p50 / p99 ms (floor: count() of all {floor[2]:,} entries)")
    print("| question | p50 | p99 | target (p50) | |\n|---|---:|---:|---:|---|")
    print(f"| floor: `count()` of the whole store | {floor[0]:.1f} | {floor[1]:.1f} | | |")
    for question, p50, p99, note in rows:
        met = "met" if p50 <= question.target_ms else "MISSED"
        label = question.label.replace("|", "\\|")
        print(f"| {label} | {p50:.1f} | {p99:.1f} | <= {question.target_ms:.0f} | {met} {note} |")
    print(flush=True)


def run(backend: str, count: int, rounds: int) -> None:
    started = time.monotonic()
    print(f"\n{backend}: {count:,} entries", flush=True)
    base: dict[str, Any] = {
        "alerting": {"check_interval_seconds": 3600},
        "search": {"query_timeout_seconds": 60},
    }
    if backend == "sqlite":
        path, end_ms = sqlite_store(count)
        config = {**base, "storage": {"path": str(path), "max_logs": count * 2, "integrity_check": "off"}}
        floor = floor_ms("sqlite", path, rounds)
        rows = measure(config, end_ms, rounds)
        table(backend, count, floor, rows)
    else:
        with clickhouse_server(count) as (port, end_ms):
            config = {
                **base,
                "storage": {
                    "backend": "clickhouse",
                    "max_logs": count * 2,
                    "clickhouse": {"port": port, "database": "stats"},
                },
            }
            floor = floor_ms("clickhouse", port, rounds)
            rows = measure(config, end_ms, rounds)
            table(backend, count, floor, rows)
    print(f"({time.monotonic() - started:.0f} s)", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, action="append", help="stored entries (repeatable; default 10000000)")
    parser.add_argument("--rounds", type=int, default=10, help="requests per question (after one warm-up)")
    parser.add_argument("--backend", choices=("sqlite", "clickhouse", "both"), default="both")
    parser.add_argument("--fill-only", action="store_true", help="fill (or find) the cached stores and stop")
    args = parser.parse_args()
    backends = ["sqlite", "clickhouse"] if args.backend == "both" else [args.backend]
    if "clickhouse" in backends:
        from tests.support.clickhouse import available

        if not available():
            print("bench/stats.py: clickhouse-server not installed (make system-deps): ClickHouse skipped")
            backends.remove("clickhouse")
    print(f"LogLens stats benchmark: {os.cpu_count()} CPUs; store cache {bench_dir()}", flush=True)
    for count in args.entries or [10_000_000]:
        for backend in backends:
            if args.fill_only:
                if backend == "sqlite":
                    sqlite_store(count)
                else:
                    with clickhouse_server(count):
                        pass
                continue
            run(backend, count, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
