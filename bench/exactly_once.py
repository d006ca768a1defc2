"""Every match exactly once, over HTTP at scale: a real `loglens serve` (SQLite, or ClickHouse with --backend) takes
N entries by bulk NDJSON, spread over 7 days oldest first with 2% up to an hour late and 50 services; then each
query is followed by cursor to the end (limit 1000) and exported, and the rows, the distinct ids and the brute-force
count of matches are printed. Correct when all three agree.

    .venv/bin/python bench/exactly_once.py --entries 100000 [--entries 1000000] [--backend clickhouse]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402
from tests.support.live import LiveServer  # noqa: E402

from loglens.model import iso_from_ms  # noqa: E402

DAY_MS = 86_400_000
BATCH = 1000
Item = dict[str, Any]
QUERIES: list[tuple[str, Callable[[Item], bool]]] = [
    ("service:svc-01", lambda e: e["service"] == "svc-01"),
    (
        "metadata.processing_time_ms>1990 service:svc-01",
        lambda e: e["service"] == "svc-01" and e["metadata"]["processing_time_ms"] > 1990,
    ),
    ("alpha", lambda e: e["message"].startswith("alpha")),
]


def generate(count: int, seed: int = 1) -> Iterator[Item]:
    rnd = random.Random(seed)
    end_ms = int(time.time() * 1000) - 60_000
    start_ms = end_ms - 7 * DAY_MS
    for i in range(count):
        ts = start_ms + (7 * DAY_MS * i) // count
        if rnd.random() < 0.02:
            ts -= rnd.randint(0, 3_600_000)
        yield {
            "timestamp": iso_from_ms(ts),
            "level": rnd.choice(("INFO", "INFO", "WARNING", "ERROR")),
            "service": f"svc-{rnd.randrange(50):02d}",
            "message": ("alpha " if i % 3 == 0 else "") + f"request {i} done",
            "metadata": {"processing_time_ms": rnd.randrange(2001)},
        }


def call(url: str, body: bytes | None = None) -> bytes:
    headers = {"Content-Type": "application/x-ndjson"} if body is not None else {}
    with urllib.request.urlopen(urllib.request.Request(url, data=body, headers=headers), timeout=600) as response:
        data: bytes = response.read()
        return data


def ingest(url: str, count: int) -> dict[str, int]:
    """Send the entries; returns how many match each query."""
    matches = dict.fromkeys((q for q, _ in QUERIES), 0)
    batch: list[bytes] = []
    for item in generate(count):
        for q, keep in QUERIES:
            matches[q] += keep(item)
        batch.append(orjson.dumps(item))
        if len(batch) == BATCH:
            call(url + "/api/logs/bulk", b"\n".join(batch))
            batch = []
    if batch:
        call(url + "/api/logs/bulk", b"\n".join(batch))
    return matches


def paged(url: str, q: str) -> list[int]:
    ids: list[int] = []
    params = {"q": q, "limit": "1000"}
    while True:
        page = orjson.loads(call(f"{url}/api/logs?{urllib.parse.urlencode(params)}"))
        ids += [log["id"] for log in page["logs"]]
        if page["next_cursor"] is None:
            return ids
        params["cursor"] = page["next_cursor"]


def exported(url: str, q: str) -> list[int]:
    body = call(f"{url}/api/logs/export?{urllib.parse.urlencode({'q': q})}")
    return [orjson.loads(line)["id"] for line in body.splitlines()]


@contextmanager
def server(backend: str, tmp: Path) -> Iterator[LiveServer]:
    if backend == "sqlite":
        with LiveServer(tmp / "server") as live:
            yield live
        return
    from tests.support.clickhouse import ClickHouseServer

    with ClickHouseServer(tmp / "clickhouse") as clickhouse:
        config = {"storage": {"backend": "clickhouse", "clickhouse": {"port": clickhouse.tcp_port}}}
        with LiveServer(tmp / "server", config) as live:
            yield live


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, action="append", help="entries to send (repeatable; default 100000)")
    parser.add_argument("--backend", choices=("sqlite", "clickhouse"), default="sqlite")
    args = parser.parse_args()
    wrong = 0
    for count in args.entries or [100_000]:
        with tempfile.TemporaryDirectory(prefix="loglens-once-") as tmp, server(args.backend, Path(tmp)) as live:
            started = time.monotonic()
            matches = ingest(live.url, count)
            print(f"{args.backend}, {count:,} entries sent in {time.monotonic() - started:.0f} s", flush=True)
            print(f"  {'query':<50} {'reader':<7} {'rows':>8} {'unique':>8} {'matches':>8}")
            for q, _ in QUERIES:
                for reader, read in (("pages", paged), ("export", exported)):
                    ids = read(live.url, q)
                    ok = len(ids) == len(set(ids)) == matches[q]
                    wrong += not ok
                    print(f"  {q:<50} {reader:<7} {len(ids):>8,} {len(set(ids)):>8,} {matches[q]:>8,}", flush=True)
    print("every reader returned each match once" if not wrong else f"{wrong} answers were wrong")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
