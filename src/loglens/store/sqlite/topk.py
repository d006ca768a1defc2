"""Top users at bounded cost: each bucket keeps only its biggest users (an approximation, documented in README).

Write batches upsert per-service user counts per minute (rollup_user) and per hour (rollup_user_hour), as before.
Left alone those tables grow with traffic (100,000 users x 50 services is millions of rows an hour), and so would
the dashboard's cost. So the writer thread, once enough rows were written (and at every maintain() and close()),
compacts the buckets the batches touched:
  1. the scope '' (all services) of each touched bucket is rebuilt: the TOP_USERS_KEPT biggest sums of its
     per-service rows;
  2. every (bucket, service) is cut down to its TOP_USERS_KEPT biggest users.
A reader then sums at most buckets x (TOP_USERS_KEPT + rows written since the last compaction) rows, whatever the
volume; the all-services scope costs the hot path nothing.

The price: a user cut from a bucket starts again from zero there, so counts can be underestimated and a user just
below the cut in many buckets (or spread thinly over many services) can be missed. The all-services ranking lags
another process's writes by up to PRUNE_AFTER_ROWS rows or one maintain() interval (the scheduler runs it every
alerting.check_interval_seconds); a process's own uncompacted buckets are read from their per-service rows.
Users that matter (a few percent of a bucket's traffic) stay in every bucket and are counted exactly;
tests/store/test_topk.py measures the error against exact counts. rollup_user_hour rows with user_id ''
(ANY_USER) are exact per-hour totals, written by every batch; being the biggest count of their bucket, they are
never cut.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable

import orjson

from .batch import HOUR_MINUTES

TOP_USERS_KEPT = 100  # users kept per (bucket, scope); migration 6 cuts old stores to the same number
PRUNE_AFTER_ROWS = 50_000  # user rollup rows written before the touched buckets are compacted

_COMPACT = """
DELETE FROM {table} WHERE {col} IN (SELECT value FROM json_each(?1)) AND service = '' AND user_id != '';;
INSERT INTO {table} ({col}, service, user_id, count)
    SELECT {col}, '', user_id, n FROM (
        SELECT {col}, user_id, SUM(count) AS n,
            row_number() OVER (PARTITION BY {col} ORDER BY SUM(count) DESC, user_id) AS rank
        FROM {table} WHERE {col} IN (SELECT value FROM json_each(?1)) AND service != '' AND user_id != ''
        GROUP BY {col}, user_id
    ) WHERE rank <= ?2;;
DELETE FROM {table} WHERE {col} IN (SELECT value FROM json_each(?1)) AND service != ''
    AND ({col}, service, user_id) IN (
        SELECT {col}, service, user_id FROM (
            SELECT {col}, service, user_id,
                row_number() OVER (PARTITION BY {col}, service ORDER BY count DESC, user_id) AS rank
            FROM {table} WHERE {col} IN (SELECT value FROM json_each(?1)) AND service != ''
        ) WHERE rank > ?2)
"""
COMPACT_MINUTES = [s.strip() for s in _COMPACT.format(table="rollup_user", col="minute").split(";;")]
COMPACT_HOURS = [s.strip() for s in _COMPACT.format(table="rollup_user_hour", col="hour").split(";;")]


class Pruner:
    """Kept by the writer thread: which buckets were touched, and whether it is time to compact them."""

    def __init__(self, kept: int = TOP_USERS_KEPT, after_rows: int = PRUNE_AFTER_ROWS) -> None:
        self.kept = kept
        self.after_rows = after_rows
        self._rows = 0
        self._minutes: set[int] = set()
        self._lock = threading.Lock()  # readers take snapshots of the touched minutes

    def dirty_minutes(self) -> frozenset[int]:
        """Minutes written since the last compaction: their all-services scope is not rebuilt yet."""
        with self._lock:
            return frozenset(self._minutes)

    def wrote(self, conn: sqlite3.Connection, rows: int, minutes: Iterable[int]) -> None:
        self._rows += rows
        with self._lock:
            self._minutes.update(minutes)
        if self._rows >= self.after_rows:
            self.prune(conn)

    def prune(self, conn: sqlite3.Connection) -> None:
        if not self._minutes:
            return
        minutes = sorted(self._minutes)
        hours = sorted({m // HOUR_MINUTES for m in minutes})
        for statements, buckets in ((COMPACT_MINUTES, minutes), (COMPACT_HOURS, hours)):
            params = (orjson.dumps(buckets).decode(), self.kept)
            for sql in statements:
                conn.execute(sql, params if "?2" in sql else params[:1])
        self._rows = 0
        with self._lock:
            self._minutes.difference_update(minutes)


def top_users_sql(long_range: bool, all_services: bool) -> str:
    """Sum the kept rows of one scope over a list of buckets (a JSON array), biggest first.

    For all services: the rebuilt scope '' of the compacted buckets (first JSON array), plus the per-service rows
    of the buckets written since the last compaction (second array), so that nothing this process wrote is missed.
    """
    table, col = ("rollup_user_hour", "hour") if long_range else ("rollup_user", "minute")
    if not all_services:
        return (
            f"SELECT user_id, SUM(count) AS n FROM {table} WHERE {col} IN (SELECT value FROM json_each(?))"
            " AND service = ? AND user_id != '' GROUP BY user_id ORDER BY n DESC, user_id LIMIT ?"
        )
    return (
        f"SELECT user_id, SUM(count) AS n FROM (SELECT user_id, count FROM {table}"
        f" WHERE {col} IN (SELECT value FROM json_each(?)) AND service = '' AND user_id != ''"
        f" UNION ALL SELECT user_id, count FROM {table}"
        f" WHERE {col} IN (SELECT value FROM json_each(?)) AND service != '' AND user_id != '')"
        " GROUP BY user_id ORDER BY n DESC, user_id LIMIT ?"
    )
