"""Group insert: concurrent write requests share one INSERT (ClickHouse wants few, large inserts).

Callers hand over a prepared payload and block until the INSERT that carries it has been acknowledged by
ClickHouse; then they may answer 2xx. Payloads waiting together are flushed by ONE call of `flush`. The queue is
bounded by pending entries and bytes; past that, `submit_batch` raises StoreBusy (503 + Retry-After) instead of
letting memory grow. Other jobs (`submit`) run alone on the same thread, in order with the inserts.
"""

from __future__ import annotations

import queue
import threading
import time
from _thread import LockType
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from ..base import StoreError
from ..waiting import LoopSignal, Pending, Signal, held_lock
from .connection import Connection

P = TypeVar("P")
GROUP_MAX_ENTRIES = 50_000


@dataclass(eq=False)
class _Job:
    entries: int
    nbytes: int
    payload: Any = None
    fn: Callable[[Connection], Any] | None = None
    done: Signal = field(default_factory=held_lock)  # released once the job's insert has ended (waiting.py)
    result: Any = None
    error: BaseException | None = None


class GroupInserter(Generic[P]):
    def __init__(
        self,
        connect: Callable[[], Connection],
        flush: Callable[[Connection, list[P]], None],
        *,
        max_pending_entries: int,
        max_pending_bytes: int,
        name: str = "loglens-clickhouse-writer",
        on_commit: Callable[[int, int, float], None] | None = None,
    ) -> None:
        self._connect = connect
        self._on_commit = on_commit  # told (jobs, entries, seconds) after every acknowledged INSERT group
        self._flush = flush
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._pending = Pending(max_pending_entries, max_pending_bytes)
        self._closed = False
        self.groups = 0  # INSERT groups flushed (tests and bench read it)
        self.failure: StoreError | None = None  # why the last write failed; None once a write succeeds again
        self.failing_since: float | None = None  # epoch seconds of the first failure in a row
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self.connection: Connection | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._startup_error is not None:
            raise self._startup_error

    @property
    def pending_entries(self) -> int:
        return self._pending.entries

    def submit_batch(self, payload: P, *, entries: int, nbytes: int) -> None:
        """Insert `payload` with whatever else is waiting; returns once ClickHouse acknowledged the INSERT."""
        self._enqueue(_Job(entries, nbytes, payload=payload))

    def submit(self, fn: Callable[[Connection], Any], *, entries: int = 0, nbytes: int = 0) -> Any:
        """Run `fn(connection)` on the writer thread, between two inserts; returns its result."""
        return self._enqueue(_Job(entries, nbytes, fn=fn))

    async def submit_batch_async(self, payload: P, *, entries: int, nbytes: int) -> None:
        """`submit_batch` for a coroutine on an event loop: the loop goes on serving while the INSERT runs."""
        signal = LoopSignal()
        job = _Job(entries, nbytes, payload=payload, done=signal)
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
            self._pending.admit(job.entries, job.nbytes)

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
        except BaseException as exc:  # reported to the constructor's caller
            self._startup_error = exc
            self._ready.set()
            return
        self._ready.set()
        conn = self.connection
        stop = False
        while not stop:
            first = self._queue.get()
            if first is None:
                break
            jobs = [first]
            size = first.entries
            while first.fn is None and size < GROUP_MAX_ENTRIES:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                if nxt.fn is not None:  # runs after this group
                    self._run_jobs(conn, jobs)
                    jobs = []
                    self._run_jobs(conn, [nxt])
                    break
                jobs.append(nxt)
                size += nxt.entries
            if jobs:
                self._run_jobs(conn, jobs)
        conn.close()

    def _run_jobs(self, conn: Connection, jobs: list[_Job]) -> None:
        try:
            if jobs[0].fn is not None:
                jobs[0].result = jobs[0].fn(conn)
            else:
                started = time.perf_counter()
                self._flush(conn, [job.payload for job in jobs])
                self.groups += 1
                if self._on_commit is not None:
                    self._on_commit(len(jobs), sum(job.entries for job in jobs), time.perf_counter() - started)
            self.failure = self.failing_since = None
        except Exception as exc:
            error = exc if isinstance(exc, StoreError) else StoreError(f"write failed: {exc}")
            if self.failure is None:
                self.failing_since = time.time()
            self.failure = error  # ClickHouse unreachable or refusing writes: /health says so until one succeeds
            for job in jobs:
                job.error = error
        finally:
            self._pending.settle([(job.entries, job.nbytes) for job in jobs])
            for job in jobs:
                job.done.release()
