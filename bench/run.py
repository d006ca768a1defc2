"""`make bench`: ingest throughput of a real `loglens serve` (Gunicorn, Granian, Granian with 2 workers) vs the floor.

For each HTTP server, a fresh `loglens serve` subprocess on the embedded default store (SQLite, WAL, fsync) is
driven over HTTP by a separate client process (bench/load.py) with keep-alive connections:
  single  POST /api/logs, one entry per request, 8 connections
  bulk    POST /api/logs/bulk, 1,000-entry NDJSON, 4 connections (and the same gzip'd)
  otlp    POST /v1/logs, 1,000-record OTLP protobuf, 4 connections
The floor is the same NDJSON parsed, validated and committed in-process (Pipeline over SQLiteStore, 1,000 per
commit, no HTTP). Figures are printed, never asserted; the whole run stays well under three minutes.
BENCH_SEARCH_INDEX=0 runs the servers and the floor with `storage.search_index: false` (bench/before.py uses it to
tell the search indexes' cost from the rest).
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402
from tests.support.live import LiveServer  # noqa: E402

from bench.payloads import BATCH, entries, ndjson  # noqa: E402
from bench.procstat import worker_rss_kb  # noqa: E402
from loglens.ingest.bulk import decode_ndjson  # noqa: E402
from loglens.pipeline import Pipeline  # noqa: E402
from loglens.store.sqlite import SQLiteStore  # noqa: E402
from loglens.validation import Validator  # noqa: E402

SECONDS = float(os.environ.get("BENCH_SECONDS", "4"))
SEARCH_INDEX = os.environ.get("BENCH_SEARCH_INDEX", "1") != "0"
SCENARIOS = [  # (name, load.py scenario, connections)
    ("single POST /api/logs", "single", 8),
    ("bulk NDJSON x1000", "bulk", 4),
    ("bulk NDJSON x1000 gzip", "bulk-gzip", 4),
    ("OTLP protobuf x1000", "otlp", 4),
]
SERVERS: list[tuple[str, dict[str, Any]]] = [  # (label, server settings)
    ("gunicorn", {"http_server": "gunicorn"}),
    ("granian", {"http_server": "granian"}),
    ("granian×2", {"http_server": "granian", "workers": 2}),  # two processes share the store
]


@dataclass
class Row:
    server: str
    scenario: str
    connections: int
    result: dict[str, Any]
    rss_mb: tuple[float, float, float]  # at start, highest, at end


@dataclass
class ServerRun:
    server: str
    rows: list[Row] = field(default_factory=list)
    bytes_per_entry: float = 0.0
    rss_first_mb: float = 0.0
    rss_last_mb: float = 0.0


def floor(seconds: float) -> float:
    """Entries/s for parse + validate + durable commit in-process, 1,000 entries per batch, one thread."""
    bodies = [ndjson(entries(BATCH, 900 + i)) for i in range(8)]
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(str(Path(tmp) / "floor.db"), search_index=SEARCH_INDEX)
        pipeline = Pipeline(Validator(), store, time.time)
        done = 0
        started = time.perf_counter()
        try:
            while time.perf_counter() - started < seconds:
                body = bodies[done // BATCH % len(bodies)]
                batch = decode_ndjson(body, BATCH)
                done += pipeline.ingest(batch.items, nbytes=len(body), sized=batch.sized).accepted
        finally:
            store.close()
        return done / (time.perf_counter() - started)


class RssSampler:
    """Samples the server's worker RSS every 0.2 s while a scenario runs."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.samples = [worker_rss_kb(pid) / 1024]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.samples.append(worker_rss_kb(self.pid) / 1024)

    def stop(self) -> tuple[float, float, float]:
        self._stop.set()
        self._thread.join()
        self.samples.append(worker_rss_kb(self.pid) / 1024)
        return self.samples[0], max(self.samples), self.samples[-1]


