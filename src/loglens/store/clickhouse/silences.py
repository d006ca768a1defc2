"""Silences in ClickHouse (schema migration 4, the `silences` table); implements store.base.SilenceBook.

Versioned rows (ReplacingMergeTree): expiring a silence inserts its next version, and reads take each id's
newest version, so every node sees the same silences.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ...alerts.silences import Silence
from ..silence_rows import COLUMNS, row_of, silence_of
from .connection import Connection

LATEST = (  # one row per id, its newest version; aliases differ from the columns (18.16 would take the aggregates)
    "SELECT id, argMax(matchers, version) AS m, argMax(starts_at_ms, version) AS s, argMax(ends_at_ms, version) AS e,"
    " any(comment) AS c, any(created_by) AS cb, any(created_at_ms) AS ca, argMax(expired_by, version) AS xb,"
    " max(version) AS v FROM {table} {where} GROUP BY id"
)
WHERE_STATE = {
    "active": " WHERE s <= %(now)s AND e > %(now)s",
    "pending": " WHERE s > %(now)s",
    "expired": " WHERE e <= %(now)s",
    "all": "",
}


class ClickHouseSilences:
    def __init__(self, conn: Callable[[], Connection], table: str, timeout: float | None = None) -> None:
        self._conn = conn  # this thread's connection
        self._table = table
        self._timeout = timeout
        self._lock = threading.Lock()  # one expiry at a time in this process

    def _latest(self, where: str, params: dict[str, Any], outer: str = "", tail: str = "") -> list[tuple[Silence, int]]:
        sql = "SELECT * FROM (" + LATEST.format(table=self._table, where=where) + ")" + outer + tail
        rows = self._conn().query(sql, params, timeout=self._timeout)
        return [(silence_of(row[:8]), int(row[8])) for row in rows]

    def add(self, silence: Silence) -> None:
        self._insert(silence, 1)

    def _insert(self, silence: Silence, version: int) -> None:
        self._conn().insert(self._table, (*COLUMNS, "version"), [(*row_of(silence), version)])

    def get(self, silence_id: str) -> Silence | None:
        found = self._latest("WHERE id = %(id)s", {"id": silence_id})
        return found[0][0] if found else None

    def find(self, state: str, now_ms: int, limit: int) -> list[Silence]:
        tail = f" ORDER BY ca DESC, id DESC LIMIT {int(limit)}"
        return [s for s, _ in self._latest("", {"now": now_ms}, WHERE_STATE[state], tail)]

    def expire(self, silence_id: str, now_ms: int, by: str) -> Silence | None:
        with self._lock:
            found = self._latest("WHERE id = %(id)s", {"id": silence_id})
            if not found:
                return None
            current, version = found[0]
            if current.ends_at_ms <= now_ms:
                return current
            ended = Silence(
                current.id,
                current.matchers,
                min(current.starts_at_ms, now_ms),
                now_ms,
                current.comment,
                current.created_by,
                current.created_at_ms,
                by,
            )
            self._insert(ended, version + 1)
            return ended
