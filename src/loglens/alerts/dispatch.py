"""A bounded background queue between the alert engine and the notifiers.

`submit` never blocks: when the queue is full it returns False and counts the drop. The alert row is already
stored by then, so a slow or dead receiver loses a notification at worst, never an alert.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Sequence
from typing import Any

from ..config import AlertingSettings
from .handlers import AlertHandler

log = logging.getLogger(__name__)


class Dispatcher:
    def __init__(self, handlers: Sequence[AlertHandler], *, maxsize: int = AlertingSettings.queue_size) -> None:
        self.handlers = list(handlers)
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue(maxsize=maxsize)
        self.dropped = 0
        self.delivered = 0
        self.failed = 0
        self._thread = threading.Thread(target=self._run, name="loglens-notify", daemon=True)
        self._thread.start()

    def submit(self, alert: dict[str, Any]) -> bool:
        try:
            self._queue.put_nowait(alert)
        except queue.Full:
            self.dropped += 1
            log.warning("alert notification queue full; dropped notification for alert %s", alert.get("id"))
            return False
        return True

    def join(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued so far has been handled (for tests and shutdown)."""
        waiter = threading.Thread(target=self._queue.join, daemon=True)
        waiter.start()
        waiter.join(timeout)
        return not waiter.is_alive()

    def close(self, timeout: float = 5.0) -> None:
        self.join(timeout)
        try:
            self._queue.put(None, timeout=timeout)
        except queue.Full:
            return
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            alert = self._queue.get()
            try:
                if alert is None:
                    return
                for handler in self.handlers:
                    try:
                        handler.handle(dict(alert))
                        self.delivered += 1
                    except Exception:
                        self.failed += 1
                        log.exception("alert handler %s failed for alert %s", type(handler).__name__, alert.get("id"))
            finally:
                self._queue.task_done()