def drive(port: int, scenario: str, connections: int) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench.load", "--port", str(port), "--scenario", scenario]
    cmd += ["--concurrency", str(connections), "--seconds", str(SECONDS)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=SECONDS + 60)
    if done.returncode != 0:
        raise RuntimeError(f"load client failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = orjson.loads(done.stdout.strip().splitlines()[-1])
    return result


def run_server(name: str, settings: dict[str, Any], tmp: Path) -> ServerRun:
    run = ServerRun(name)
    server = LiveServer(tmp / name, {"server": settings, "storage": {"search_index": SEARCH_INDEX}})
    with server:
        assert server.proc is not None
        run.rss_first_mb = worker_rss_kb(server.proc.pid) / 1024
        for title, scenario, connections in SCENARIOS:
            sampler = RssSampler(server.proc.pid)
            result = drive(server.port, scenario, connections)
            run.rows.append(Row(name, title, connections, result, sampler.stop()))
        run.rss_last_mb = worker_rss_kb(server.proc.pid) / 1024
        server.stop()
    db = tmp / name / "loglens.db"
    store = SQLiteStore(str(db), search_index=SEARCH_INDEX)
    try:
        stored = store.totals().stored
    finally:
        store.close()
    size = sum(p.stat().st_size for p in db.parent.glob("loglens.db*"))
    run.bytes_per_entry = size / stored if stored else 0.0
    return run


def table(floor_rate: float, runs: list[ServerRun]) -> str:
    header = (
        f"{'server':<10} {'scenario':<24} {'conns':>5} {'req/s':>9} {'entries/s':>11} {'p50 ms':>7} {'p99 ms':>7}"
        f" {'x floor':>7}  {'worker RSS MB start/max/end':<27} statuses"
    )
    lines = [header, "-" * len(header)]
    for run in runs:
        for row in run.rows:
            r = row.result
            statuses = ",".join(f"{k}:{v}" for k, v in r["statuses"].items()) + (
                f" {r['errors']}" if r["errors"] else ""
            )
            lines.append(
                f"{row.server:<10} {row.scenario:<24} {row.connections:>5} {r['requests_per_s']:>9,.0f}"
                f" {r['entries_per_s']:>11,.0f} {r['p50_ms']:>7.1f} {r['p99_ms']:>7.1f}"
                f" {r['entries_per_s'] / floor_rate:>7.2f}  {'/'.join(f'{v:.0f}' for v in row.rss_mb):<27} {statuses}"
            )
    return "\n".join(lines)


def verdicts(floor_rate: float, runs: list[ServerRun]) -> list[str]:
    out = []
    for run in runs:
        rows = {row.scenario: row.result for row in run.rows}
        bulk = max(rows["bulk NDJSON x1000"]["entries_per_s"], rows["bulk NDJSON x1000 gzip"]["entries_per_s"])
        single = rows["single POST /api/logs"]["requests_per_s"]
        peak = max(max(row.rss_mb) for row in run.rows)
        growth = run.rss_last_mb - run.rss_first_mb
        out.append(
            f"{run.server}: bulk {bulk:,.0f} entries/s ({'met' if bulk >= 100_000 else 'NOT met'} >= 100k;"
            f" {bulk / floor_rate:.2f}x floor, {'met' if bulk >= 0.6 * floor_rate else 'NOT met'} >= 0.6x);"
            f" single {single:,.0f} req/s ({'met' if single >= 3000 else 'NOT met'} >= 3,000);"
            f" RSS peak {peak:.0f} MB ({'met' if peak <= 200 else 'NOT met'} <= 200), grew {growth:+.0f} MB"
            f" over the run; store {run.bytes_per_entry:.0f} bytes/entry"
        )
    return out


def main() -> int:
    started = time.monotonic()
    print(
        f"LogLens ingest benchmark: {os.cpu_count()} CPUs, Python {platform.python_version()},"
        f" {SECONDS:g} s per scenario after 0.5 s warm-up, client in a separate process",
        flush=True,
    )
    floor_rate = floor(SECONDS)
    print(
        f"floor (in-process parse + validate + commit, {BATCH:,} per commit): {floor_rate:,.0f} entries/s", flush=True
    )
    runs: list[ServerRun] = []
    with tempfile.TemporaryDirectory(prefix="loglens-bench-") as tmp:
        for name, settings in SERVERS:
            runs.append(run_server(name, settings, Path(tmp)))
            print(f"  {name} done", flush=True)
    print()
    print(table(floor_rate, runs))
    print()
    for line in verdicts(floor_rate, runs):
        print(line)
    print(f"\ntotal bench time {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
