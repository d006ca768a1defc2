"""`make bench` alert rules benchmark: what 50 query rules evaluated every 30 s cost, on a 1M-entry store.

    .venv/bin/python bench/alert_rules.py [--entries 1000000] [--rounds 10]

The store (SQLite, filled through its write path and cached under $LOGLENS_BENCH_DIR like bench/search.py's) holds
`--entries` entries over the last 24 hours (about 700 a minute at 1M): 50 services, 100,000 users, message
templates with variable words, a processing time in metadata, 2% of entries up to an hour late. The 50 rules mix
what teams write: per-service error counts, a phrase counted by service, per-service p95 latency, errors by
service over 15 minutes and average latency by level over an hour (the list is RULES below).

One round evaluates every rule once (what the evaluation job does every 30 s when every rule has `every: 30s`),
through the rule engine (alerts/query_engine.py): one aggregation per rule, the state machine, the alert rows.
Printed: CPU seconds per round (the evaluating thread's, where SQLite runs the queries; p50 of the rounds), that
as a share of one core at one round per 30 s, and the ratio to a floor measured in the same run: 50 plain
`| stats count()` aggregations over a 5 minute window. Figures are printed, never asserted.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402

from loglens.alerts.query_engine import QueryRuleEngine  # noqa: E402
from loglens.alerts.rule_spec import QueryRule, rule_from_body  # noqa: E402
from loglens.config import AlertingSettings  # noqa: E402
from loglens.model import LEVELS, Entry, iso_from_ms  # noqa: E402
from loglens.search.pipeline import parse_pipeline  # noqa: E402
from loglens.search.stats import answer  # noqa: E402
from loglens.store.sqlite import SQLiteStore  # noqa: E402
from loglens.store.sqlite.migrations import SCHEMA_VERSION  # noqa: E402
from loglens.validation import StatsDelta  # noqa: E402

DAY_MS = 86_400_000
SERVICES = [f"svc-{i:02d}" for i in range(50)]
USERS = 100_000
TEMPLATES = [
    "GET /api/orders/{n} returned {status} in {ms} ms",
    "user {user} signed in",
    "payment {n} failed: card declined by issuer",
    "cache miss for key items:{n}",
    "connection to db-{n3} timed out after {r} retries",
    "order {n} shipped",
    "slow query on table orders took {ms} ms",
]
LEVEL_WEIGHTS = [10, 70, 12, 6, 2]
BATCH = 20_000
INTERVAL_S = 30  # every rule's `every`
SHAPE = "day1"  # names the generated shape in the cache


def rules() -> list[QueryRule]:
    bodies = []
    for i in range(20):
        bodies.append({"query": f"service:svc-{i:02d} level>=ERROR | stats count()", "condition": "> 50"})
    for i in range(10):
        bodies.append({"query": '"card declined" | stats count() by service', "condition": f"> {20 + i}"})
    for i in range(10):
        bodies.append(
            {"query": f"service:svc-{20 + i:02d} | stats p95(metadata.processing_time_ms)", "condition": "> 4800"}
        )
    for i in range(5):
        bodies.append({"query": "level:ERROR | stats count() by service", "condition": f"> {200 + i}", "window": "15m"})
    for i in range(5):
        bodies.append(
            {
                "query": "| stats avg(metadata.processing_time_ms) by level",
                "condition": f"> {3000 + i}",
                "window": "1h",
            }
        )
    return [
        rule_from_body({"name": f"rule-{n:02d}", "window": "5m", "every": f"{INTERVAL_S}s", **body})
        for n, body in enumerate(bodies)
    ]


def generate(count: int, end_ms: int, seed: int = 24) -> Iterator[list[Entry]]:
    rnd = random.Random(seed)
    start_ms = end_ms - DAY_MS
    step = DAY_MS / count
    batch: list[Entry] = []
    for i in range(count):
        ts = int(start_ms + i * step + rnd.random() * 2000)
        if rnd.random() < 0.02:
            ts -= rnd.randint(0, 3_600_000)
        ms = rnd.randint(1, 5000)
        user = f"user-{rnd.randrange(USERS)}"
        message = rnd.choice(TEMPLATES).format(
            n=rnd.randrange(1_000_000),
            n3=rnd.randrange(1000),
            status=rnd.choice((200, 200, 404, 500)),
            ms=ms,
            user=user,
            r=rnd.randint(1, 5),
        )
        level = rnd.choices(LEVELS, LEVEL_WEIGHTS)[0]
        received = max(ts, start_ms + int(i * step)) + 50
        batch.append(
            Entry(ts, received, iso_from_ms(ts), level, rnd.choice(SERVICES), message, user, {"processing_time_ms": ms})
        )
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def filled_store(count: int) -> tuple[SQLiteStore, int]:
    directory = Path(os.environ.get("LOGLENS_BENCH_DIR", Path(tempfile.gettempdir()) / "loglens-bench-search"))
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"alert-rules-{count}-{SHAPE}-v{SCHEMA_VERSION}.db"
    meta = path.with_suffix(".json")
    if meta.exists() and path.exists():
        return SQLiteStore(str(path), max_logs=count * 2, synchronous="NORMAL"), int(
            orjson.loads(meta.read_bytes())["end_ms"]
        )
    for stale in directory.glob(f"{path.name}*"):
        stale.unlink()
    store = SQLiteStore(str(path), max_logs=count * 2, synchronous="NORMAL")
    end_ms = int(time.time() * 1000)
    started = time.monotonic()
    for n, batch in enumerate(generate(count, end_ms), 1):
        store.write(batch, StatsDelta(len(batch)))
        if n % 10 == 0:
            print(f"  filled {n * BATCH:,} entries ({n * BATCH / (time.monotonic() - started):,.0f}/s)", flush=True)
    store.refresh()
    meta.write_bytes(orjson.dumps({"end_ms": end_ms, "count": count}))
    return store, end_ms


def cpu_of(fn: Callable[[], None]) -> tuple[float, float, float]:
    """(CPU seconds of this thread, of the whole process, wall seconds) that calling fn took."""
    cpu, process, wall = time.thread_time(), time.process_time(), time.perf_counter()
    fn()
    return time.thread_time() - cpu, time.process_time() - process, time.perf_counter() - wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    print(f"alert rules: {args.entries:,} entries over 24 h (SQLite), 50 rules, one round every {INTERVAL_S} s")
    store, end_ms = filled_store(args.entries)
    try:
        the_rules = rules()
        engine = QueryRuleEngine(store, the_rules, AlertingSettings(), clock=lambda: end_ms / 1000, max_buckets=60)
        floor = parse_pipeline("| stats count()")

        def one_round() -> None:
            firing = engine.firing_alerts()  # what tick() reads once per round
            for rule in the_rules:
                engine.evaluate(rule, end_ms, firing)

        def floor_round() -> None:
            for _ in the_rules:
                answer(store, floor, end_ms - 300_000, end_ms, max_buckets=60)

        one_round(), floor_round()  # warm: the first round fires what fires and reads the pages in
        rounds = [cpu_of(one_round) for _ in range(args.rounds)]
        floors = [cpu_of(floor_round) for _ in range(args.rounds)]
        cpu = statistics.median(c for c, _, _ in rounds)
        process = statistics.median(p for _, p, _ in rounds)
        wall = statistics.median(w for _, _, w in rounds)
        floor_cpu = statistics.median(c for c, _, _ in floors)
        errors = [name for name, s in engine.status.items() if s.error]
        firing = sum(1 for s in engine.status.values() if s.state == "firing")
        print(f"  rules firing: {firing} of 50; evaluation errors: {len(errors)}")
        print(
            f"  one round (50 rules): {cpu:.3f} s CPU ({process:.3f} s for the whole process, the store's"
            f" background threads included), {wall:.3f} s wall (p50 of {args.rounds} rounds)"
        )
        print(f"  share of one core at one round per {INTERVAL_S} s: {100 * cpu / INTERVAL_S:.2f} %")
        print(
            f"  floor (50 x `| stats count()` over 5 min): {floor_cpu:.3f} s CPU;"
            f" rules / floor: {cpu / floor_cpu if floor_cpu else float('inf'):.1f}x"
        )
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
