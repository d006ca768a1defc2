"""Group insert: concurrent write requests share one INSERT (ClickHouse wants few, large inserts).

Callers hand over a prepared payload and block until the INSERT that carries it has been acknowledged by
ClickHouse; then they may answer 2xx. Payloads waiting together are flushed by ONE call of `flush`. The loop, the
bounded queue (StoreBusy past it) and the waiting are the group-commit core's (store/group_commit.py). Other jobs
(`submit`) run alone on the same thread, in order with the inserts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar, Unpack

from ..base import StoreError
from ..group_commit import GroupCommit, Job, Queueing
from .connection import Connection

P = TypeVar("P")


class GroupInserter(GroupCommit[Connection], Generic[P]):
    GROUP_MAX_ENTRIES = 50_000
    SOLO_FUNCTIONS = True
    THREAD_NAME = "loglens-clickhouse-writer"

    def __init__(
        self,
        connect: Callable[[], Connection],
        flush: Callable[[Connection, list[P]], None],
        **queueing: Unpack[Queueing],
    ) -> None:
        self._flush = flush
        self.groups = 0  # INSERT groups flushed (tests and bench read it)
        super().__init__(connect, **queueing)

    def submit_batch(self, payload: P, *, entries: int, nbytes: int) -> None:
        """Insert `payload` with whatever else is waiting; returns once ClickHouse acknowledged the INSERT."""
        self._wait(Job(entries, nbytes, payload=payload))

    async def submit_batch_async(self, payload: P, *, entries: int, nbytes: int) -> None:
        """`submit_batch` for a coroutine on an event loop: the loop goes on serving while the INSERT runs."""
        await self._wait_async(Job(entries, nbytes, payload=payload))

    def _commit(self, conn: Connection, jobs: list[Job]) -> None:
        try:
            fn = jobs[0].fn
            if fn is not None:
                jobs[0].result = fn(conn)
            else:
                self._flush(conn, [job.payload for job in jobs])
                self.groups += 1
            self.failure = self.failing_since = None
        except Exception as exc:
            error = self._failed(exc)
            for job in jobs:
                job.error = error

    def _failed(self, exc: BaseException) -> BaseException:
        """ClickHouse unreachable or refusing writes: /health says so until one succeeds."""
        error = exc if isinstance(exc, StoreError) else StoreError(f"write failed: {exc}")
        if self.failure is None:
            self.failing_since = time.time()
        self.failure = error
        return error
