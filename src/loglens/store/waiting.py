"""How a caller waits for its write: the group-commit core (group_commit.py) that both backends' writers share.

A job carries a `done` signal that the writer thread releases once the job's transaction or INSERT has ended.
A thread waits on a held lock (`held_lock`); a coroutine on the event loop waits on a `LoopSignal`, whose release
wakes its future through the loop, so the event loop never blocks on a commit. `Pending` bounds what may wait.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Protocol

from .base import StoreBusy


class Signal(Protocol):
    def release(self) -> None: ...


def held_lock() -> threading.Lock:
    """A lock that is already held: the caller blocks acquiring it until the writer releases it (a bare lock, not
    an Event: the writer wakes every caller of a group while holding the GIL, and Event.set costs several times
    more)."""
    lock = threading.Lock()
    lock.acquire()
    return lock


class LoopSignal:
    """Released by the writer thread; `await signal.wait()` on the loop that made it returns after that."""

    __slots__ = ("_loop", "_future")

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._future: asyncio.Future[None] = self._loop.create_future()

    def release(self) -> None:
        self._loop.call_soon_threadsafe(_resolve, self._future)

    async def wait(self) -> None:
        await self._future


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():  # the waiting coroutine may have been cancelled (its client went away)
        future.set_result(None)


class Pending:
    """Entries and bytes handed to a writer and not yet committed, bounded: past a bound, StoreBusy (503)."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.entries = 0
        self.bytes = 0
        self.lock = threading.Lock()

    def admit(self, entries: int, nbytes: int) -> None:
        """Count a job in, or raise StoreBusy; the caller holds `lock`."""
        if self.entries > 0 and (self.entries + entries > self.max_entries or self.bytes + nbytes > self.max_bytes):
            raise StoreBusy(f"the writer has {self.entries} entries waiting; retry shortly", retry_after=1)
        self.entries += entries
        self.bytes += nbytes

    def settle(self, sizes: list[tuple[int, int]]) -> None:
        """Count committed (or failed) jobs out: (entries, bytes) each."""
        with self.lock:
            for entries, nbytes in sizes:
                self.entries -= entries
                self.bytes -= nbytes
