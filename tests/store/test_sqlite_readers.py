"""The SQLite store's reader connections are pooled: many threads reading leave a few readers open, not one each."""

from __future__ import annotations

import gc
import os
import sqlite3
import threading
from pathlib import Path

from loglens.search.query import parse
from loglens.store.sqlite import SQLiteStore
from loglens.store.sqlite.connections import IDLE_READERS
from loglens.validation import StatsDelta
from tests.support.entries import entry


def connections() -> int:
    """SQLite connections alive in this process (a reader let go is closed and freed)."""
    gc.collect()
    return sum(isinstance(o, sqlite3.Connection) for o in gc.get_objects())


def open_files(path: Path) -> int:
    """Descriptors of this process open on `path` (SQLite may keep a closed connection's until the others close)."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}") == str(path)
        except OSError:  # closed meanwhile
            pass
    return count


def test_reads_from_many_threads_leave_at_most_the_idle_readers_open(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = SQLiteStore(str(path))
    try:
        store.write([entry(message=f"pooled {i}") for i in range(50)], StatsDelta(50))
        assert len(store.search(parse("pooled"), limit=10).logs) == 10
        before = connections()
        threads = 40
        start = threading.Barrier(threads)
        found: list[int] = []

        def read() -> None:
            start.wait(timeout=10)
            found.append(len(store.search(parse("pooled"), limit=100).logs))

        workers = [threading.Thread(target=read) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=30)
        assert not any(worker.is_alive() for worker in workers)
        assert found == [50] * threads
        # the threads are gone; of the readers they used, the pool keeps at most IDLE_READERS
        assert connections() - before <= IDLE_READERS - 1
        # a read inside a read (another reader) and reads after them still answer
        with store._connections.read() as outer:
            assert outer.execute("SELECT count(*) FROM logs").fetchone()[0] == 50
            assert store.last_id() == 50
        assert store.get_log(1) is not None
    finally:
        store.close()
    assert open_files(path) == 0
