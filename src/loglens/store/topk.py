"""Top users at bounded cost: each bucket keeps only its biggest users (an approximation, documented in README).

The user rollups (per minute and per hour, per service and under the scope '' for all services) are upserted by
every write batch. Left alone they grow with traffic (100,000 users x 50 services is millions of rows an hour),
and so would the dashboard's cost. Instead, once enough rows have been written, the writer prunes the buckets
the batches touched down to their TOP_USERS_KEPT biggest users. A reader then sums at most
(buckets x (TOP_USERS_KEPT + rows written since the last prune)) rows, whatever the volume.

The price: a user pruned from a bucket starts again from zero there, so counts can be underestimated and a user
just below the cut in many buckets can be missed. Users that matter (a few percent of a bucket's traffic) stay
in every bucket and are counted exactly; tests/store/test_topk.py measures the error against exact counts.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

import orjson

from .batch import HOUR_MINUTES

TOP_USERS_KEPT = 100  # users kept per (bucket, scope); migration 3 prunes old stores to the same number
PRUNE_AFTER_ROWS = 20_000  # user rollup rows written before the touched buckets are pruned

_PRUNE = """
DELETE FROM {table} WHERE {col} IN (SELECT value FROM json_each(?1)) AND ({col}, service, user_id) IN (
    SELECT {col}, service, user_id FROM (
        SELECT {col}, service, user_id,
            row_number() OVER (PARTITION BY {col}, service ORDER BY count DESC, user_id) AS rank
        FROM {table} WHERE {col} IN (SELECT value FROM json_each(?1))
    ) WHERE rank > ?2)
"""
PRUNE_MINUTES = _PRUNE.format(table="rollup_user", col="minute")
PRUNE_HOURS = _PRUNE.format(table="rollup_user_hour", col="hour")


class Pruner:
    """Kept by the writer thread: which buckets were touched, and whether it is time to prune them."""

    def __init__(self, kept: int = TOP_USERS_KEPT, after_rows: int = PRUNE_AFTER_ROWS) -> None:
        self.kept = kept
        self.after_rows = after_rows
        self._rows = 0
        self._minutes: set[int] = set()

    def wrote(self, conn: sqlite3.Connection, rows: int, minutes: Iterable[int]) -> None:
        self._rows += rows
        self._minutes.update(minutes)
        if self._rows >= self.after_rows:
            self.prune(conn)

    def prune(self, conn: sqlite3.Connection) -> None:
        if not self._minutes:
            return
        minutes = sorted(self._minutes)
        hours = sorted({m // HOUR_MINUTES for m in minutes})
        conn.execute(PRUNE_MINUTES, (orjson.dumps(minutes).decode(), self.kept))
        conn.execute(PRUNE_HOURS, (orjson.dumps(hours).decode(), self.kept))
        self._rows = 0
        self._minutes.clear()


def top_users_sql(long_range: bool) -> str:
    """Sum the kept rows of one scope over a list of buckets (a JSON array), biggest first."""
    table, col = ("rollup_user_hour", "hour") if long_range else ("rollup_user", "minute")
    return (
        f"SELECT user_id, SUM(count) AS n FROM {table} WHERE {col} IN (SELECT value FROM json_each(?)) AND service = ?"
        " GROUP BY user_id ORDER BY n DESC, user_id LIMIT ?"
    )
