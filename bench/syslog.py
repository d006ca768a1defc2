"""Syslog over TCP against NDJSON bulk, in the same run, through one real `loglens serve` (SQLite, Granian, one
worker): --entries entries sent by --senders concurrent senders, alternating the two paths --rounds times each.
NDJSON: bulk requests of 1000 entries (timed until the last one is answered: committed). Syslog: RFC 5424
messages over TCP, newline framed (timed until /metrics counts every entry accepted). Prints entries/s per path
(median) and the ratio syslog/NDJSON.

    .venv/bin/python bench/syslog.py [--entries 100000] [--rounds 3] [--senders 4]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402
from tests.support.live import LiveServer  # noqa: E402
from tests.support.syslog import free_port_both, metric  # noqa: E402

BATCH = 1000
LEVELS = (("INFO", 6), ("INFO", 6), ("WARNING", 4), ("ERROR", 3))
ACCEPTED = 'loglens_entries_accepted_total{endpoint="syslog"}'


def ndjson_batches(count: int, tag: str) -> list[bytes]:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    lines = [
        orjson.dumps(
            {
                "timestamp": stamp,
                "level": LEVELS[i % 4][0],
                "service": f"svc-{i % 20:02d}",
                "message": f"{tag} request {i} handled for customer {i % 977}",
                "metadata": {"hostname": "web-1", "procid": str(1000 + i % 50), "facility": "local0"},
            }
        )
        for i in range(count)
    ]
    return [b"\n".join(lines[i : i + BATCH]) for i in range(0, count, BATCH)]


def syslog_stream(count: int, tag: str) -> bytes:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return b"".join(
        f"<{16 * 8 + LEVELS[i % 4][1]}>1 {stamp} web-1 svc-{i % 20:02d} {1000 + i % 50} - - "
        f"{tag} request {i} handled for customer {i % 977}\n".encode()
        for i in range(count)
    )


def concurrently(jobs: list[Callable[[], None]]) -> None:
    threads = [threading.Thread(target=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def post(url: str, body: bytes) -> None:
    request = urllib.request.Request(
        url + "/api/logs/bulk", data=body, headers={"Content-Type": "application/x-ndjson"}
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        response.read()


def ndjson_round(url: str, entries: int, senders: int, tag: str) -> float:
    batches = ndjson_batches(entries, tag)
    shares = [batches[i::senders] for i in range(senders)]
    started = time.monotonic()
    concurrently([lambda share=share: [post(url, body) for body in share] for share in shares])  # type: ignore[misc]
    return entries / (time.monotonic() - started)


def syslog_round(url: str, port: int, entries: int, senders: int, tag: str) -> float:
    share = entries // senders
    streams = [syslog_stream(share, f"{tag}{s}") for s in range(senders)]
    target = metric(url, ACCEPTED) + share * senders

    def send(stream: bytes) -> None:
        with socket.create_connection(("127.0.0.1", port), timeout=120) as conn:
            conn.sendall(stream)

    started = time.monotonic()
    concurrently([lambda stream=stream: send(stream) for stream in streams])  # type: ignore[misc]
    deadline = started + 600
    while metric(url, ACCEPTED) < target:
        if time.monotonic() > deadline:
            raise RuntimeError("syslog entries did not all arrive within 600 s")
        time.sleep(0.1)
    return share * senders / (time.monotonic() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=100_000, help="entries per round and path")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--senders", type=int, default=4, help="concurrent HTTP clients / TCP connections")
    args = parser.parse_args()
    if args.entries < args.senders or args.rounds < 1 or args.senders < 1:
        parser.error("--entries must be at least --senders, and --rounds and --senders at least 1")
    port = free_port_both()
    config = {"server": {"workers": 1}, "ingest": {"syslog": {"tcp": f"127.0.0.1:{port}"}}}
    rates: dict[str, list[float]] = {"ndjson": [], "syslog": []}
    with tempfile.TemporaryDirectory(prefix="loglens-syslog-") as tmp, LiveServer(Path(tmp), config) as live:
        for round_ in range(args.rounds):
            rates["ndjson"].append(ndjson_round(live.url, args.entries, args.senders, f"n{round_}"))
            rates["syslog"].append(syslog_round(live.url, port, args.entries, args.senders, f"s{round_}"))
            print(
                f"round {round_ + 1}: NDJSON bulk {rates['ndjson'][-1]:,.0f} entries/s,"
                f" syslog TCP {rates['syslog'][-1]:,.0f} entries/s",
                flush=True,
            )
    ndjson, syslog = statistics.median(rates["ndjson"]), statistics.median(rates["syslog"])
    print(
        f"syslog TCP vs NDJSON bulk ({args.entries:,} entries per round, {args.senders} senders, median of"
        f" {args.rounds}): NDJSON {ndjson:,.0f} entries/s, syslog {syslog:,.0f} entries/s, ratio {syslog / ndjson:.2f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
