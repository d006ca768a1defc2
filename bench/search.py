"""`make bench` search benchmark: query latency at 1M (and 10M) stored entries, and what the indexes cost ingest.

    .venv/bin/python bench/search.py --entries 1000000 [--entries 10000000] [--rounds 30]

Stores are filled directly through the store's write path (SQLiteStore.write, 20,000 entries per call) with a
realistic shape: 50 services, 100,000 users, a request id per entry, message templates with variable words, event
times over 7 days arriving mostly in order (2% up to an hour late, as shippers' retries, batching and clock skew
make them). A filled store is cached under $LOGLENS_BENCH_DIR (default: the system temp dir, loglens-bench-search/)
and reused by later runs; it is never in git. Each query runs --rounds times with a different user / service / word
/ request id each round; p50/p99 are of the store's search call. Then, on fresh stores in the same run: in-process
bulk ingest with and without the search indexes (storage.search_index), and a real `loglens serve` taking single
POSTs with and without them, plus the live-tail delay from a POST's 201 to the SSE event. Each round measures both
sides, the one without the indexes first in odd rounds and second in even ones, and prints its pair. Figures are
printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402

from loglens.model import LEVELS, Entry, iso_from_ms  # noqa: E402
from loglens.search.query import parse  # noqa: E402
from loglens.store import Store  # noqa: E402
from loglens.store.sqlite import SQLiteStore  # noqa: E402
from loglens.store.sqlite.migrations import SCHEMA_VERSION  # noqa: E402
from loglens.validation import StatsDelta  # noqa: E402

T = TypeVar("T")
DAY_MS = 86_400_000
SPAN_MS = 7 * DAY_MS
SERVICES = [f"svc-{name}" for name in ("auth", "payment", "orders", "search", "cart")] + [
    f"svc-{i:02d}" for i in range(45)
]
USERS = 100_000
CITIES = [f"city{c}" for c in ("berlin paris oslo rome lima quito cairo dakar hanoi seoul".split())] + [
    f"zone{i}" for i in range(40)
]
TABLES = ["orders", "users", "payments", "sessions", "carts", "items", "events", "audit"]
TEMPLATES = [
    "GET /api/{table}/{n} returned {status} in {ms} ms",
    "user {user} signed in from {city}",
    "payment {n} failed: card declined by issuer {city}",
    "cache miss for key {table}:{n}",
    "connection to db-{n3} timed out after {r} retries",
    "order {n} shipped to {city}",
    "slow query on table {table} took {ms} ms",
    "request {n} completed for tenant {city}",
]
LEVEL_WEIGHTS = [10, 70, 12, 6, 2]
BATCH = 20_000
LATE_SHARE = 0.02  # of the entries arrive late ...
LATE_MS = 3_600_000  # ... by up to an hour
DATA_SET = "late2"  # names the generated shape in the cache: a changed shape fills a new store


def generate(count: int, end_ms: int, seed: int = 7) -> Iterator[list[Entry]]:
    rnd = random.Random(seed)
    start_ms = end_ms - SPAN_MS
    step = SPAN_MS / count
    batch: list[Entry] = []
    for i in range(count):
        ts = int(start_ms + i * step + rnd.random() * 2000)
        if rnd.random() < LATE_SHARE:
            ts -= rnd.randint(0, LATE_MS)
        template = TEMPLATES[i % len(TEMPLATES)] if rnd.random() < 0.5 else rnd.choice(TEMPLATES)
        user = f"user-{rnd.randrange(USERS)}"
        ms = rnd.randint(1, 5000)
        message = template.format(
            table=rnd.choice(TABLES),
            n=rnd.randrange(1_000_000),
            n3=rnd.randrange(1000),
            status=rnd.choice((200, 200, 200, 404, 500)),
            ms=ms,
            user=user,
            city=rnd.choice(CITIES),
            r=rnd.randint(1, 5),
        )
        level = rnd.choices(LEVELS, LEVEL_WEIGHTS)[0]
        metadata = {"request_id": f"req-{i:08x}{rnd.randrange(65536):04x}", "processing_time_ms": ms}
        if rnd.random() < 0.3:
            metadata["region"] = rnd.choice(("eu-west", "eu-north", "us-east", "ap-south"))
        received = max(ts, start_ms + int(i * step)) + 50
        batch.append(Entry(ts, received, iso_from_ms(ts), level, rnd.choice(SERVICES), message, user, metadata))
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def bench_dir() -> Path:
    return Path(os.environ.get("LOGLENS_BENCH_DIR", Path(tempfile.gettempdir()) / "loglens-bench-search"))


def filled_store(count: int) -> tuple[SQLiteStore, int]:
    """A store with `count` entries (cached on disk between runs) and the end of its 7-day range (epoch ms)."""
    directory = bench_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"search-{count}-{DATA_SET}-v{SCHEMA_VERSION}.db"  # a new schema or shape fills a new store
    meta_path = path.with_suffix(".json")
    if meta_path.exists() and path.exists():
        end_ms = int(orjson.loads(meta_path.read_bytes())["end_ms"])
        return SQLiteStore(str(path), max_logs=count * 2, synchronous="NORMAL"), end_ms
    for stale in directory.glob(f"{path.name}*"):
        stale.unlink()
    store = SQLiteStore(str(path), max_logs=count * 2, synchronous="NORMAL")
    end_ms = fill(store, count)
    meta_path.write_bytes(orjson.dumps({"end_ms": end_ms, "count": count}))
    return store, end_ms


def fill(store: Store, count: int) -> int:
    """Write `count` generated entries through the store's write path; returns the end of their range."""
    end_ms = int(time.time() * 1000)
    started = time.monotonic()
    done = 0
    for batch in generate(count, end_ms):
        store.write(batch, StatsDelta(len(batch)))
        done += len(batch)
        if done % 1_000_000 == 0:
            store.refresh()
            print(f"  filled {done:,} entries ({done / (time.monotonic() - started):,.0f}/s)", flush=True)
    store.refresh()
    return end_ms


