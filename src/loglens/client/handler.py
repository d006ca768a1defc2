"""`LogLensHandler`: a logging.Handler that ships records to LogLens.

    import logging
    from loglens.client import LogLensHandler
    logging.getLogger().addHandler(LogLensHandler("http://127.0.0.1:5000", service="checkout"))

The handler turns each record into an entry in the calling thread (cheap: no I/O) and appends it to a bounded
in-memory queue; a background thread sends batches through a `BulkSender` (client/bulk.py).
A full queue drops the new record and counts it in `dropped`: logging never blocks on the network.
`close()` (called by logging.shutdown() and at interpreter exit) sends what is queued, waiting at most
`close_timeout` seconds.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import traceback
from collections import deque
from datetime import UTC, datetime
from typing import Any

import orjson

from .args import API_KEY_ENV
from .bulk import BulkOutcome, BulkSender

# Attributes every LogRecord has; anything else on a record came from `extra=` and goes into metadata.
_STANDARD_ATTRS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def level_name(levelno: int) -> str:
    """Python logging levels (custom ones too) -> the log schema's levels: NOTSET and below DEBUG are DEBUG."""
    if levelno >= logging.CRITICAL:
        return "CRITICAL"
    if levelno >= logging.ERROR:
        return "ERROR"
    if levelno >= logging.WARNING:
        return "WARNING"
    if levelno >= logging.INFO:
        return "INFO"
    return "DEBUG"


def record_to_entry(record: logging.LogRecord, service: str | None = None) -> dict[str, Any]:
    """One LogRecord as a log entry: extra= fields and the formatted exception go into metadata."""
    level = level_name(record.levelno)
    metadata: dict[str, Any] = {"logger": record.name}
    if record.levelname != level:
        metadata["levelname"] = record.levelname
    user_id: str | None = None
    for key, value in vars(record).items():
        if key in _STANDARD_ATTRS:
            continue
        if key == "user_id" and value is not None:
            user_id = str(value)
        else:
            metadata[key] = value
    if record.exc_info and record.exc_info[0] is not None:
        metadata["exception"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
    elif record.exc_text:
        metadata["exception"] = record.exc_text
    if record.stack_info:
        metadata["stack"] = record.stack_info
    entry: dict[str, Any] = {
        "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="microseconds"),
        "level": level,
        "service": service or record.name,
        "message": record.getMessage() or "(empty message)",
        "metadata": metadata,
    }
    if user_id is not None:
        entry["user_id"] = user_id
    return entry


class LogLensHandler(logging.Handler):
    """Ships records to a LogLens server in batches from a background thread; never blocks the caller."""

    def __init__(
        self,
        url: str,
        *,
        service: str | None = None,
        batch_size: int = 500,
        flush_interval: float = 1.0,
        queue_size: int = 10_000,
        timeout: float = 10.0,
        close_timeout: float = 10.0,
        max_backoff: float = 30.0,
        level: int = logging.NOTSET,
        api_key: str | None = None,
    ) -> None:
        super().__init__(level)
        self.service = service
        self.batch_size = max(1, batch_size)
        self.flush_interval = flush_interval
        self.queue_size = max(1, queue_size)
        self.close_timeout = close_timeout
        self.sender = BulkSender(
            url,
            timeout=timeout,
            max_backoff=max_backoff,
            user_agent="loglens-handler",
            api_key=api_key or os.environ.get(API_KEY_ENV) or None,
        )
        self.sent = 0  # entries the server accepted
        self.rejected = 0  # entries the server refused as invalid
        self.dropped = 0  # entries lost: queue full, unsendable, or still unsent when close() gave up
        self.last_error: str | None = None
        self._closing = False
        self._deadline: float | None = None
        self._start_worker()
        atexit.register(self.close)

    def _start_worker(self) -> None:
        self._pid = os.getpid()
        self._cond = threading.Condition(threading.Lock())
        self._queue: deque[bytes] = deque()
        self._oldest = 0.0  # monotonic time the oldest queued entry arrived
        self._enqueued = 0  # entries ever queued, and of those, taken by the worker
        self._taken = 0
        self._settled = 0  # taken entries whose fate is known (sent, rejected or dropped)
        self._flush_upto = 0
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="loglens-handler", daemon=True)
        self._thread.start()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = orjson.dumps(record_to_entry(record, self.service), default=str, option=orjson.OPT_NON_STR_KEYS)
        except Exception:
            self.handleError(record)
            return
        if self._pid != os.getpid():  # forked: the worker thread did not come along
            self._start_worker()
        with self._cond:
            if self._closing or len(self._queue) >= self.queue_size:
                self.dropped += 1
                return
            self._queue.append(line)
            self._enqueued += 1
            if len(self._queue) == 1:  # the worker may be asleep with nothing to time: start the flush clock
                self._oldest = time.monotonic()
                self._cond.notify()
            elif len(self._queue) >= self.batch_size:
                self._cond.notify()

    def flush(self) -> None:
        """Send everything queued so far, waiting at most close_timeout seconds."""
        self.drain(self.close_timeout)

    def drain(self, timeout: float | None = None) -> bool:
        """Send everything queued so far; True once the server has answered for all of it within `timeout`."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            target = self._enqueued
            self._flush_upto = max(self._flush_upto, target)
            self._cond.notify_all()
            while self._settled < target and self._thread.is_alive():
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return self._settled >= target

    def close(self) -> None:
        """Send what is queued (for at most close_timeout seconds), then stop the worker."""
        with self._cond:
            if self._closing:
                return
            self._closing = True
            self._deadline = time.monotonic() + self.close_timeout
            self._cond.notify_all()
        self._wake.set()  # cut a retry backoff short: try once more now
        self._thread.join(self.close_timeout + 1.0)
        self.sender.close()
        atexit.unregister(self.close)
        super().close()

    def _ready(self) -> bool:
        """Whether the worker should take a batch now (called with the lock held)."""
        if not self._queue:
            return False
        return (
            self._closing
            or len(self._queue) >= self.batch_size
            or self._flush_upto > self._taken
            or time.monotonic() - self._oldest >= self.flush_interval
        )

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._ready():
                    if self._closing and not self._queue:
                        return
                    wait = None if not self._queue else self._oldest + self.flush_interval - time.monotonic()
                    self._cond.wait(wait)
                take = min(self.batch_size, len(self._queue))
                batch = [self._queue.popleft() for _ in range(take)]
                self._taken += take
                self._oldest = time.monotonic()
            outcome = self._send(batch)
            with self._cond:
                self.sent += outcome.accepted
                self.rejected += outcome.rejected
                self.dropped += outcome.unsent
                if outcome.error:
                    self.last_error = outcome.error
                elif outcome.errors:
                    self.last_error = f"the server rejected entries: {outcome.errors[0]}"
                self._settled += take
                if self._closing and self._deadline is not None and time.monotonic() >= self._deadline:
                    self.dropped += len(self._queue)
                    self._queue.clear()
                self._cond.notify_all()

    def _retrying(self, problem: str) -> None:
        self.last_error = problem

    def _send(self, batch: list[bytes]) -> BulkOutcome:
        try:
            return self.sender.send(batch, deadline=lambda: self._deadline, wake=self._wake, on_retry=self._retrying)
        except Exception as exc:  # never let the worker die: count the batch and carry on
            return BulkOutcome(unsent=len(batch), error=f"{type(exc).__name__}: {exc}")
