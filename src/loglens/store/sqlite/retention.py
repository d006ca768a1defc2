"""What leaves the SQLite store on purpose: entries and rollups past retention, and retired services.

Entries go by arrival order (id), which needs no index on event time: that index cost ingest nearly half its speed.
Deletes run in chunks of RETENTION_CHUNK, each its own writer job, so that ingestion waits for at most one chunk.
"""

from __future__ import annotations

import sqlite3

from .batch import HOUR_MINUTES
from .indexer import GENERATION
from .migrations import UNINDEX_ROWS
from .writer import Writer
from .writes import add_counter

RETENTION_CHUNK = 50_000


def apply_retention(writer: Writer, cutoff_ms: int, *, search_index: bool) -> int:
    """Delete rollups older than `cutoff_ms` (event time) and entries that arrived before it; returns entries
    deleted. With the search index, deleted entries are queued for the indexer to delete from it (migration 12)."""

    def rollups(conn: sqlite3.Connection) -> int | None:
        cutoff_minute = cutoff_ms // 60_000
        conn.execute("DELETE FROM rollup_minute WHERE minute < ?", (cutoff_minute,))
        conn.execute("DELETE FROM rollup_user WHERE minute < ?", (cutoff_minute,))
        conn.execute("DELETE FROM rollup_user_hour WHERE hour < ?", (cutoff_minute // HOUR_MINUTES,))
        first = conn.execute("SELECT id FROM logs ORDER BY id LIMIT 1").fetchone()
        conn.execute("DELETE FROM log_minutes WHERE last_id < ?", (first[0] if first else 1 << 62,))
        # rollup_level counts stored entries (migration 19): a row goes when every entry it counted has gone
        for table in ("rollup_level", "rollup_level_hour"):
            conn.execute(f"DELETE FROM {table} WHERE last_id < ?", (first[0] if first else 1 << 62,))
        return _last_id_received_before(conn, cutoff_ms)

    boundary: int | None = writer.submit(rollups)
    deleted = 0
    while boundary is not None:

        def chunk(conn: sqlite3.Connection, boundary: int = boundary) -> int:
            first = conn.execute("SELECT id FROM logs ORDER BY id LIMIT 1").fetchone()
            if first is None or first[0] > boundary:
                return -1
            upto = min(boundary, first[0] + RETENTION_CHUNK - 1)
            if search_index:  # the indexer deletes them from the search index (migration 12)
                conn.execute(f"{UNINDEX_ROWS} id <= ?", (upto,))
            n = conn.execute("DELETE FROM logs WHERE id <= ?", (upto,)).rowcount
            conn.execute("DELETE FROM log_minutes WHERE last_id <= ?", (upto,))
            add_counter(conn, "logs.stored", -n)
            if conn.execute("SELECT 1 FROM logs LIMIT 1").fetchone() is None:
                # none left: the next entry is numbered 1 again, below the ids rollup_level's rows name
                conn.execute("DELETE FROM rollup_level")
                conn.execute("DELETE FROM rollup_level_hour")
            if search_index and conn.execute("SELECT 1 FROM logs LIMIT 1").fetchone() is None:
                # none left: SQLite numbers the next entry 1 again, below the indexer's mark; a new generation
                # makes searches scan until the indexer has started the index over (indexer.py)
                add_counter(conn, GENERATION, 1)
            return int(n)

        n = writer.submit(chunk)
        if n < 0:
            break
        deleted += n
    return deleted


def forget_service(writer: Writer, service: str, silent_since_ms: int) -> bool:
    """Delete the row of a service last seen before `silent_since_ms`; False if it has sent since."""

    def run(conn: sqlite3.Connection) -> bool:
        cursor = conn.execute("DELETE FROM services WHERE service = ? AND last_seen_ms < ?", (service, silent_since_ms))
        return cursor.rowcount > 0

    result: bool = writer.submit(run)
    return result


def _last_id_received_before(conn: sqlite3.Connection, cutoff_ms: int) -> int | None:
    """The highest id whose entry arrived before `cutoff_ms` (ids grow with arrival): a binary search on rowid."""
    first = conn.execute("SELECT id FROM logs ORDER BY id LIMIT 1").fetchone()
    last = conn.execute("SELECT id FROM logs ORDER BY id DESC LIMIT 1").fetchone()
    if first is None:
        return None
    lo, hi, found = first[0], last[0], None
    while lo <= hi:
        mid = (lo + hi) // 2
        row = conn.execute("SELECT id, received_ms FROM logs WHERE id >= ? ORDER BY id LIMIT 1", (mid,)).fetchone()
        if row is None or row[1] >= cutoff_ms:
            hi = mid - 1
        else:
            found, lo = row[0], row[0] + 1
    return found
