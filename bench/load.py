"""Load client, run as its own process: `python -m bench.load --port P --scenario S --concurrency N --seconds T`.

Each thread keeps one HTTP/1.1 keep-alive connection on a raw socket (so the client's own parsing stays far
cheaper than the server's work), sends prebuilt requests round-robin, and records each request's latency.
After a warm-up it measures for --seconds and prints one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
import time
from collections import Counter

import orjson

from bench.payloads import bodies


def build(path: str, content_type: str, body: bytes, gzipped: bool, port: int, api_key: str | None = None) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n"
    )
    if api_key:
        head += f"Authorization: Bearer {api_key}\r\n"
    if gzipped:
        head += "Content-Encoding: gzip\r\n"
    return head.encode() + b"\r\n" + body


class Connection:
    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def roundtrip(self, request: bytes) -> int:
        self.sock.sendall(request)
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, _, rest = self.buffer.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        length = None
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length is None and status in (204, 304):
            length = 0  # no body, by definition
        if length is None:
            raise RuntimeError(f"response without Content-Length: {head!r}")
        while len(rest) < length:
            rest += self._recv()
        self.buffer = rest[length:]
        return status

    def _recv(self) -> bytes:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        return chunk

    def _fill(self) -> None:
        self.buffer += self._recv()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    scenarios = ("single", "bulk", "bulk-gzip", "otlp", "loki-json", "loki-protobuf", "es-bulk")
    parser.add_argument("--scenario", choices=scenarios, required=True)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--warmup", type=float, default=0.5)
    parser.add_argument("--api-key", help="send this key (for a server with auth.enabled)")
    args = parser.parse_args()

    path, content_type, payloads, per_request, gzipped = bodies(args.scenario, seed=7)
    requests = [build(path, content_type, body, gzipped, args.port, args.api_key) for body in payloads]
    start = time.perf_counter() + args.warmup
    end = start + args.seconds
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    errors: list[str] = []

    def worker(offset: int) -> None:
        mine: list[float] = []
        seen: Counter[int] = Counter()
        try:
            conn = Connection(args.port)
            i = offset
            while True:
                sent = time.perf_counter()
                if sent >= end:
                    break
                status = conn.roundtrip(requests[i % len(requests)])
                i += 1
                if sent >= start:
                    mine.append(time.perf_counter() - sent)
                    seen[status] += 1
        except Exception as exc:  # reported, not hidden: a failing server shows in the output
            errors.append(f"{type(exc).__name__}: {exc}")
        with lock:
            latencies.extend(mine)
            statuses.update(seen)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(args.concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    ok = statuses.get(200, 0) + statuses.get(201, 0) + statuses.get(204, 0)  # 204: Loki push

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else 0.0

    result = {
        "requests": len(latencies),
        "requests_per_s": len(latencies) / args.seconds,
        "entries_per_s": ok * per_request / args.seconds,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "errors": errors[:3],
    }
    sys.stdout.write(orjson.dumps(result).decode() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
