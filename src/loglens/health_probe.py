"""What GET /health says about the store, read by a thread of its own so that /health answers at once, whatever
the store is doing.

A /health request asks the probe for a reading that started after it arrived and waits at most `wait` seconds for
it: normally it gets one (the counts are those of that moment). When the store is slow to answer (a query using
every core of a ClickHouse server, a machine under load), the request answers with the newest reading instead,
at most about `interval` seconds old, since the thread also reads the store every `interval` seconds on its own.
One reading is taken at a time, however many requests ask: a flood of /health costs the store one small read at a
time. A store that has not answered a reading for `stale_after` seconds is reported as failing: /health never
says "healthy" on the strength of an old answer.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from .store import Store, StoreError
from .store.base import StoreHealth, Totals

log = logging.getLogger(__name__)

INTERVAL = 1.0  # seconds between two readings nobody asked for
WAIT = 0.05  # seconds a /health request waits for a fresh reading before it answers with the newest one
STALE_AFTER = 5.0  # seconds without an answer from the store after which it is reported as failing


@dataclass(frozen=True, slots=True)
class Reading:
    started: float  # time.monotonic() when the reading began
    health: StoreHealth
    totals: Totals | None  # None when the store could not be read
    read_error: str | None  # why it could not


@dataclass(frozen=True, slots=True)
class Silence:
    """The store has not answered a reading for `seconds`."""

    seconds: float
    since_ms: int  # epoch ms when the unanswered reading began

    @property
    def error(self) -> str:
        return f"the store has not answered for {self.seconds:.0f} s"


class StoreProbe:
    def __init__(
        self, store: Store, *, interval: float = INTERVAL, wait: float = WAIT, stale_after: float = STALE_AFTER
    ) -> None:
        self._store = store
        self.interval = interval
        self.wait = wait
        self.stale_after = stale_after
        self._cond = threading.Condition()
        self._reading: Reading | None = None
        self._asked = False
        self._reading_since: float | None = None  # monotonic start of the reading in progress
        self._closed = False
        self._thread = self._start()

    def _start(self) -> threading.Thread:
        thread = threading.Thread(target=self._run, name="loglens-health", daemon=True)
        thread.start()
        return thread

    def read(self) -> Reading | Silence:
        """A reading that began after this call, if one ends within `wait` seconds; else the newest one (waiting up
        to `stale_after` for the very first); Silence when the store has not answered for `stale_after` s."""
        asked = time.monotonic()
        with self._cond:
            if not self._thread.is_alive() and not self._closed:  # a forked worker: threads do not follow
                self._thread = self._start()
            self._asked = True
            self._cond.notify_all()
            limit = self.wait if self._reading is not None else self.stale_after
            self._cond.wait_for(lambda: self._closed or self._fresh(asked), limit)
            reading, pending = self._reading, self._reading_since
        now = time.monotonic()
        if pending is not None and now - pending > self.stale_after:
            return Silence(now - pending, _epoch_ms(pending, now))
        if reading is None:  # the first reading has not ended within stale_after
            began = pending if pending is not None else asked
            return Silence(now - began, _epoch_ms(began, now))
        return reading

    def _fresh(self, asked: float) -> bool:
        return self._reading is not None and self._reading.started >= asked

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._closed or self._asked, self.interval)
                if self._closed:
                    return
                self._asked = False
                started = self._reading_since = time.monotonic()
            reading = self._take(started)
            with self._cond:
                self._reading, self._reading_since = reading, None
                self._cond.notify_all()

    def _take(self, started: float) -> Reading:
        try:
            health = self._store.health()  # while failing, this probes the store with a small write (rate-limited)
        except Exception as exc:  # a store error, or a bug: reported, never a dead thread
            if not isinstance(exc, StoreError):
                log.exception("health probe: the store's health failed")
            health = StoreHealth(error=str(exc), failing_since_ms=None, pending_entries=0, size_bytes=0)
        try:
            return Reading(started, health, self._store.totals(), None)
        except Exception as exc:
            if not isinstance(exc, StoreError):
                log.exception("health probe: reading the totals failed")
            return Reading(started, health, None, str(exc))


def _epoch_ms(monotonic_at: float, now: float) -> int:
    return int((time.time() - (now - monotonic_at)) * 1000)
