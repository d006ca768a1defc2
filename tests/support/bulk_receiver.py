"""A scripted stand-in for /api/logs/bulk on loopback: records each request's lines and answers as told, for
clients (LogLensHandler, BulkSender) facing answers a real server gives only under faults (429, 413, 503)."""

from __future__ import annotations

import gzip
import http.server
import threading
from collections.abc import Callable
from typing import Any

import orjson

# A reply is (status, headers, body); the default reply accepts every line.
Reply = tuple[int, dict[str, str], bytes]


class BulkReceiver:
    """A tiny HTTP/1.1 server on 127.0.0.1 that records each bulk request and answers as `reply` says."""

    def __init__(self, reply: Callable[[int, list[Any]], Reply] | None = None, port: int = 0) -> None:
        self.requests: list[dict[str, Any]] = []
        self.reply = reply or (lambda n, lines: accept(lines))
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                if self.headers.get("Content-Encoding") == "gzip":
                    raw = gzip.decompress(raw)
                lines = [orjson.loads(line) for line in raw.splitlines() if line.strip()]
                with receiver.lock:
                    receiver.requests.append({"headers": dict(self.headers), "lines": lines, "path": self.path})
                    number = len(receiver.requests)
                status, headers, body = receiver.reply(number, lines)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def lines(self) -> list[Any]:
        with self.lock:
            return [line for request in self.requests for line in request["lines"]]

    def __enter__(self) -> BulkReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def accept(lines: list[Any]) -> Reply:
    return 200, {}, orjson.dumps({"accepted": len(lines), "rejected": 0, "errors": [], "errors_truncated": 0})
