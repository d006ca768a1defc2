"""`BulkSender`: POSTs batches of entries as (gzip'd) NDJSON to /api/logs/bulk over one keep-alive connection,
retrying with exponential backoff (honouring Retry-After) on 429/502/503/504 and connection errors, and splitting a
batch the server finds too large. Used by `LogLensHandler` and by `loglens ship`.
"""

from __future__ import annotations

import gzip
import http.client
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import orjson

from .args import server_message

BULK_PATH = "/api/logs/bulk"
RETRYABLE = frozenset({429, 502, 503, 504})
Deadline = float | Callable[[], float | None] | None
Reporter = Callable[[str], None] | None


@dataclass
class BulkOutcome:
    """What happened to one batch: counts, and the server's per-line errors (lines within the batch, 1-based)."""

    accepted: int = 0
    rejected: int = 0
    unsent: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None  # why entries went unsent
    status: int = 0  # the HTTP status that left entries unsent (0: none, or the server was not reached)


class BulkSender:
    """POSTs NDJSON batches to /api/logs/bulk over one keep-alive connection, retrying transient failures."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 10.0,
        compress: bool = True,
        max_backoff: float = 30.0,
        user_agent: str = "loglens-client",
        api_key: str | None = None,
    ) -> None:
        parts = urlsplit(url if "://" in url else f"http://{url}")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port
        base = parts.path.rstrip("/")
        self.path = base if base.endswith(BULK_PATH) else base + BULK_PATH
        self.timeout = timeout
        self.compress = compress
        self.max_backoff = max_backoff
        self.user_agent = user_agent
        self.api_key = api_key  # sent as Authorization: Bearer (servers with auth.enabled need one)
        self._conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def send(
        self,
        lines: Sequence[bytes],
        *,
        deadline: Deadline = None,
        wake: threading.Event | None = None,
        on_retry: Reporter = None,
    ) -> BulkOutcome:
        """Send `lines` (one JSON entry each), retrying 429/502/503/504 and connection errors with backoff.

        Gives up (counting the lines unsent) once a retry would pass `deadline` (time.monotonic(), or a function
        returning it; None: never). A 413 splits the batch in halves. Setting `wake` cuts one backoff short;
        `on_retry` hears why each retried attempt failed.
        """
        delay = 0.25
        body = b"\n".join(lines) + b"\n"
        if self.compress:
            body = gzip.compress(body, compresslevel=5)
        while True:
            try:
                status, retry_after, payload = self._post(body)
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                status, retry_after, payload, problem = 0, None, b"", f"cannot reach the server: {exc}"
            else:
                problem = f"HTTP {status}: {server_message(payload[:300])}"
            if status == 200:
                return _outcome(payload, len(lines))
            if status == 413 and len(lines) > 1:
                return self._split(lines, deadline, wake, on_retry)
            if status and status not in RETRYABLE:
                return BulkOutcome(unsent=len(lines), error=problem, status=status)
            wait = retry_after if retry_after is not None else delay * random.uniform(0.8, 1.2)
            delay = min(delay * 2, self.max_backoff)
            limit = deadline() if callable(deadline) else deadline
            if limit is not None and time.monotonic() + wait > limit:
                return BulkOutcome(unsent=len(lines), error=problem, status=status)
            if on_retry is not None:
                on_retry(problem)
            if wake is None:
                time.sleep(wait)
            elif wake.wait(wait):
                wake.clear()

    def _split(
        self, lines: Sequence[bytes], deadline: Deadline, wake: threading.Event | None, on_retry: Reporter
    ) -> BulkOutcome:
        half = len(lines) // 2
        first = self.send(lines[:half], deadline=deadline, wake=wake, on_retry=on_retry)
        second = self.send(lines[half:], deadline=deadline, wake=wake, on_retry=on_retry)
        for error in second.errors:
            if "line" in error:
                error["line"] += half
        return BulkOutcome(
            first.accepted + second.accepted,
            first.rejected + second.rejected,
            first.unsent + second.unsent,
            first.errors + second.errors,
            first.error or second.error,
            first.status or second.status,
        )

    def _post(self, body: bytes) -> tuple[int, float | None, bytes]:
        if self._conn is None:
            cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
            self._conn = cls(self.host, self.port, timeout=self.timeout)
        headers = {"Content-Type": "application/x-ndjson", "User-Agent": self.user_agent}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        if self.compress:
            headers["Content-Encoding"] = "gzip"
        self._conn.request("POST", self.path, body=body, headers=headers)
        response = self._conn.getresponse()
        payload = response.read()
        if response.will_close:
            self.close()
        retry_after = response.getheader("Retry-After")
        try:
            wait = float(retry_after) if retry_after is not None else None
        except ValueError:
            wait = None
        return response.status, wait, payload


def _outcome(payload: bytes, sent: int) -> BulkOutcome:
    try:
        report = orjson.loads(payload)
        return BulkOutcome(int(report["accepted"]), int(report["rejected"]), 0, list(report.get("errors", [])))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return BulkOutcome(accepted=sent)  # a 200 means the batch was taken, even if the report is unreadable
