"""Clients that never read what they asked for cannot make a worker hold it: live tails and exports on both servers.

Each hostile client opens a socket with a small receive buffer, sends its request and never calls recv. The
server may keep at most server.max_unsent_bytes of its response per connection (plus the chunk in hand), then
stops producing for it; a connection that took nothing for server.client_timeout_seconds is dropped.
"""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
import requests
from bench.procstat import worker_rss_kb

from tests.support.live import LiveServer
from tests.support.sse import SSEStream

pytestmark = [pytest.mark.server, pytest.mark.timeout(240)]

SERVERS = ["granian", "gunicorn"]
NDJSON = {"Content-Type": "application/x-ndjson"}
TAILS = 60
EXPORTS = 4
ENTRY_PAD = 2_000  # message bytes per flood entry: 1,000 entries (one bulk request) are about 2 MB
BATCH = 1_000
FLOOD_BATCHES = 50  # 50,000 entries, about 100 MB of NDJSON
BUDGET_KB = 100 * 1024  # the worker may grow this much over its start, at its peak and after


def bulk(service: str, start: int, count: int) -> bytes:
    stamp = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    pad = "p" * ENTRY_PAD
    return b"\n".join(
        orjson.dumps({"timestamp": stamp, "level": "INFO", "service": service, "message": f"{service} {i} {pad}"})
        for i in range(start, start + count)
    )


def ingest(session: requests.Session, server: LiveServer, service: str, start: int, count: int) -> None:
    response = session.post(server.url + "/api/logs/bulk", data=bulk(service, start, count), headers=NDJSON, timeout=60)
    assert response.status_code == 200, response.text[:300]


def unread_request(port: int, path: str) -> socket.socket:
    """A client that sends its request and never reads: a 4 KiB receive buffer, so the kernel absorbs little."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(10)
    sock.connect(("127.0.0.1", port))
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    return sock


def wait_answered(socks: list[socket.socket], timeout: float) -> None:
    """Until every socket has response bytes waiting (looked at, never taken: the clients still read nothing)."""
    deadline = time.monotonic() + timeout
    waiting = list(socks)
    while waiting and time.monotonic() < deadline:
        readable, _, _ = select.select(waiting, [], [], max(0.0, deadline - time.monotonic()))
        waiting = [s for s in waiting if s not in readable]
    assert not waiting, f"{len(waiting)} of {len(socks)} requests got no answer in {timeout} s"


def settle(pid: int, timeout: float) -> None:
    """Until the worker's RSS holds still (two looks 0.5 s apart within 1 MB), at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    previous = worker_rss_kb(pid)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = worker_rss_kb(pid)
        if abs(now - previous) < 1024:
            return
        previous = now


