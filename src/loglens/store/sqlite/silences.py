"""Silences in the SQLite store (the `silences` table, migration 17); implements store.base.SilenceBook."""

from __future__ import annotations

import sqlite3

from ...alerts.silences import Silence
from ..silence_rows import COLUMNS, row_of, silence_of
from .table_access import TableAccess

SELECT = f"SELECT {', '.join(COLUMNS)} FROM silences"
WHERE_STATE = {
    "active": " WHERE starts_at_ms <= :now AND ends_at_ms > :now",
    "pending": " WHERE starts_at_ms > :now",
    "expired": " WHERE ends_at_ms <= :now",
    "all": "",
}


class SQLiteSilences(TableAccess):
    def add(self, silence: Silence) -> None:
        row = row_of(silence)
        sql = f"INSERT INTO silences ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
        self._submit(lambda conn: conn.execute(sql, row))

    def get(self, silence_id: str) -> Silence | None:
        with self._read() as conn:
            row = conn.execute(SELECT + " WHERE id = ?", (silence_id,)).fetchone()
        return silence_of(row) if row else None

    def find(self, state: str, now_ms: int, limit: int) -> list[Silence]:
        sql = SELECT + WHERE_STATE[state] + " ORDER BY created_at_ms DESC, id DESC LIMIT :limit"
        with self._read() as conn:
            rows = conn.execute(sql, {"now": now_ms, "limit": limit}).fetchall()
        return [silence_of(r) for r in rows]

    def expire(self, silence_id: str, now_ms: int, by: str) -> Silence | None:
        def run(conn: sqlite3.Connection) -> Silence | None:
            row = conn.execute(
                "UPDATE silences SET ends_at_ms = :now, starts_at_ms = min(starts_at_ms, :now), expired_by = :by"
                f" WHERE id = :id AND ends_at_ms > :now RETURNING {', '.join(COLUMNS)}",
                {"now": now_ms, "by": by, "id": silence_id},
            ).fetchone()
            if row is None:
                row = conn.execute(SELECT + " WHERE id = ?", (silence_id,)).fetchone()
            return silence_of(row) if row else None

        found: Silence | None = self._submit(run)
        return found
