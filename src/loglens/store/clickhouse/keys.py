"""API keys and auth secrets (schema migration 2) and ended sessions (3) in ClickHouse; implements
auth.keys.KeyStore.

Keys are versioned rows (ReplacingMergeTree): revoking one inserts its next version, and reads take each id's
newest version, so every node sees the same keys. An auth secret is the oldest row of its name: a node creates
one only when none exists, and every node then reads the same (oldest) one; two nodes creating the same secret at
the same moment both settle on the oldest row once both inserts are visible. An ended session is a row of its own,
dropped by the retention job once the day it would have expired is past (ClickHouseStore.apply_retention).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from ...auth.keys import ApiKey
from .connection import Connection

KEY_COLUMNS = ("id", "name", "role", "secret_sha256", "created_ms", "revoked_ms", "version")
LATEST_KEYS = (
    "SELECT id, any(name), any(role), any(secret_sha256), any(created_ms), argMax(revoked_ms, version) AS rv,"
    " max(version) FROM {table} {where} GROUP BY id ORDER BY any(created_ms), id"
)


class ClickHouseKeys:
    def __init__(
        self, conn: Callable[[], Connection], keys_table: str, secrets_table: str, sessions_table: str
    ) -> None:
        self._conn = conn  # this thread's connection
        self._keys = keys_table
        self._secrets = secrets_table
        self._sessions = sessions_table
        self._lock = threading.Lock()  # one revocation at a time in this process

    def _latest(self, where: str = "", params: dict[str, Any] | None = None) -> list[tuple[ApiKey, int]]:
        rows = self._conn().query(LATEST_KEYS.format(table=self._keys, where=where), params)
        return [
            (ApiKey(str(i), str(n), r, str(s), int(c), None if rv is None else int(rv)), int(v))
            for i, n, r, s, c, rv, v in rows
        ]

    def add_key(self, key: ApiKey) -> None:
        row = (key.id, key.name, key.role, key.secret_sha256, key.created_ms, key.revoked_ms, 1)
        self._conn().insert(self._keys, KEY_COLUMNS, [row])

    def get_key(self, key_id: str) -> ApiKey | None:
        found = self._latest("WHERE id = %(id)s", {"id": key_id})
        return found[0][0] if found else None

    def list_keys(self) -> list[ApiKey]:
        return [key for key, _ in self._latest()]

    def revoke_key(self, key_id: str, now_ms: int) -> bool:
        with self._lock:
            found = self._latest("WHERE id = %(id)s", {"id": key_id})
            if not found or found[0][0].revoked_ms is not None:
                return False
            k, version = found[0]
            row = (k.id, k.name, k.role, k.secret_sha256, k.created_ms, now_ms, version + 1)
            self._conn().insert(self._keys, KEY_COLUMNS, [row])
            return True

    def auth_secret(self, name: str, make: str) -> str:
        sql = f"SELECT value FROM {self._secrets} WHERE name = %(n)s ORDER BY created_ms, value LIMIT 1"
        rows = self._conn().query(sql, {"n": name})
        if not rows:
            self._conn().insert(self._secrets, ("name", "value", "created_ms"), [(name, make, int(time.time() * 1000))])
            rows = self._conn().query(sql, {"n": name})
        return str(rows[0][0])

    def end_session(self, session_id: str, expires_ms: int, now_ms: int) -> None:
        self._conn().insert(self._sessions, ("id", "expires_ms", "ended_ms"), [(session_id, expires_ms, now_ms)])

    def session_ended(self, session_id: str) -> bool:
        rows = self._conn().query(f"SELECT 1 FROM {self._sessions} WHERE id = %(id)s LIMIT 1", {"id": session_id})
        return bool(rows)