class RSSSampler:
    """The largest worker RSS seen, sampled every 50 ms on a thread while the block runs."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_kb = 0
        self.samples: list[tuple[float, int]] = []  # (seconds since start, KB), for the figures of a failure
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        started = time.monotonic()
        while not self._stop.is_set():
            rss = worker_rss_kb(self.pid)
            self.peak_kb = max(self.peak_kb, rss)
            self.samples.append((time.monotonic() - started, rss))
            self._stop.wait(0.05)

    def series(self) -> str:
        """The largest RSS of each second, in MB."""
        seconds: dict[int, int] = {}
        for at, kb in self.samples:
            seconds[int(at)] = max(seconds.get(int(at), 0), kb)
        return " ".join(f"{kb // 1024}" for _, kb in sorted(seconds.items()))

    @contextmanager
    def running(self) -> Iterator[RSSSampler]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join(5)
            self.peak_kb = max(self.peak_kb, worker_rss_kb(self.pid))


def export_lines(server: LiveServer, timeout: float = 90) -> int:
    deadline = time.monotonic() + timeout
    lines = 0
    with requests.get(server.url + "/api/logs/export", stream=True, timeout=30) as response:
        assert response.status_code == 200
        for chunk in response.iter_content(1 << 16):
            lines += chunk.count(b"\n")
            assert time.monotonic() < deadline, f"the export was still running after {timeout} s ({lines} lines)"
    return lines


@pytest.mark.parametrize("http_server", SERVERS)
def test_tails_and_exports_that_never_read_keep_the_worker_within_100_mb(tmp_path: Path, http_server: str) -> None:
    # With the search index on (the default): its indexer takes in what was ingested since its last round, and
    # every store reader the tails use has the index attached.
    config = {"server": {"http_server": http_server}, "search": {"poll_seconds": 0.05}}
    server = LiveServer(tmp_path / "srv", config)
    with server:
        assert server.proc is not None
        settle(server.proc.pid, 10)
        start_kb = worker_rss_kb(server.proc.pid)  # the budget counts from here: the worker as it started
        session = requests.Session()
        # every path the test takes once (ingest, tail, export): the memory their first use costs is in the budget
        ingest(session, server, "warm", 0, BATCH)
        tail = SSEStream(server.port, "/api/logs/stream?q=service:warm")
        ingest(session, server, "warm", BATCH, 10)
        assert tail.next_log().json()["service"] == "warm"
        tail.close()
        assert export_lines(server) == BATCH + 10
        warm_kb = worker_rss_kb(server.proc.pid)

        hostile: list[socket.socket] = []
        sampler = RSSSampler(server.proc.pid)
        flood_deadline = time.monotonic() + 120
        ingested = 0
        try:
            with sampler.running():
                # every tail, its thread and its store connection count against the budget too
                hostile += [unread_request(server.port, "/api/logs/stream") for _ in range(TAILS)]
                wait_answered(hostile, 20)
                ingest(session, server, "flood", 0, BATCH)
                ingested += BATCH
                settle(server.proc.pid, 10)
                open_kb = worker_rss_kb(server.proc.pid)
                for batch in range(1, FLOOD_BATCHES):
                    if batch == FLOOD_BATCHES // 2:  # the exports start with half of the flood stored
                        exports = [unread_request(server.port, "/api/logs/export") for _ in range(EXPORTS)]
                        hostile += exports
                        wait_answered(exports, 20)
                    ingest(session, server, "flood", batch * BATCH, BATCH)
                    ingested += BATCH
                    if time.monotonic() > flood_deadline or sampler.peak_kb - start_kb > 4 * BUDGET_KB:
                        break  # (far over budget already: spare the machine)
                else:
                    # the tails and exports go on producing from what is stored: watch them a while longer
                    time.sleep(5)
            peak_kb = sampler.peak_kb
        finally:
            for sock in hostile:
                sock.close()

        figures = (
            f"{http_server}: worker RSS at start {start_kb // 1024} MB, warmed up {warm_kb // 1024} MB, with {TAILS}"
            f" tails open {open_kb // 1024} MB, peak {peak_kb // 1024} MB"
        )
        print(figures)
        print(f"worker RSS each second (MB): {sampler.series()}")
        assert peak_kb - start_kb < BUDGET_KB, f"{figures}; each second: {sampler.series()}"
        assert ingested == FLOOD_BATCHES * BATCH, f"only {ingested} entries ingested in 120 s"
        # the server still serves: a new tail gets every new entry, an export gets every stored one
        assert session.get(server.url + "/health", timeout=10).status_code == 200
        tail = SSEStream(server.port, "/api/logs/stream?q=service:after", timeout=20)
        ingest(session, server, "after", 0, 200)
        got = [tail.next_log(timeout=20).json()["message"].split()[1] for _ in range(200)]
        tail.close()
        assert got == [str(i) for i in range(200)]
        assert export_lines(server) == BATCH + 10 + ingested + 200
        after_kb = worker_rss_kb(server.proc.pid)

    figures += f", after {after_kb // 1024} MB"
    print(figures)
    assert after_kb - start_kb < BUDGET_KB, figures


def try_tail(server: LiveServer) -> int:
    try:
        return requests.get(server.url + "/api/logs/stream", stream=True, timeout=5).status_code
    except requests.RequestException:
        return 0


@pytest.mark.parametrize("http_server", SERVERS)
def test_a_tail_whose_client_takes_nothing_is_dropped_after_the_client_timeout(
    tmp_path: Path, http_server: str
) -> None:
    config = {
        "server": {"http_server": http_server, "client_timeout_seconds": 2.0},
        "search": {"max_streams": 1, "heartbeat_seconds": 0.5, "poll_seconds": 0.05},
        "storage": {"search_index": False},
    }
    with LiveServer(tmp_path / "srv", config) as server:
        session = requests.Session()
        stalled = unread_request(server.port, "/api/logs/stream")
        try:
            wait_answered([stalled], 10)
            for batch in range(4):  # 8 MB: more than the kernel and server.max_unsent_bytes take together
                ingest(session, server, "flood", batch * BATCH, BATCH)
            assert try_tail(server) == 503  # the only stream slot is the stalled client's
            filled = time.monotonic()
            deadline = filled + 20
            while try_tail(server) != 200:  # until the server gives up on it and frees the slot
                assert time.monotonic() < deadline, "the stalled tail still holds its slot after 20 s"
                time.sleep(0.2)
            assert time.monotonic() - filled >= 1.0  # not before it could have had its timeout
            # the stalled connection is over: what the kernel had taken for it, then its end (or a reset)
            stalled.settimeout(10)
            received = 0
            try:
                while data := stalled.recv(1 << 20):
                    received += len(data)
            except ConnectionResetError:
                pass
            assert received < 16 * 1024 * 1024
        finally:
            stalled.close()
