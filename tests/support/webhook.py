"""A real webhook receiver on loopback: records every POST (path and JSON body), answers with the queued statuses,
then 200."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class WebhookReceiver:
    def __init__(self, statuses: list[int] | None = None) -> None:
        """`statuses`: what to answer the first POSTs with, in order (e.g. [503, 500] for two failures)."""
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.statuses = list(statuses or [])
        self._cv = threading.Condition()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with outer._cv:
                    outer.received.append((self.path, body))
                    status = outer.statuses.pop(0) if outer.statuses else 200
                    outer._cv.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def bodies(self) -> list[dict[str, Any]]:
        """The JSON bodies received so far, in order."""
        with self._cv:
            return [body for _, body in self.received]

    def wait_for(
        self, predicate: Callable[[list[tuple[str, dict[str, Any]]]], bool], timeout: float, what: str
    ) -> list[tuple[str, dict[str, Any]]]:
        """Wait until `predicate(received)` holds; fail with what was received by the deadline."""
        deadline = time.monotonic() + timeout
        with self._cv:
            while not predicate(self.received):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out after {timeout}s waiting for {what}; received {self.received}")
                self._cv.wait(left)
            return list(self.received)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
