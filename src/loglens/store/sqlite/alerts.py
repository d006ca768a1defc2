"""Alert rows in the SQLite store (the `alerts` table, migrations 1 and 6): the engine's transitions, written by
the writer thread, and the lists the API and the dashboard read."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

import orjson

from ..base import Alert, NewAlert
from .alert_row import alert_from_row
from .connections import Connections
from .notifications import queue
from .writer import Writer


class Alerts:
    def __init__(self, connections: Connections, writer: Writer) -> None:
        self._connections = connections
        self._writer = writer

    def fire_alert(self, alert: NewAlert, now_ms: int, cooldown_ms: int, *, notify: Sequence[str] = ()) -> Alert | None:
        def run(conn: sqlite3.Connection) -> Alert | None:
            blocked = conn.execute(
                "SELECT 1 FROM alerts WHERE rule = ? AND service = ? AND group_key = ?"
                " AND (state = 'firing' OR fired_at_ms > ?) LIMIT 1",
                (alert.rule, alert.service, alert.group, now_ms - cooldown_ms),
            ).fetchone()
            if blocked:
                return None
            row = conn.execute(
                "INSERT INTO alerts (rule, service, severity, message, value, threshold, state, fired_at_ms,"
                " group_key, labels) VALUES (?, ?, ?, ?, ?, ?, 'firing', ?, ?, ?) RETURNING *",
                (
                    alert.rule,
                    alert.service,
                    alert.severity,
                    alert.message,
                    alert.value,
                    alert.threshold,
                    now_ms,
                    alert.group,
                    orjson.dumps(alert.labels).decode(),
                ),
            ).fetchone()
            fired = alert_from_row(row)
            queue(conn, fired, "firing", notify, now_ms)  # the outbox rows commit with the transition, or neither
            return fired

        return self._change(run)

    def resolve_alert(
        self, alert_id: int, now_ms: int, reason: str | None = None, *, notify: Sequence[str] = ()
    ) -> Alert | None:
        return self._update(
            "UPDATE alerts SET state = 'resolved', resolved_at_ms = ?, resolved_reason = ?"
            " WHERE id = ? AND state = 'firing' RETURNING *",
            (now_ms, reason, alert_id),
            notify=notify,
            now_ms=now_ms,
        )

    def ack_alert(self, alert_id: int, now_ms: int) -> Alert | None:
        return self._update(
            "UPDATE alerts SET acked_at_ms = coalesce(acked_at_ms, ?) WHERE id = ? AND state = 'firing' RETURNING *",
            (now_ms, alert_id),
        )

    def _update(
        self, sql: str, params: tuple[Any, ...], *, notify: Sequence[str] = (), now_ms: int = 0
    ) -> Alert | None:
        """The alert an UPDATE ... RETURNING * changed, None when it changed none; a resolved one queues its
        notifications to `notify` in the same transaction."""

        def run(conn: sqlite3.Connection) -> Alert | None:
            row = conn.execute(sql, params).fetchone()
            if not row:
                return None
            changed = alert_from_row(row)
            if notify and changed.state == "resolved":
                queue(conn, changed, "resolved", notify, now_ms)
            return changed

        return self._change(run)

    def _change(self, run: Callable[[sqlite3.Connection], Alert | None]) -> Alert | None:
        result: Alert | None = self._writer.submit(run)
        return result

    def alert(self, alert_id: int) -> Alert | None:
        with self._connections.read() as conn:
            row = conn.execute("SELECT * FROM alerts WHERE id = ?", (alert_id,)).fetchone()
        return alert_from_row(row) if row else None

    def alerts(self, state: str = "all", limit: int = 100) -> list[Alert]:
        sql = "SELECT * FROM alerts"
        params: list[Any] = []
        if state != "all":
            sql += " WHERE state = ?"
            params.append(state)
        with self._connections.read() as conn:
            rows = conn.execute(sql + " ORDER BY id DESC LIMIT ?", [*params, limit]).fetchall()
        return [alert_from_row(r) for r in rows]

    def alert_counts(self) -> dict[tuple[str, str], int]:
        with self._connections.read() as conn:
            rows = conn.execute("SELECT rule, state, COUNT(*) FROM alerts GROUP BY rule, state").fetchall()
        return {(rule, state): n for rule, state, n in rows}
