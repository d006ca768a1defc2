"""API keys, auth secrets (tables from migration 3) and ended sessions (13) in the SQLite store; implements
auth.keys.KeyStore."""

from __future__ import annotations

import sqlite3

from ...auth.keys import ApiKey
from .table_access import TableAccess

COLUMNS = "id, name, role, secret_sha256, created_ms, revoked_ms"


class SQLiteKeys(TableAccess):
    def add_key(self, key: ApiKey) -> None:
        self._submit(
            lambda conn: conn.execute(
                f"INSERT INTO api_keys ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                (key.id, key.name, key.role, key.secret_sha256, key.created_ms, key.revoked_ms),
            )
        )

    def get_key(self, key_id: str) -> ApiKey | None:
        with self._read() as conn:
            row = conn.execute(f"SELECT {COLUMNS} FROM api_keys WHERE id = ?", (key_id,)).fetchone()
        return ApiKey(*row) if row else None

    def list_keys(self) -> list[ApiKey]:
        with self._read() as conn:
            rows = conn.execute(f"SELECT {COLUMNS} FROM api_keys ORDER BY created_ms, id").fetchall()
        return [ApiKey(*row) for row in rows]

    def revoke_key(self, key_id: str, now_ms: int) -> bool:
        def run(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "UPDATE api_keys SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL", (now_ms, key_id)
            )
            return cursor.rowcount > 0

        done: bool = self._submit(run)
        return done

    def auth_secret(self, name: str, make: str) -> str:
        with self._read() as conn:  # read first: a store that cannot take writes (a full disk) still starts
            row = conn.execute("SELECT value FROM auth_secrets WHERE name = ?", (name,)).fetchone()
        if row is not None:
            return str(row[0])

        def run(conn: sqlite3.Connection) -> str:
            conn.execute("INSERT OR IGNORE INTO auth_secrets (name, value) VALUES (?, ?)", (name, make))
            value: str = conn.execute("SELECT value FROM auth_secrets WHERE name = ?", (name,)).fetchone()[0]
            return value

        secret: str = self._submit(run)
        return secret

    def end_session(self, session_id: str, expires_ms: int, now_ms: int) -> None:
        def run(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM ended_sessions WHERE expires_ms < ?", (now_ms,))  # expired: refused anyway
            conn.execute(
                "INSERT OR IGNORE INTO ended_sessions (id, expires_ms) VALUES (?, ?)", (session_id, expires_ms)
            )

        self._submit(run)

    def session_ended(self, session_id: str) -> bool:
        with self._read() as conn:
            return conn.execute("SELECT 1 FROM ended_sessions WHERE id = ?", (session_id,)).fetchone() is not None
