"""SQLite's group commit: concurrent callers share one transaction (the loop, queue and waiting: group_commit.py).

Callers hand the writer a job (a function of the write connection) and block until the transaction that ran
it has committed. Batch jobs that share a `batch_fn` are merged: one call applies all their payloads, so a
group of N single-entry requests costs one set of statements and one fsync, not N. A `batch_fn` must apply its
payloads in ONE statement: when a group holds nothing else, the writer runs it without BEGIN/COMMIT, so SQLite
commits it on its own, and the writer takes the GIL back once per group instead of once per statement.

A `connect` that raises StoreFull (a full disk met while opening the store) does not stop the writer: it starts
failing (/health reports why), answers every job with that error, and tries to open the store again for each group
until it can (a health probe submits one while failing). Any other error of `connect` goes to the constructor's
caller, as before.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any, Unpack

from ..base import StoreCorrupt, StoreFailing, StoreFull
from ..group_commit import GroupCommit, Job, Queueing
from .errors import store_error

log = logging.getLogger(__name__)

BatchFn = Callable[[sqlite3.Connection, list[Any]], None]


class Writer(GroupCommit[sqlite3.Connection]):
    GROUP_MAX_ENTRIES = 20_000
    START_FAILING = (StoreFull,)

    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        *,
        lock: threading.Lock | None = None,
        **queueing: Unpack[Queueing],
    ) -> None:
        self._conn_lock = lock  # held around each transaction when readers share the connection
        super().__init__(connect, **queueing)

    def submit_batch(self, batch_fn: BatchFn, payload: Any, *, entries: int, nbytes: int) -> None:
        """Have `batch_fn(conn, [payload, ...])` apply `payload`, merged with neighbours that share `batch_fn`."""
        self._wait(Job(entries, nbytes, payload, batch_fn=batch_fn))

    async def submit_batch_async(self, batch_fn: BatchFn, payload: Any, *, entries: int, nbytes: int) -> None:
        """`submit_batch` for a coroutine on an event loop: the loop goes on serving while the group commits."""
        await self._wait_async(Job(entries, nbytes, payload, batch_fn=batch_fn))

    def _commit(self, conn: sqlite3.Connection, jobs: list[Job]) -> None:
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

    def _transaction(self, conn: sqlite3.Connection, jobs: list[Job]) -> None:
        if self._conn_lock is not None:
            self._conn_lock.acquire()
        try:
            batch_fn = jobs[0].batch_fn
            # `==`, not `is`: a bound method such as Writes.apply is a new object at every access
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
