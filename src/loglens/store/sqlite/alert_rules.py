"""Alert rules made through the API, in the SQLite store's `alert_rules` table (migration 15)."""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson

from ..base import StoredRule
from .connections import Connections
from .writer import Writer


class AlertRules:
    def __init__(self, connections: Connections, writer: Writer) -> None:
        self._connections = connections
        self._writer = writer

    def alert_rules(self) -> list[StoredRule]:
        with self._connections.read() as conn:
            rows = conn.execute("SELECT name, body, updated_ms FROM alert_rules ORDER BY name").fetchall()
        return [StoredRule(name, orjson.loads(body), updated) for name, body, updated in rows]

    def save_alert_rule(self, name: str, body: dict[str, Any], now_ms: int) -> None:
        text = orjson.dumps(body).decode()

        def run(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO alert_rules (name, body, created_ms, updated_ms) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET body = excluded.body, updated_ms = excluded.updated_ms",
                (name, text, now_ms, now_ms),
            )

        self._writer.submit(run)

    def delete_alert_rule(self, name: str, now_ms: int) -> bool:
        def run(conn: sqlite3.Connection) -> bool:
            return conn.execute("DELETE FROM alert_rules WHERE name = ?", (name,)).rowcount > 0

        deleted: bool = self._writer.submit(run)
        return deleted
