"""The SQLite store's search index file and the indexer that fills it (indexer.py): the indexer's connection, its
jobs, and the queue of rows to delete from the index that the store keeps behind it.

The index file sits beside the store (a `:memory:` store attaches an in-memory one to the writer's connection and
runs the index jobs on the writer). A file that is not a database is moved aside and rebuilt: it holds nothing the
store does not. A full disk at startup leaves the index to be opened by the first job that finds room.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from collections.abc import Callable
from typing import Any

from ..base import StoreCorrupt, StoreError, StoreFull
from .connections import Connections
from .errors import no_space, store_error
from .indexer import Indexer, attach, newest_rows, prepare_index
from .writer import Writer

log = logging.getLogger(__name__)


class SearchIndex:
    def __init__(self, connections: Connections, writer: Writer, interval: float) -> None:
        """Open the index (raises StoreError when it cannot; StoreFull only logs) and start the indexer."""
        self._connections = connections
        self._writer = writer
        self.path = connections.index_path
        self._conn: sqlite3.Connection | None = None
        if not connections.memory:
            try:
                self._conn = self._open()
            except StoreFull as exc:  # the indexer opens it once there is room (_run_job)
                log.warning("search index: %s; searches scan the entries it does not cover meanwhile", exc)
        run = writer.submit if connections.memory else self._run_job
        self._indexer = Indexer(run, self._watermark, self._prune_unindexed, interval)

    def _open(self) -> sqlite3.Connection:
        """The indexer's connection: the store (read) with the index file attached (written)."""
        assert self.path is not None
        for attempt in (1, 2):
            conn = self._connections.connect(any_thread=True)  # the indexer's thread, and refresh() in its caller's
            try:
                attach(conn, self.path)
                conn.execute("PRAGMA ix.journal_mode = WAL")
                conn.execute("PRAGMA ix.synchronous = NORMAL")  # rebuilt from the store if a crash loses a commit
                if prepare_index(conn) and conn.execute("SELECT 1 FROM logs LIMIT 1").fetchone() is not None:
                    log.info("search index %s: building it for the stored entries, in the background", self.path)
                return conn
            except sqlite3.DatabaseError as exc:
                conn.close()
                if no_space(exc, self.path):
                    raise StoreFull(f"the disk holding the search index {self.path} is full ({exc})") from None
                if attempt == 2 or not isinstance(store_error(exc, "open"), StoreCorrupt):
                    raise StoreError(f"cannot open the search index {self.path}: {exc}") from None
                log.warning("search index %s is damaged (%s): moved aside and rebuilt", self.path, exc)
                for suffix in ("", "-wal", "-shm"):
                    with contextlib.suppress(FileNotFoundError):
                        os.replace(self.path + suffix, self.path + ".damaged" + suffix)
        raise AssertionError("unreachable")

    def _run_job(self, job: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run an index job on the indexer's connection (the Indexer runs one at a time)."""
        if self._conn is None:  # the disk was full when the store opened
            self._conn = self._open()
        try:
            return job(self._conn)
        except sqlite3.Error as exc:
            raise store_error(exc, "index") from None

    def _watermark(self) -> tuple[int, int]:
        with self._connections.read() as conn:
            return newest_rows(conn)

    def _prune_unindexed(self, handled: int) -> None:
        """Forget the queued rows the indexer has handled, but the last (so that its qid is never reused)."""
        self._writer.submit(lambda conn: conn.execute("DELETE FROM unindex WHERE qid < ?", (handled,)))

    def catch_up(self) -> None:
        """Index every committed entry now (the indexer does it within its interval on its own)."""
        self._indexer.catch_up()

    def close(self) -> None:
        self._indexer.close()
        if self._conn is not None:
            self._conn.close()
