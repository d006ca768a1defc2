"""Group commit, the part both backends share: one writer thread, a bounded queue, and callers that wait.

Callers hand the writer thread a job and block (a thread) or await (a coroutine on an event loop) until the
transaction or INSERT that carried it has ended. The thread takes the first job waiting and every job queued behind
it, up to GROUP_MAX_ENTRIES entries, and hands the group to the backend's `_commit` in one go: N concurrent
requests cost one commit, not N. The queue is bounded by pending entries and bytes (waiting.Pending); past that,
submitting raises StoreBusy instead of letting memory grow.

A backend subclasses GroupCommit with its connection type, sets up its own fields, then calls
`super().__init__(connect, **queueing)` (the settings every backend takes alike, `Queueing`), which starts the
thread. It says:
- `_commit(conn, jobs)`: run the group, setting each job's `result` or `error` (it must not raise);
- `_failed(exc)`: the error to report for `exc`, remembered in `failure` while the store is failing;
- SOLO_FUNCTIONS: whether a function job (`submit`) runs alone, between groups of payloads (ClickHouse), or joins
  the group (SQLite, which runs them all in one transaction);
- THREAD_NAME: the writer thread's name unless the constructor is given one;
- START_FAILING: the errors of `connect` at startup after which the writer starts anyway, failing, and tries to
  connect again for each group (SQLite's full disk); any other error goes to the constructor's caller.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from _thread import LockType
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Protocol, Required, TypedDict, TypeVar

from .base import StoreError, StoreFailing
from .waiting import LoopSignal, Pending, Signal, held_lock

log = logging.getLogger(__name__)


class Closable(Protocol):
    def close(self) -> None: ...


C = TypeVar("C", bound=Closable)  # the backend's connection


@dataclass(eq=False)
class Job:
    entries: int
    nbytes: int
    payload: Any = None
    fn: Callable[[Any], Any] | None = None  # a function of the connection, run on the writer thread
    # what applies the payload, when the backend has several (SQLite's writer); payloads of one go together
    batch_fn: Callable[[Any, list[Any]], None] | None = None
    done: Signal = field(default_factory=held_lock)  # released once the job's transaction has ended (waiting.py)
    result: Any = None
    error: BaseException | None = None


class Queueing(TypedDict, total=False):
    """The settings every backend's writer takes alike (its own constructor passes them on unread)."""

    max_pending_entries: Required[int]
    max_pending_bytes: Required[int]
    name: str  # the writer thread's name (default: the class's THREAD_NAME)
    on_commit: Callable[[int, int, float], None] | None


class GroupCommit(Generic[C]):
    GROUP_MAX_ENTRIES: ClassVar[int] = 20_000
    SOLO_FUNCTIONS: ClassVar[bool] = False
    START_FAILING: ClassVar[tuple[type[BaseException], ...]] = ()
    THREAD_NAME: ClassVar[str] = "loglens-writer"

    def __init__(
        self,
        connect: Callable[[], C],
        *,
        max_pending_entries: int,
        max_pending_bytes: int,
        name: str | None = None,
        on_commit: Callable[[int, int, float], None] | None = None,
    ) -> None:
        """Set up the queue and start the writer thread; returns once it has connected (a subclass sets its own
        fields before calling this)."""
        self._connect = connect
        # told (jobs, entries, seconds) after each group, for the payload jobs that committed (metrics)
        self._on_commit = on_commit
        self._queue: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._pending = Pending(max_pending_entries, max_pending_bytes)
        self._closed = False
        # The error of the last failed commit while the store is failing (full disk, I/O error, damaged file,
        # server unreachable); cleared by the next commit that succeeds.
        self.failure: BaseException | None = None
        self.failing_since: float | None = None  # epoch seconds of the first failure in a row
        self._condemned: StoreFailing | None = None  # set by condemn(): every write is refused from then on
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self.connection: C | None = None
        self._thread = threading.Thread(target=self._run, name=name or self.THREAD_NAME, daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._startup_error is not None:
            raise self._startup_error

    @property
    def pending_entries(self) -> int:
        return self._pending.entries

    def submit(self, fn: Callable[[C], Any], *, entries: int = 0, nbytes: int = 0) -> Any:
        """Run `fn(connection)` on the writer thread; return its result once its commit has ended."""
        return self._wait(Job(entries, nbytes, fn=fn))

    def _wait(self, job: Job) -> Any:
        lock = job.done
        assert isinstance(lock, LockType)  # a thread waits on the default held_lock
        self._admit(job)
        self._queue.put(job)
        lock.acquire()
        if job.error is not None:
            raise job.error
        return job.result

    async def _wait_async(self, job: Job) -> None:
        """`_wait` for a coroutine on an event loop: the loop goes on serving while the group commits."""
        signal = LoopSignal()
        job.done = signal
        self._admit(job)
        self._queue.put(job)
        await signal.wait()
        if job.error is not None:
            raise job.error

    def _admit(self, job: Job) -> None:
        with self._pending.lock:
            if self._closed:
                raise StoreError("the store is closed")
            if self._condemned is not None:
                raise self._condemned
            self._pending.admit(job.entries, job.nbytes)

    def close(self) -> None:
        with self._pending.lock:
            if self._closed:
                return
            self._closed = True
        self._queue.put(None)
        self._thread.join()

    def condemn(self, error: StoreFailing) -> None:
        """Refuse every write from now on (a damaged file found while serving); /health reports `error`."""
        with self._pending.lock:
            self._condemned = error
        self.failure = error
        self.failing_since = time.time()

    def _run(self) -> None:
        try:
            self.connection = self._connect()
        except self.START_FAILING as exc:  # start failing; each group tries to connect again (_run_group)
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
            while not self._solo(first) and size < self.GROUP_MAX_ENTRIES:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                if self._solo(nxt):  # runs after this group
                    self._run_group(jobs)
                    jobs = []
                    self._run_group([nxt])
                    break
                jobs.append(nxt)
                size += nxt.entries
            if jobs:
                self._run_group(jobs)
        if self.connection is not None:
            self.connection.close()

    def _solo(self, job: Job) -> bool:
        return self.SOLO_FUNCTIONS and job.fn is not None

    def _run_group(self, jobs: list[Job]) -> None:
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
            self._commit(self.connection, jobs)
        finally:
            self._pending.settle([(job.entries, job.nbytes) for job in jobs])
            for job in jobs:
                job.done.release()
            self._ended(jobs, time.perf_counter() - started)

    def _commit(self, conn: C, jobs: list[Job]) -> None:
        raise NotImplementedError

    def _failed(self, exc: BaseException) -> BaseException:
        raise NotImplementedError

    def _ended(self, jobs: list[Job], seconds: float) -> None:
        """After a group's callers were woken: tell `on_commit` what committed; its failure never stops the writer
        nor fails a write that committed."""
        if self._on_commit is None:
            return
        committed = [job for job in jobs if job.error is None and job.fn is None]
        if not committed:
            return
        try:
            self._on_commit(len(committed), sum(job.entries for job in committed), seconds)
        except Exception:
            log.exception("on_commit failed")
