"""The notification outbox in SQLite (migration 14): rows queued inside the alert transition's transaction
(`queue`, called by alerts.py), then claimed, retried, held and finished by the delivery loop (alerts/delivery.py)
through the writer thread, so every change is one short write transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import orjson

from ..base import Alert, Notification, NotificationStatus, notification_id
from .alert_row import alert_from_row
from .connections import Connections
from .writer import Writer

COLUMNS = "id, alert_id, notifier, event, payload, status, attempts, next_at_ms, last_error, created_ms, finished_ms"
UNFINISHED = "('pending', 'delivering', 'held')"


def queue(conn: sqlite3.Connection, alert: Alert, event: str, notifiers: Sequence[str], now_ms: int) -> None:
    """One pending row per notifier for `alert`'s transition, in the caller's transaction. An alert has one
    `repeat` row per notifier, queued again (pending, as new) for each repeat: its rows stay few however long it
    fires."""
    payload = orjson.dumps(alert.to_dict()).decode()
    conn.executemany(
        "INSERT INTO notifications (id, alert_id, notifier, event, payload, next_at_ms, created_ms)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET payload = excluded.payload,"
        " status = 'pending', attempts = 0, next_at_ms = excluded.next_at_ms, last_error = NULL,"
        " created_ms = excluded.created_ms, finished_ms = NULL, lease_owner = NULL, lease_until_ms = NULL"
        " WHERE notifications.event = 'repeat' AND notifications.status IN ('delivered', 'failed', 'dropped')",
        [
            (notification_id(alert.id, event, name), alert.id, name, event, payload, now_ms, now_ms)
            for name in notifiers
        ],
    )


class Notifications:
    def __init__(self, connections: Connections, writer: Writer) -> None:
        self._connections = connections
        self._writer = writer

    def claim_notifications(
        self, notifier: str, owner: str, now_ms: int, lease_ms: int, limit: int
    ) -> list[Notification]:
        due = (
            f"SELECT {COLUMNS} FROM notifications AS n WHERE notifier = ?"
            " AND ((status IN ('pending', 'held') AND next_at_ms <= ?)"
            " OR (status = 'delivering' AND lease_until_ms <= ?))"
            " AND NOT EXISTS (SELECT 1 FROM notifications AS o WHERE o.alert_id = n.alert_id"
            f" AND o.notifier = n.notifier AND o.status IN {UNFINISHED} AND o.created_ms < n.created_ms)"
            " ORDER BY created_ms, id LIMIT ?"
        )
        with self._connections.read() as conn:  # most passes find nothing due: they stay off the writer
            if not conn.execute(due, (notifier, now_ms, now_ms, 1)).fetchone():
                return []

        def run(conn: sqlite3.Connection) -> list[Notification]:
            rows = conn.execute(due, (notifier, now_ms, now_ms, limit)).fetchall()
            conn.executemany(
                "UPDATE notifications SET status = 'delivering', attempts = attempts + 1, lease_owner = ?,"
                " lease_until_ms = ? WHERE id = ?",
                [(owner, now_ms + lease_ms, row[0]) for row in rows],
            )
            return [_notification(row, attempts=row[6] + 1) for row in rows]  # status: the one before the claim

        claimed: list[Notification] = self._writer.submit(run)
        return claimed

    def finish_notification(
        self, notification_id: str, owner: str, status: NotificationStatus, now_ms: int, reason: str | None
    ) -> bool:
        return self._owned(
            "UPDATE notifications SET status = ?, finished_ms = ?, last_error = coalesce(?, last_error),"
            " lease_owner = NULL, lease_until_ms = NULL",
            (status, now_ms, reason),
            notification_id,
            owner,
        )

    def retry_notification(self, notification_id: str, owner: str, next_at_ms: int, reason: str) -> bool:
        return self._owned(
            "UPDATE notifications SET status = 'pending', next_at_ms = ?, last_error = ?, lease_owner = NULL,"
            " lease_until_ms = NULL",
            (next_at_ms, reason),
            notification_id,
            owner,
        )

    def hold_notification(self, notification_id: str, owner: str, next_at_ms: int) -> bool:
        # claimed again at next_at_ms like a pending row, to look at the silence again; no attempt was made
        return self._owned(
            "UPDATE notifications SET status = 'held', next_at_ms = ?, attempts = max(attempts - 1, 0),"
            " lease_owner = NULL, lease_until_ms = NULL",
            (next_at_ms,),
            notification_id,
            owner,
        )

    def _owned(self, update: str, params: tuple[Any, ...], notification_id: str, owner: str) -> bool:
        sql = update + " WHERE id = ? AND status = 'delivering' AND lease_owner = ?"

        def run(conn: sqlite3.Connection) -> bool:
            return conn.execute(sql, (*params, notification_id, owner)).rowcount == 1

        done: bool = self._writer.submit(run)
        return done

    def queue_repeats(self, notifier: str, now_ms: int, every_ms: int) -> int:
        # alerts still firing whose newest row for the notifier is old and finished (a receiver that is down gets
        # one row per alert retried, not a new one every interval)
        stale = (
            "SELECT a.*, max(n.created_ms) FROM alerts AS a JOIN notifications AS n ON n.alert_id = a.id"
            " WHERE a.state = 'firing' AND n.notifier = ? GROUP BY a.id"
            f" HAVING max(n.created_ms) <= ? AND sum(n.status IN {UNFINISHED}) = 0"
        )
        with self._connections.read() as conn:
            if not conn.execute(stale + " LIMIT 1", (notifier, now_ms - every_ms)).fetchone():
                return 0

        def run(conn: sqlite3.Connection) -> int:
            rows = conn.execute(stale, (notifier, now_ms - every_ms)).fetchall()
            for row in rows:
                queue(conn, alert_from_row(row[:-1]), "repeat", [notifier], now_ms)
            return len(rows)

        queued: int = self._writer.submit(run)
        return queued

    def renotify(self, alert: Alert, notifiers: Sequence[str], now_ms: int, event: str = "repeat") -> int:
        """Queue `alert` again (its `repeat` row) for each of `notifiers` whose repeat row is not still under way;
        `event` "resolved" or "firing": that transition's row, when it was not queued before."""
        if not notifiers:
            return 0

        def run(conn: sqlite3.Connection) -> int:
            before = conn.total_changes
            queue(conn, alert, event, notifiers, now_ms)
            return conn.total_changes - before

        queued: int = self._writer.submit(run)
        return queued

    def notifications(self, alert_id: int) -> list[Notification]:
        with self._connections.read() as conn:
            rows = conn.execute(
                f"SELECT {COLUMNS} FROM notifications WHERE alert_id = ? ORDER BY created_ms, id", (alert_id,)
            ).fetchall()
        return [_notification(r) for r in rows]

    def notification(self, notification_id: str) -> Notification | None:
        with self._connections.read() as conn:
            row = conn.execute(f"SELECT {COLUMNS} FROM notifications WHERE id = ?", (notification_id,)).fetchone()
        return _notification(row) if row else None

    def notification_counts(self) -> dict[tuple[str, str], int]:
        with self._connections.read() as conn:
            rows = conn.execute("SELECT notifier, status, count(*) FROM notifications GROUP BY notifier, status")
            return {(str(n), str(s)): int(c) for n, s, c in rows.fetchall()}


def _notification(row: tuple[Any, ...], **changes: Any) -> Notification:
    i, alert_id, notifier, event, payload, status, attempts, next_at, error, created, finished = row
    fields: dict[str, Any] = {
        "id": i,
        "alert_id": int(alert_id),
        "notifier": notifier,
        "event": event,
        "payload": orjson.loads(payload),
        "status": status,
        "attempts": int(attempts),
        "next_at_ms": int(next_at),
        "last_error": error,
        "created_ms": int(created),
        "finished_ms": None if finished is None else int(finished),
    }
    fields.update(changes)
    return Notification(**fields)
