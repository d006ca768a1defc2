"""Live tail: one watcher thread notices new commits; each stream waits on a condition until there is news.

A stream holds a serving thread while it is open, but an idle one costs no CPU: it sleeps in `wait_newer` until
the watcher sees a larger committed id (it polls the store's newest id, an O(log n) read, every poll_seconds
while any stream is attached) or until its heartbeat is due. Entries are read by id, which grows in commit
order, so `id > last sent` after a reconnect (Last-Event-ID) loses and repeats nothing.

Coalescing: after a stream has queried, it waits at least poll_seconds before its next query (`pause`), whatever
wakes it, so N streams cost at most N / poll_seconds tail queries per second however fast entries commit, and
each query picks up everything committed meanwhile in one read.

At most READERS streams query the store at once (`reading`): a commit wakes every stream together, and 60 tails
querying at the same moment took 60 of the store's reader connections (and their page caches) at once, where a
few in turn deliver the same entries as soon (the queries share the GIL anyway).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)

READERS = 4  # streams querying the store at once


class TailHub:
    def __init__(self, last_id: Callable[[], int], *, max_streams: int, poll_seconds: float) -> None:
        self._last_id = last_id
        self.max_streams = max_streams
        self.poll_seconds = poll_seconds
        self._cond = threading.Condition()
        self._latest = -1
        self._streams = 0
        self._closed = False
        self._thread: threading.Thread | None = None
        self._readers = threading.BoundedSemaphore(READERS)

    @property
    def streams(self) -> int:
        return self._streams

    def attach(self) -> bool:
        """Take a stream slot; False when max_streams are open (the caller answers 503)."""
        with self._cond:
            if self._closed or self._streams >= self.max_streams:
                return False
            self._streams += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="loglens-tail", daemon=True)
                self._thread.start()
            return True

    def detach(self) -> None:
        with self._cond:
            self._streams -= 1

    def wait_newer(self, seen: int, timeout: float) -> int | None:
        """The newest committed id once it differs from `seen`, or None after `timeout` s (or when closing)."""
        with self._cond:
            self._cond.wait_for(lambda: self._closed or (self._latest >= 0 and self._latest != seen), timeout)
            if self._closed or self._latest < 0 or self._latest == seen:
                return None
            return self._latest

    def pause(self, seconds: float) -> None:
        """Sleep `seconds` unless the hub closes first: a stream's gap between two tail queries."""
        if seconds > 0:
            with self._cond:
                self._cond.wait_for(lambda: self._closed, seconds)

    @contextmanager
    def reading(self) -> Iterator[bool]:
        """One of the READERS slots for a stream's query, held for the `with` block; yields False (holding none)
        when the hub closes first. A wait is as long as the queries ahead of it, each under the query deadline."""
        while not self._readers.acquire(timeout=self.poll_seconds):
            if self._closed:
                yield False
                return
        try:
            yield True
        finally:
            self._readers.release()

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=5)

    def _watch(self) -> None:
        stop = threading.Event()
        while not self._closed:
            try:
                latest = self._last_id()
            except Exception:  # a store error: streams keep waiting, the next poll retries
                log.exception("live tail: cannot read the newest id")
                latest = self._latest
            with self._cond:
                if latest != self._latest:
                    self._latest = latest
                    self._cond.notify_all()
                if self._streams == 0:
                    self._thread = None
                    self._latest = -1
                    return
            stop.wait(self.poll_seconds)
