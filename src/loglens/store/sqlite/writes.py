"""Entry writes of the SQLite store: a batch prepared in the caller's thread (batch.py), applied by the writer
thread (writer.py) with its neighbours in ONE statement (the `ingest` trigger, migration 2; `ingest_search` with the
search indexes, migration 5), and the user rollups' compaction kept in step (topk.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from ...model import Entry, StatsDelta
from .batch import PreparedBatch, ingest_params, prepare, search_params
from .topk import Pruner
from .writer import Writer

INGEST = "INSERT INTO ingest (rows, minutes, users, hours, services, counters, max_logs) VALUES (?, ?, ?, ?, ?, ?, ?)"
INGEST_SEARCH = (
    "INSERT INTO ingest_search (rows, minutes, users, hours, services, counters, spans, entries, max_logs)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


class Writes:
    def __init__(self, writer: Writer, pruner: Pruner, *, max_logs: int, search_index: bool) -> None:
        self._writer = writer
        self._pruner = pruner  # used in the writer thread only
        self.max_logs = max_logs
        self.search_index = search_index

    def write(self, entries: Sequence[Entry], delta: StatsDelta, *, nbytes: int = 0) -> None:
        # in the caller's thread: the writer thread only runs SQL
        batch = prepare(entries, delta, tokens=self.search_index)
        self._writer.submit_batch(self.apply, batch, entries=len(entries), nbytes=nbytes)

    async def write_async(self, entries: Sequence[Entry], delta: StatsDelta, *, nbytes: int = 0) -> None:
        batch = prepare(entries, delta, tokens=self.search_index)
        await self._writer.submit_batch_async(self.apply, batch, entries=len(entries), nbytes=nbytes)

    def apply(self, conn: sqlite3.Connection, batches: list[PreparedBatch]) -> None:
        """Apply the batches the writer grouped together, in ONE statement (the `ingest` trigger, migration 2).

        Entries, rollups, counters and max_logs eviction then commit in a single sqlite3_step, which runs without
        the GIL from start to fsync.
        """
        if self.search_index:
            conn.execute(INGEST_SEARCH, search_params(batches, self.max_logs))
        else:  # the schema-2 statement: no time path, no word index (benchmarks compare against it)
            conn.execute(INGEST, ingest_params(batches, self.max_logs))
        for batch in batches:
            self._pruner.wrote(conn, batch.user_rows, batch.user_minutes)


def add_counter(conn: sqlite3.Connection, name: str, n: int) -> None:
    if n:
        conn.execute(
            "INSERT INTO counters (name, value) VALUES (?, ?)"
            " ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
            (name, n),
        )
