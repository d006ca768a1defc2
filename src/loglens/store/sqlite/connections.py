"""The SQLite store's connections: the writer's (WAL, synchronous, the startup check, migrations), a pool of
readers (the search index attached, reads under the query deadline), and the files they make on disk.

Readers are pooled, not kept one per thread: a read takes the most recently returned idle reader (or opens one) and
gives it back when it ends, and at most IDLE_READERS are kept. A reader costs its schema, its prepared statements
and its page cache (a few hundred KB with the search index attached); every live tail holds a serving thread, so
one reader per thread made 60 tails hold 60 readers (about 12 MB) that were idle nearly all the time.

A `:memory:` store has one connection only, the writer's: readers share it under `shared_lock`, which the writer
also holds around each transaction.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from ..base import StoreCorrupt, StoreError, StoreFull
from . import integrity
from .deadline import deadline
from .errors import no_space, store_error
from .indexer import INDEX_SUFFIX, attach, prepare_index
from .migrations import migrate
from .query import register_functions

MEMORY = ":memory:"
UNINDEXED = "search.unindexed"  # a counter set once a store was written without the search indexes

# SQLite's soft heap limit (process-wide): near it, each connection's page cache reuses its own pages instead of
# growing. A reader's cache grows to 2 MiB (x2 with the search index attached). Below the limit nothing changes
# (a few busy readers keep their full caches).
SQLITE_HEAP_BYTES = 16 << 20
# Idle readers kept for the next reads: as many as reads usually run at once (the request threads, the health
# probe, the indexer's look); a burst beyond opens more, closed as they come back.
IDLE_READERS = 8


class Connections:
    def __init__(
        self,
        path: str,
        *,
        synchronous: str,
        search_index: bool,
        query_timeout: float | None,
        integrity_pragma: str | None,
        integrity_in_background: bool,
    ) -> None:
        self.path = path
        self.synchronous = synchronous
        self.search_index = search_index
        self.query_timeout = query_timeout  # seconds each read may run (None: no limit)
        self.integrity_pragma = integrity_pragma  # the check to run at startup (None: none) ...
        self.integrity_in_background = integrity_in_background  # ... unless it runs in the background
        self.memory = path == MEMORY
        # the search index's file (indexer.py): beside the store, or in memory attached to the writer's connection
        self.index_path = None if self.memory else path + INDEX_SUFFIX
        self.shared_lock = threading.Lock() if self.memory else None
        self._shared: sqlite3.Connection | None = None  # a :memory: store's one connection (the writer's)
        self._idle: list[sqlite3.Connection] = []  # readers not in use, the most recently used last
        self._readers_lock = threading.Lock()
        self._closed = False  # close_readers() ran: readers coming back are closed

    def connect(self, *, any_thread: bool = False) -> sqlite3.Connection:
        """A connection to the store; `any_thread`: used by several threads in turn, one at a time."""
        shared = any_thread or self.memory
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=not shared, timeout=10.0)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open {self.path}: {exc}") from None
        conn.execute("PRAGMA busy_timeout = 10000")
        conn.execute(f"PRAGMA soft_heap_limit = {SQLITE_HEAP_BYTES}")
        register_functions(conn)
        return conn

    def open_writer(self) -> sqlite3.Connection:
        """The writer's connection, the store checked and migrated (the writer thread opens it: writer.py)."""
        conn = self.connect()
        try:
            if not self.memory:
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if mode != "wal":
                    raise StoreError(f"{self.path}: could not switch to WAL mode (got {mode})")
                conn.execute(f"PRAGMA synchronous = {self.synchronous}")
                if self.integrity_pragma is not None and not self.integrity_in_background:
                    integrity.check(conn, self.integrity_pragma, self.path)  # before anything is written
            migrate(conn, self.path)
            self._check_index_mode(conn)
            if self.memory and self.search_index:
                attach(conn, MEMORY)
                prepare_index(conn)
        except sqlite3.DatabaseError as exc:
            conn.close()
            if no_space(exc, self.path):  # the writer starts failing and opens it again later (writer.py)
                raise StoreFull(f"the disk holding the store is full: cannot open {self.path} ({exc})") from None
            error = store_error(exc, "open")
            cls = StoreCorrupt if isinstance(error, StoreCorrupt) else StoreError
            raise cls(f"{self.path} is not a usable LogLens store: {exc}") from None
        except StoreError:
            conn.close()
            raise
        if self.memory:
            self._shared = conn
        return conn

    def _check_index_mode(self, conn: sqlite3.Connection) -> None:
        unindexed = conn.execute("SELECT value FROM counters WHERE name = ?", (UNINDEXED,)).fetchone()
        if self.search_index and unindexed:
            raise StoreError(
                f"{self.path} was written with storage.search_index off, so its search index is incomplete; "
                "keep it off for this store or start a new one"
            )
        if not self.search_index and not unindexed:
            conn.execute("INSERT INTO counters (name, value) VALUES (?, 1)", (UNINDEXED,))

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A reader from the pool, within the query deadline; errors come out as StoreError (the API's 503)."""
        try:
            if self.memory:
                assert self.shared_lock is not None and self._shared is not None
                with self.shared_lock, deadline(self._shared, self.query_timeout):
                    yield self._shared
                return
            conn = self._take_reader()
            try:
                with deadline(conn, self.query_timeout):
                    yield conn
            finally:
                self._give_back(conn)
        except sqlite3.Error as exc:  # never a raw sqlite3 error to the caller (the API maps StoreError to 503)
            raise store_error(exc, "read") from None

    def _take_reader(self) -> sqlite3.Connection:
        with self._readers_lock:
            if self._idle:
                return self._idle.pop()
        conn = self.connect(any_thread=True)
        try:
            if self.index_path is not None and self.search_index:
                attach(conn, self.index_path)
            conn.execute("PRAGMA query_only = 1")
        except BaseException:
            conn.close()
            raise
        return conn

    def _give_back(self, conn: sqlite3.Connection) -> None:
        with self._readers_lock:
            if len(self._idle) < IDLE_READERS and not self._closed:
                self._idle.append(conn)
                return
        conn.close()

    def size_bytes(self) -> int:
        """Bytes of the store's files on disk (the database, its WAL and shared-memory index, and the same of the
        search index's file)."""
        if self.memory:
            return 0
        total = 0
        for base in (self.path, self.index_path):
            for suffix in ("", "-wal", "-shm"):
                try:
                    total += os.stat(f"{base}{suffix}").st_size
                except OSError:
                    pass
        return total

    def close_readers(self) -> None:
        """Close every reader: the idle ones now, the ones in use when their reads end."""
        with self._readers_lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