@contextmanager
def clickhouse_store(count: int) -> Iterator[tuple[Store, int]]:
    """A fresh ClickHouse store (Debian's clickhouse-server, started here) with `count` entries."""
    from tests.support.clickhouse import ClickHouseServer

    from loglens.store.clickhouse import ClickHouseStore, DriverConnection, Endpoint

    with tempfile.TemporaryDirectory(prefix="loglens-bench-ch-") as tmp, ClickHouseServer(Path(tmp)) as server:
        endpoint = Endpoint("127.0.0.1", server.tcp_port, "default", "")
        store = ClickHouseStore(lambda: DriverConnection(endpoint), database="search", max_logs=count * 2)
        try:
            yield store, fill(store, count)
        finally:
            store.close()


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered), p99


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return (time.perf_counter() - started) * 1000, result


def query_table(store: Store, end_ms: int, rounds: int) -> list[tuple[str, float, float, float]]:
    rnd = random.Random(99)
    week, day = end_ms - SPAN_MS, end_ms - DAY_MS

    def run(label: str, make: Callable[[int], tuple[str, int | None]]) -> tuple[str, float, float, float]:
        samples, found = [], 0
        for i in range(rounds):
            text, from_ms = make(i)
            ms, page = timed(lambda text=text, from_ms=from_ms: store.search(parse(text), from_ms=from_ms, limit=100))
            samples.append(ms)
            found += len(page.logs)
        p50, p99 = percentiles(samples)
        return label, p50, p99, found / rounds

    def request_id(_: int) -> tuple[str, int | None]:
        """The request id of some stored entry (found through a user, outside the timing)."""
        while True:
            logs = store.search(parse(f"user_id:user-{rnd.randrange(USERS)}"), limit=1).logs
            if logs:
                return f"metadata.request_id:{logs[0]['metadata']['request_id']}", None

    rows = [
        run("user_id:user-N, 7 days", lambda i: (f"user_id:user-{rnd.randrange(USERS)}", week)),
        run("level:ERROR service:S, 24 h", lambda i: (f"level:ERROR service:{rnd.choice(SERVICES)}", day)),
        run("free word (a city, ~0.2%)", lambda i: (rnd.choice(CITIES), None)),
        run("free word (common, ~12%)", lambda i: ("shipped", None)),
        run('phrase "timed out after N retries"', lambda i: (f'"timed out after {rnd.randint(1, 5)} retries"', None)),
        run("metadata.request_id:req-...", request_id),
        run("metadata.processing_time_ms>4990", lambda i: ("metadata.processing_time_ms>4990", None)),
        run("level>=WARNING (broad)", lambda i: ("level>=WARNING", None)),
    ]
    for query in ("", "level>=WARNING"):
        first, fiftieth = [], []
        for _ in range(max(3, rounds // 5)):
            after = None
            for page_no in range(1, 51):
                ms, page = timed(lambda after=after, query=query: store.search(parse(query), limit=100, after=after))
                if page_no == 1:
                    first.append(ms)
                if page_no == 50:
                    fiftieth.append(ms)
                after = page.next
        label = query or "everything"
        rows.append((f"{label}: page 1", *percentiles(first), 100.0))
        rows.append((f"{label}: page 50 via cursor", *percentiles(fiftieth), 100.0))
    return rows


def report(store: Store, end_ms: int, rounds: int) -> None:
    stored = store.totals().stored
    size = store.health(probe=False).size_bytes
    print(f"\n{stored:,} stored entries, {size / stored:.0f} bytes/entry on disk (indexes included)")
    print(f"{'query (limit 100)':<40} {'p50 ms':>8} {'p99 ms':>8} {'hits':>6}")
    for label, p50, p99, hits in query_table(store, end_ms, rounds):
        print(f"{label:<40} {p50:>8.1f} {p99:>8.1f} {hits:>6.0f}", flush=True)


def store_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def ingest_floor(search_index: bool, seconds: float) -> tuple[float, float]:
    """In-process bulk ingest (1,000 entries per write, fsync) into a fresh store: entries/s and bytes/entry."""
    batches = [
        b[i : i + 1000] for b in generate(40_000, int(time.time() * 1000), seed=3) for i in range(0, len(b), 1000)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ingest.db"
        store = SQLiteStore(str(path), search_index=search_index)
        done, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            batch = batches[(done // 1000) % len(batches)]
            store.write(batch, StatsDelta(len(batch)))
            done += len(batch)
        rate = done / (time.perf_counter() - started)
        store.close()
        return rate, store_bytes(path) / done


def alternated(measure: Callable[[bool, float], T], round_no: int, seconds: float) -> tuple[T, T]:
    """(without, with) the search indexes, measured in turn, the side measured first alternating by round: a machine
    that speeds up or slows down within a round then favours neither side."""
    if round_no % 2 == 0:
        plain = measure(False, seconds)
        return plain, measure(True, seconds)
    indexed = measure(True, seconds)
    return measure(False, seconds), indexed


def http_ingest(search_index: bool, seconds: float) -> tuple[float, float, list[float]]:
    """A real server: single POSTs/s (8 connections), bulk entries/s (4 connections), and live-tail delays (ms)."""
    from tests.support.live import LiveServer
    from tests.support.sse import SSEStream

    from bench.run import drive

    os.environ["BENCH_SECONDS"] = str(seconds)
    with tempfile.TemporaryDirectory() as tmp:
        config = {"storage": {"search_index": search_index}, "search": {"poll_seconds": 0.2}}
        with LiveServer(Path(tmp) / "srv", config) as server:
            single = drive(server.port, "single", 8)["requests_per_s"]
            bulk = drive(server.port, "bulk", 4)["entries_per_s"]
            delays: list[float] = []
            if search_index:
                delays = tail_delays(server.port, server.url, SSEStream, 15)
                with_tails.append(fifty_tails(server.port, server.url, SSEStream))
    return single, bulk, delays


with_tails: list[tuple[float, float]] = []  # (single POSTs/s, dashboard ms) with 50 tails attached


def fifty_tails(port: int, url: str, stream_type: Any) -> tuple[float, float]:
    """Single POSTs/s and the dashboard's latency while 50 live tails are open (each woken by every commit)."""
    import urllib.request

    from bench.run import drive

    streams = [stream_type(port, "/api/logs/stream?q=service:nothing-matches") for _ in range(50)]
    try:
        assert all(s.status == 200 for s in streams)
        rate = float(drive(port, "single", 8)["requests_per_s"])
        started = time.perf_counter()
        with urllib.request.urlopen(url + "/api/advanced-dashboard-data", timeout=30) as response:
            response.read()
        return rate, (time.perf_counter() - started) * 1000
    finally:
        for s in streams:
            s.close()


def tail_delays(port: int, url: str, stream_type: Any, count: int) -> list[float]:
    import urllib.request

    stream = stream_type(port, "/api/logs/stream?q=service:tail-bench")
    delays = []
    for i in range(count):
        body = {"timestamp": iso_from_ms(int(time.time() * 1000)), "level": "INFO", "service": "tail-bench"}
        body["message"] = f"tail {i}"
        request = urllib.request.Request(url + "/api/logs", data=orjson.dumps(body), method="POST")
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 201
        committed = time.perf_counter()
        event = stream.next_log(timeout=10)
        assert event.json()["message"] == f"tail {i}"
        delays.append((time.perf_counter() - committed) * 1000)
        time.sleep(random.random() * 0.2)
    stream.close()
    return delays


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, action="append", help="stored entries (repeatable; default 1000000)")
    parser.add_argument("--rounds", type=int, default=30, help="runs of each query")
    parser.add_argument("--ingest-seconds", type=float, default=4.0, help="seconds per ingest measurement")
    parser.add_argument("--ingest-rounds", type=int, default=6, help="alternating rounds of the ingest comparison")
    parser.add_argument("--no-ingest", action="store_true", help="skip the ingest comparison")
    parser.add_argument("--ingest-only", action="store_true", help="only the ingest comparison")
    parser.add_argument(
        "--backend", choices=("sqlite", "clickhouse"), default="sqlite", help="clickhouse: a fresh clickhouse-server"
    )
    args = parser.parse_args()
    print(f"LogLens search benchmark: {os.cpu_count()} CPUs; {args.backend}; store cache {bench_dir()}", flush=True)
    for count in [] if args.ingest_only else args.entries or [1_000_000]:
        started = time.monotonic()
        if args.backend == "clickhouse":
            with clickhouse_store(count) as (store, end_ms):
                print(f"(filled in {time.monotonic() - started:.0f} s)")
                report(store, end_ms, args.rounds)
        else:
            sqlite, end_ms = filled_store(count)
            try:
                report(sqlite, end_ms, args.rounds)
            finally:
                sqlite.close()
        print(f"({time.monotonic() - started:.0f} s)")
    if args.no_ingest or args.backend != "sqlite":  # storage.search_index is SQLite's
        return 0
    rounds = args.ingest_rounds
    print(f"\nIngest with and without the search indexes (fresh stores, same run, alternating, median of {rounds}):")
    seconds = args.ingest_seconds
    floors = [alternated(ingest_floor, r, seconds) for r in range(rounds)]
    without = statistics.median(w[0] for w, _ in floors)
    with_ = statistics.median(x[0] for _, x in floors)
    ratio = statistics.median(x[0] / w[0] for w, x in floors)
    print(
        f"  in-process bulk, 1,000/commit: without {without:,.0f}/s ({floors[0][0][1]:.0f} B/entry),"
        f" with {with_:,.0f}/s ({floors[0][1][1]:.0f} B/entry, small fresh store): {ratio:.2f}x (target >= 0.85x)"
    )
    runs = [alternated(http_ingest, r, seconds) for r in range(rounds)]
    for r, (plain_run, indexed_run) in enumerate(runs):
        print(
            f"    round {r + 1} ({'without first' if r % 2 == 0 else 'with first'}): single POSTs"
            f" {plain_run[0]:,.0f} / {indexed_run[0]:,.0f}/s ({indexed_run[0] / plain_run[0]:.2f}x), bulk"
            f" {plain_run[1]:,.0f} / {indexed_run[1]:,.0f}/s ({indexed_run[1] / plain_run[1]:.2f}x)"
        )
    for i, (name, target) in enumerate(
        (("HTTP single POSTs, 8 conns", 0.9), ("HTTP bulk NDJSON x1000, 4 conns", 0.85))
    ):
        plain = statistics.median(p[i] for p, _ in runs)
        indexed = statistics.median(x[i] for _, x in runs)
        ratio = statistics.median(x[i] / p[i] for p, x in runs)
        print(f"  {name}: without {plain:,.0f}/s, with {indexed:,.0f}/s: {ratio:.2f}x (target >= {target}x)")
    tails_rate = statistics.median(r for r, _ in with_tails)
    plain_single = statistics.median(x[0] for _, x in runs)
    print(
        f"  with 50 live tails attached: single POSTs {tails_rate:,.0f}/s ({tails_rate / plain_single:.2f}x of the"
        f" same server without them), dashboard answered in {statistics.median(ms for _, ms in with_tails):.0f} ms"
    )
    p50, p99 = percentiles([d for _, x in runs for d in x[2]])
    print(f"  live tail, POST 201 to SSE event: p50 {p50:.0f} ms, p99 {p99:.0f} ms (target <= 1000 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
