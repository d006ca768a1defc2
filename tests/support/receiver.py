"""A real HTTP receiver on loopback for notifications: records each POST (path, headers, raw body), answers with
the queued statuses then 200, and can hang until released (a slow receiver). Counts deliveries by the
X-LogLens-Notification-Id header, as a receiver that drops repeats would."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson

ID_HEADER = "X-LogLens-Notification-Id"


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    status: int

    @property
    def json(self) -> Any:
        return orjson.loads(self.body)

    @property
    def notification_id(self) -> str:
        return self.headers.get(ID_HEADER.lower(), "")


class Receiver:
    def __init__(self, statuses: list[int] | None = None) -> None:
        self.statuses = list(statuses or [])
        self.received: list[Received] = []
        self.arrived: list[bytes] = []  # every POST's body as it arrived, answered or not
        self.hang = threading.Event()  # set: every POST waits for `release` before answering
        self.release = threading.Event()
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with outer._lock:
                    outer.arrived.append(body)
                if outer.hang.is_set():
                    outer.release.wait(30)
                with outer._lock:
                    status = outer.statuses.pop(0) if outer.statuses else 200
                    outer.received.append(
                        Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body, status)
                    )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def all(self) -> list[Received]:
        with self._lock:
            return list(self.received)

    def accepted(self) -> Counter[str]:
        """Notifications answered 2xx, by notification id."""
        return Counter(r.notification_id for r in self.all() if r.status < 300)

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
