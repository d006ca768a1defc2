"""`make bench` ClickHouse mode: LogLens on Debian's clickhouse-server (18.16) on this machine.

In one run, each figure next to its floor, in ROUNDS alternating rounds (medians of the ratios printed):
  direct   the same 1,000-entry batches POSTed straight to ClickHouse as `INSERT ... FORMAT JSONEachRow` into the
           same tables (materialized views included), 4 connections: the floor LogLens is compared with
  1 node   bulk NDJSON x1000 through one `loglens serve` (Granian) into ClickHouse, 4 connections
  2 nodes  the same through two `loglens serve` on the same ClickHouse, 4 connections each
  bytes    on-disk bytes per stored entry, ClickHouse (all LogLens tables) vs SQLite (the same entries)
  reads    the dashboard payload computed in-process on each store at the size ingested
Figures are printed, never asserted (BENCH_CH_CONNECTIONS sets the connections, default 4). Everything runs on one
2-core machine: ClickHouse, the servers and the load clients share the cores, so the multi-node figure measures
contention more than scale-out. Each figure is printed with the share of the machine's CPU that was busy while it
was taken (from /proc/stat, inside the run): near 100%, a figure is the machine's limit, not LogLens's.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402
from tests.support.clickhouse import ClickHouseServer  # noqa: E402
from tests.support.live import LiveServer  # noqa: E402

from bench.payloads import BATCH, entries  # noqa: E402
from bench.procstat import BusyWindow  # noqa: E402
from loglens.analytics import Analytics  # noqa: E402
from loglens.config import load  # noqa: E402
from loglens.model import parse_timestamp_ms  # noqa: E402
from loglens.pipeline import Pipeline  # noqa: E402
from loglens.store.clickhouse import DriverConnection, Endpoint  # noqa: E402
from loglens.store.clickhouse.schema import migrate  # noqa: E402
from loglens.store.sqlite import SQLiteStore  # noqa: E402
from loglens.validation import Validator  # noqa: E402

SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))  # the figures swing by 2x between runs here: medians of rounds
# per load client; BENCH_CH_CONNECTIONS=16 showed one node no faster (its single INSERT in flight and its GIL set
# the pace, not how many requests wait)
CONNECTIONS = int(os.environ.get("BENCH_CH_CONNECTIONS", "4"))


def direct_rows(seed: int) -> bytes:
    """One batch as JSONEachRow rows of the logs table (what LogLens would insert for it)."""
    now = int(time.time() * 1000)
    lines = []
    for i, e in enumerate(entries(BATCH, seed)):
        row = {
            "id": (now << 22) + seed * BATCH + i,
            "ts_ms": parse_timestamp_ms(e["timestamp"]),
            "received_ms": now,
            "timestamp": e["timestamp"],
            "level": e["level"],
            "service": e["service"],
            "message": e["message"],
            "user_id": e.get("user_id"),
            "metadata": orjson.dumps(e["metadata"]).decode() if "metadata" in e else None,
        }
        lines.append(orjson.dumps(row))
    return b"\n".join(lines) + b"\n"


def direct(server: ClickHouseServer, seconds: float, database: str) -> float:
    conn = DriverConnection(Endpoint("127.0.0.1", server.tcp_port, "default", ""))
    migrate(conn, database)
    conn.close()
    bodies = [direct_rows(seed) for seed in range(8)]
    url = f"http://127.0.0.1:{server.http_port}/?query=" + urllib.parse.quote(
        f"INSERT INTO {database}.logs FORMAT JSONEachRow"
    )
    done = [0] * CONNECTIONS
    end = time.perf_counter() + seconds

    def worker(n: int) -> None:
        i = n
        while time.perf_counter() < end:
            with urllib.request.urlopen(urllib.request.Request(url, data=bodies[i % len(bodies)]), timeout=60) as r:
                r.read()
            done[n] += BATCH
            i += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(CONNECTIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.perf_counter() - started)


def drive(ports: list[int], seconds: float) -> float:
    """Entries/s acknowledged by the servers on `ports`, one load client process per server, at the same time."""
    cmds = [
        [
            sys.executable,
            "-m",
            "bench.load",
            "--port",
            str(p),
            "--scenario",
            "bulk",
            "--concurrency",
            str(CONNECTIONS),
            "--seconds",
            str(seconds),
        ]
        for p in ports
    ]
    procs = [subprocess.Popen(c, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for c in cmds]
    total = 0.0
    for proc in procs:
        out, err = proc.communicate(timeout=seconds + 120)
        if proc.returncode != 0:
            raise RuntimeError(f"load client failed: {err[-2000:]}")
        result = orjson.loads(out.strip().splitlines()[-1])
        if result["errors"]:
            print(f"  load client errors: {result['errors']} statuses {result['statuses']}")
        total += result["entries_per_s"]
    return total


def disk_bytes(server: ClickHouseServer, database: str) -> tuple[int, int]:
    conn = DriverConnection(Endpoint("127.0.0.1", server.tcp_port, "default", ""))
    try:
        for table in ("logs", "rollup_minute", "rollup_user", "rollup_user_hour", "services", "totals"):
            conn.query(f"OPTIMIZE TABLE {database}.{table} FINAL")  # merged, as a store settles to
        size = conn.query(
            "SELECT sum(bytes_on_disk) FROM system.parts WHERE database = %(db)s AND active", {"db": database}
        )[0][0]
        rows = conn.query(f"SELECT count() FROM {database}.logs")[0][0]
        return int(size), int(rows)
    finally:
        conn.close()


def sqlite_bytes(tmp: Path, count: int) -> tuple[int, SQLiteStore]:
    store = SQLiteStore(str(tmp / "same.db"))
    pipeline = Pipeline(Validator(), store, time.time)
    batches = [entries(BATCH, seed) for seed in range(8)]
    for i in range(count // BATCH):
        pipeline.ingest(batches[i % len(batches)])
    size = sum(p.stat().st_size for p in tmp.glob("same.db*"))
    return size, store


def dashboard_ms(store: Any, rounds: int = 10) -> float:
    analytics = Analytics(store, load(env={}, path=None), time.time)
    analytics.dashboard(30)
    started = time.perf_counter()
    for _ in range(rounds):
        analytics.dashboard(30)
    return (time.perf_counter() - started) / rounds * 1000


def main() -> int:
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        server = ClickHouseServer(tmp / "clickhouse").start()
        nodes: list[LiveServer] = []
        try:
            print(
                f"ClickHouse 18.16 on 127.0.0.1:{server.tcp_port}; {SECONDS:g} s per figure, {CONNECTIONS} connections,"
                f" {ROUNDS} alternating rounds (each into databases of its own)"
            )

            def config(db: str) -> dict[str, Any]:
                return {"storage": {"backend": "clickhouse", "clickhouse": {"port": server.tcp_port, "database": db}}}

            ratios: list[tuple[float, float]] = []
            busy: list[tuple[float, float, float]] = []  # machine CPU share: direct, 1 node, 2 nodes
            window = (1.5, max(SECONDS - 2.0, 0.5))  # past the load clients' start-up and warm-up

            def measured(run: Any, *args: Any) -> tuple[float, float]:
                meter = BusyWindow(*window)
                rate = run(*args)
                return rate, meter.result()

            for r in range(ROUNDS):
                floor, floor_busy = measured(direct, server, SECONDS, f"direct{r}")
                nodes.append(LiveServer(tmp / f"one{r}", config(f"one{r}")).start())
                one, one_busy = measured(drive, [nodes[-1].port], SECONDS)
                nodes.pop().kill()
                nodes += [LiveServer(tmp / f"two{r}-{i}", config(f"two{r}")).start() for i in range(2)]
                two, two_busy = measured(drive, [n.port for n in nodes], SECONDS)
                for node in nodes:
                    node.kill()
                nodes.clear()
                ratios.append((one / floor, two / one))
                busy.append((floor_busy, one_busy, two_busy))
                print(
                    f"  round {r + 1}: direct INSERT FORMAT JSONEachRow {floor:,.0f}/s (CPU {floor_busy:.0%} busy);"
                    f" 1 node bulk NDJSON x1000 {one:,.0f}/s ({one / floor:.2f}x direct, CPU {one_busy:.0%});"
                    f" 2 nodes {two:,.0f}/s ({two / one:.2f}x one node, CPU {two_busy:.0%})"
                )
            one_busy = statistics.median(b for _, b, _ in busy)
            print(
                f"  median: 1 node {statistics.median(a for a, _ in ratios):.2f}x direct,"
                f" 2 nodes {statistics.median(b for _, b in ratios):.2f}x one node; the machine's CPU was busy"
                f" {statistics.median(b for b, _, _ in busy):.0%} (direct), {one_busy:.0%} (1 node),"
                f" {statistics.median(b for _, _, b in busy):.0%} (2 nodes)"
            )

            last = f"two{ROUNDS - 1}"
            size, rows = disk_bytes(server, last)
            lite_size, lite = sqlite_bytes(tmp, rows - rows % BATCH)
            ch_per, lite_per = size / max(rows, 1), lite_size / max(rows - rows % BATCH, 1)
            print(
                f"  bytes per stored entry: ClickHouse {ch_per:.1f}, SQLite {lite_per:.1f} ({ch_per / lite_per:.2f}x)"
            )
            from loglens.store.clickhouse import ClickHouseStore

            ch_store = ClickHouseStore(
                lambda: DriverConnection(Endpoint("127.0.0.1", server.tcp_port, "default", "")), database=last
            )
            try:
                print(
                    f"  dashboard payload at {rows:,} entries: ClickHouse {dashboard_ms(ch_store):.1f} ms,"
                    f" SQLite {dashboard_ms(lite):.1f} ms"
                )
            finally:
                ch_store.close()
                lite.close()
        finally:
            for node in nodes:
                node.kill()
            server.stop()
    print("Targets (issue 12): 1 node >= 0.5x direct; 2 nodes >= 1.6x one node; ClickHouse <= 60 bytes/entry.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
