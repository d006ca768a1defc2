"""One writer thread with group commit: concurrent callers share one SQLite transaction.

Callers hand the writer a job (a function of the write connection) and block until the transaction that ran
it has committed. Batch jobs that share a `batch_fn` are merged: one call applies all their payloads, so a
group of N single-entry requests costs one set of statements and one fsync, not N. A `batch_fn` must apply its
payloads in ONE statement: when a group holds nothing else, the writer runs it without BEGIN/COMMIT, so SQLite
commits it on its own, and the writer takes the GIL back once per group instead of once per statement.

The queue is bounded by pending entries and bytes; past that, `submit` raises StoreBusy
instead of letting memory grow.

A `connect` that raises StoreFull (a full disk met while opening the store) does not stop the writer: it starts
failing (/health reports why), answers every job with that error, and tries to open the store again for each group
until it can (a health probe submits one while failing). Any other error of `connect` goes to the constructor's
caller, as before.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time
from _thread import LockType
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .base import StoreCorrupt, StoreError, StoreFailing, StoreFull
from .sqlite_errors import store_error
from .waiting import LoopSignal, Pending, Signal, held_lock

log = logging.getLogger(__name__)

GROUP_MAX_ENTRIES = 20_000


@dataclass(eq=False)
class _Job:
    fn: Callable[[sqlite3.Connection], Any] | None
    entries: int
    nbytes: int
    batch_fn: Callable[[sqlite3.Connection, list[Any]], None] | None = None
    payload: Any = None
    done: Signal = field(default_factory=held_lock)  # released once the job's transaction has ended (waiting.py)
    result: Any = None
    error: BaseException | None = None


class Writer:
    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        *,
        max_pending_entries: int,
        max_pending_bytes: int,
        lock: threading.Lock | None = None,
        name: str = "loglens-writer",
        on_commit: Callable[[int, int, float], None] | None = None,
    ) -> None:
        self._connect = connect
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._pending = Pending(max_pending_entries, max_pending_bytes)
        self._conn_lock = lock  # held around each transaction when readers share the connection
        self._closed = False
        # Called by the writer thread after each group: (jobs committed, entries committed, seconds). Metrics.
        self.on_commit = on_commit
        # The error of the last failed transaction while the store is failing (full disk, I/O error, damaged
        # file); cleared by the next transaction that commits.
        self.failure: StoreFailing | None = None
        self.failing_since: float | None = None
        self._condemned: StoreFailing | None = None  # set by condemn(): every write is refused from then on
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self.connection: sqlite3.Connection | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._startup_error is not None:
            raise self._startup_error

    def submit(self, fn: Callable[[sqlite3.Connection], Any], *, entries: int = 0, nbytes: int = 0) -> Any:
        """Run `fn(conn)` inside a write transaction; return its result once committed."""
        return self._enqueue(_Job(fn, entries, nbytes))

    def submit_batch(
        self, batch_fn: Callable[[sqlite3.Connection, list[Any]], None], payload: Any, *, entries: int, nbytes: int
    ) -> None:
        """Have `batch_fn(conn, [payload, ...])` apply `payload`, merged with neighbours that share `batch_fn`."""
        self._enqueue(_Job(None, entries, nbytes, batch_fn, payload))

    async def submit_batch_async(
        self, batch_fn: Callable[[sqlite3.Connection, list[Any]], None], payload: Any, *, entries: int, nbytes: int
    ) -> None:
        """`submit_batch` for a coroutine on an event loop: the loop goes on serving while the group commits."""
        signal = LoopSignal()
        job = _Job(None, entries, nbytes, batch_fn, payload, done=signal)
        self._admit(job)
        self._queue.put(job)
        await signal.wait()
        if job.error is not None:
            raise job.error

    def _enqueue(self, job: _Job) -> Any:
        lock = job.done
        assert isinstance(lock, LockType)  # a thread waits on the default held_lock
        self._admit(job)
        self._queue.put(job)
        lock.acquire()
        if job.error is not None:
            raise job.error
        return job.result

    def _admit(self, job: _Job) -> None:
        with self._pending.lock:
            if self._closed:
                raise StoreError("the store is closed")
            if self._condemned is not None:
                raise self._condemned
            self._pending.admit(job.entries, job.nbytes)

    @property
    def pending_entries(self) -> int:
        return self._pending.entries

    def close(self) -> None:
        with self._pending.lock:
            if self._closed:
                return
            self._closed = True
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        try:
            self.connection = self._connect()
        except StoreFull as exc:  # start failing; each group tries to open the store again (_commit)
            self._failed(exc)
        except BaseException as exc:  # reported to the constructor's caller
            self._startup_error = exc
            self._ready.set()
            return
        self._ready.set()
        stop = False
        while not stop:
            first = self._queue.get()
            if first is None:
                break
            jobs = [first]
            size = first.entries
            while size < GROUP_MAX_ENTRIES:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                jobs.append(nxt)
                size += nxt.entries
            self._commit(jobs)
        if self.connection is not None:
            self.connection.close()

    def _commit(self, jobs: list[_Job]) -> None:
        started = time.perf_counter()
        try:
            if self.connection is None:  # it could not be opened (a full disk): try again
                try:
                    self.connection = self._connect()
                except Exception as exc:
                    error = self._failed(exc)
                    for job in jobs:
                        job.error = error
                    return
            conn = self.connection
            try:
                self._transaction(conn, jobs)
                self._succeeded()
            except Exception as exc:
                error = self._failed(exc)
                if len(jobs) == 1 or isinstance(error, StoreFailing):  # a full disk fails every job alike
                    for job in jobs:
                        job.error = _as_store_error(job.error) if job.error is not None else error
                else:  # one bad job must not fail its neighbours: retry each on its own
                    for job in jobs:
                        job.error = None
                        try:
                            self._transaction(conn, [job])
                            self._succeeded()
                        except Exception as exc:
                            job.error = self._failed(exc)
        finally:
            self._pending.settle([(job.entries, job.nbytes) for job in jobs])
            for job in jobs:
                job.done.release()
            if self.on_commit is not None:
                committed = [job for job in jobs if job.error is None]
                try:
                    self.on_commit(len(committed), sum(j.entries for j in committed), time.perf_counter() - started)
                except Exception:  # metrics must never stop the writer
                    log.exception("on_commit failed")

    def condemn(self, error: StoreFailing) -> None:
        """Refuse every write from now on (a damaged file found while serving); /health reports `error`."""
        with self._pending.lock:
            self._condemned = error
        self.failure = error
        self.failing_since = time.time()

    def _succeeded(self) -> None:
        if self.failure is not None and self._condemned is None:
            log.warning("the store takes writes again (it failed: %s)", self.failure)
            self.failure = None
            self.failing_since = None

    def _failed(self, exc: BaseException) -> BaseException:
        """The error to report for a failed transaction; a failing store is remembered for /health."""
        error = _as_store_error(exc)
        if isinstance(error, StoreCorrupt):  # writing on into a damaged file spreads the damage: stop writing
            self.condemn(error)
        elif isinstance(error, StoreFailing):
            if self.failure is None:
                log.error("the store is failing: %s", error)
                self.failing_since = time.time()
            self.failure = error
        return error

    def _transaction(self, conn: sqlite3.Connection, jobs: list[_Job]) -> None:
        if self._conn_lock is not None:
            self._conn_lock.acquire()
        try:
            batch_fn = jobs[0].batch_fn
            # `==`, not `is`: a bound method such as store._apply is a new object at every access
            if batch_fn is not None and all(job.batch_fn == batch_fn for job in jobs):
                # one batch function for the whole group: it is one statement, committed by SQLite on its own
                try:
                    batch_fn(conn, [job.payload for job in jobs])
                except Exception as exc:
                    for job in jobs:
                        job.error = exc
                    raise
                return
            conn.execute("BEGIN IMMEDIATE")
            try:
                i = 0
                while i < len(jobs):
                    j = i + 1
                    batch_fn = jobs[i].batch_fn
                    while batch_fn is not None and j < len(jobs) and jobs[j].batch_fn == batch_fn:
                        j += 1
                    try:
                        if batch_fn is not None:
                            batch_fn(conn, [job.payload for job in jobs[i:j]])
                        else:
                            fn = jobs[i].fn
                            assert fn is not None
                            jobs[i].result = fn(conn)
                    except Exception as exc:
                        for job in jobs[i:j]:
                            job.error = exc
                        raise
                    i = j
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:  # SQLite rolls back by itself on some errors (SQLITE_FULL, IOERR)
                    try:
                        conn.execute("ROLLBACK")
                    except sqlite3.Error:
                        log.exception("rollback failed")
                raise
        finally:
            if self._conn_lock is not None:
                self._conn_lock.release()


def _as_store_error(exc: BaseException) -> BaseException:
    """sqlite3 errors become store errors (503 at the API); anything else is a bug and stays as it is."""
    if isinstance(exc, sqlite3.Error):
        return store_error(exc)
    return exc
