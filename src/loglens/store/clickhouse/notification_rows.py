"""The notification outbox in ClickHouse: every change of a row (queued, claimed, retried, held, finished) is its
next version in a ReplacingMergeTree, read back as the newest version per id.

ClickHouse has no transactions, so an alert transition and its notifications cannot commit together. The order
loses nothing instead: alert_rows.py writes the outbox rows FIRST, under ids derived from the alert's id (taken
before either insert) and the event, then the alert's row. A crash in between leaves notifications whose
transition is not stored; the delivery loop delivers a row only once its transition is visible and drops one
still invisible after `alerting.delivery_grace_seconds`. A transition stored again later (the next leader resolves
the alert) writes the same ids with a newer version, so they are pending again.

Versions are microseconds of the writer's clock (at least the previous version + 1): only the elected node works
through the outbox (store.is_leader()), and `_outbox_lock` orders this process's own changes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import orjson

from ..base import FINISHED, Alert, Notification, NotificationStatus, notification_id
from .connection import Connection, count_pairs
from .schema import Tables

NOTIFICATION_COLUMNS = (
    "id",
    "alert_id",
    "notifier",
    "event",
    "payload",
    "status",
    "attempts",
    "next_at_ms",
    "last_error",
    "created_ms",
    "finished_ms",
    "lease_owner",
    "lease_until_ms",
    "version",
)
LATEST_NOTIFICATIONS = (  # aliases differ from the columns' names (18.16 would resolve them to the aggregates)
    "SELECT id, any(alert_id) AS n_alert, any(notifier) AS n_notifier, argMax(event, version) AS n_event,"
    " argMax(payload, version) AS n_payload, argMax(status, version) AS n_status,"
    " argMax(attempts, version) AS n_attempts, argMax(next_at_ms, version) AS n_next,"
    " argMax(last_error, version) AS n_error, argMax(created_ms, version) AS n_created,"
    " argMax(finished_ms, version) AS n_finished, argMax(lease_owner, version) AS n_owner,"
    " argMax(lease_until_ms, version) AS n_lease, max(version) AS n_version"
    " FROM {notifications} {where} GROUP BY id"
)


class NotificationMethods:
    tables: Tables
    _outbox_lock: threading.Lock
    _outbox_version: int
    alerts: Callable[..., list[Alert]]  # alert_rows.py

    def _query(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _conn(self) -> Connection:
        raise NotImplementedError

    # -- queueing (alert_rows.py, before the transition's own row) ---------------------------------------

    def _queue_notifications(
        self, alert: Alert, event: str, notifiers: Sequence[str], now_ms: int, after_version: int = 0
    ) -> None:
        """Pending rows for `alert`'s transition (`after_version`: the version a repeat row queued again replaces)."""
        payload = orjson.dumps(alert.to_dict()).decode()
        rows = [
            (notification_id(alert.id, event, name), alert.id, name, event, payload, "pending", 0, now_ms)
            + ("", now_ms, 0, "", 0, max(self._next_version(), after_version + 1))
            for name in notifiers
        ]
        if rows:
            self._conn().insert(self.tables["notifications"], NOTIFICATION_COLUMNS, rows)

    def _next_version(self) -> int:
        self._outbox_version = max(self._outbox_version + 1, time.time_ns() // 1000)
        return self._outbox_version

    # -- the delivery loop's changes ---------------------------------------------------------------------

    def claim_notifications(
        self, notifier: str, owner: str, now_ms: int, lease_ms: int, limit: int
    ) -> list[Notification]:
        with self._outbox_lock:
            unfinished = self._latest(
                "WHERE notifier = %(n)s", {"n": notifier}, "n_status IN ('pending', 'delivering', 'held')"
            )
            oldest: dict[int, int] = {}
            for row, _ in unfinished:
                oldest[row.alert_id] = min(oldest.get(row.alert_id, row.created_ms), row.created_ms)
            due = [
                (row, extra)
                for row, extra in unfinished
                if row.created_ms <= oldest[row.alert_id]
                and (
                    (row.status in ("pending", "held") and row.next_at_ms <= now_ms)
                    or (row.status == "delivering" and extra[1] <= now_ms)
                )
            ]
            due.sort(key=lambda item: (item[0].created_ms, item[0].id))
            claimed = [(replace(row, attempts=row.attempts + 1), row.status, extra[2]) for row, extra in due[:limit]]
            self._write(
                [(replace(row, status="delivering"), version) for row, _, version in claimed],
                owner=owner,
                lease_until_ms=now_ms + lease_ms,
            )
            return [replace(row, status=before) for row, before, _ in claimed]

    def finish_notification(
        self, notification_id: str, owner: str, status: NotificationStatus, now_ms: int, reason: str | None
    ) -> bool:
        return self._change(
            notification_id,
            owner,
            lambda n: replace(n, status=status, finished_ms=now_ms, last_error=reason or n.last_error),
        )

    def retry_notification(self, notification_id: str, owner: str, next_at_ms: int, reason: str) -> bool:
        return self._change(
            notification_id, owner, lambda n: replace(n, status="pending", next_at_ms=next_at_ms, last_error=reason)
        )

    def hold_notification(self, notification_id: str, owner: str, next_at_ms: int) -> bool:
        return self._change(
            notification_id,
            owner,
            lambda n: replace(n, status="held", next_at_ms=next_at_ms, attempts=max(n.attempts - 1, 0)),
        )

    def _change(self, notification_id: str, owner: str, change: Any) -> bool:
        with self._outbox_lock:
            rows = self._latest("WHERE id = %(id)s", {"id": notification_id}, "1")
            if not rows:
                return False
            row, (held_by, _, version) = rows[0]
            if row.status != "delivering" or held_by != owner:
                return False
            self._write([(change(row), version)], owner="", lease_until_ms=0)
            return True

    def queue_repeats(self, notifier: str, now_ms: int, every_ms: int) -> int:
        newest = self._query(
            "SELECT n_alert, max(n_created), countIf(n_status IN ('pending', 'delivering', 'held')), max(n_version)"
            " FROM ("
            + LATEST_NOTIFICATIONS.format(notifications="{notifications}", where="WHERE notifier = %(n)s")
            + ") GROUP BY n_alert",
            {"n": notifier},
        )
        # old and finished: a receiver that is down gets one row per alert retried, not a new one every interval
        stale = {
            int(a): int(version)
            for a, created, unfinished, version in newest
            if int(created) <= now_ms - every_ms and not unfinished
        }
        if not stale:
            return 0
        queued = 0
        with self._outbox_lock:
            for alert in self.alerts("firing", limit=100_000):
                if alert.id in stale:
                    self._queue_notifications(alert, "repeat", [notifier], now_ms, after_version=stale[alert.id])
                    queued += 1
        return queued

    def renotify(self, alert: Alert, notifiers: Sequence[str], now_ms: int, event: str = "repeat") -> int:
        """Queue `alert` again (its `repeat` row) for each of `notifiers` whose repeat row is not still under way;
        `event` "resolved" or "firing": that transition's row, when it was not queued before."""
        if not notifiers:
            return 0
        ids = {notification_id(alert.id, event, name): name for name in notifiers}
        with self._outbox_lock:
            current = {
                row.id: (row.status, version)
                for row, (_, _, version) in self._latest("WHERE id IN %(ids)s", {"ids": tuple(ids)}, "1")
            }
            queued = 0
            for nid, name in ids.items():
                status, version = current.get(nid, ("", 0))
                if status and (event != "repeat" or status not in FINISHED):
                    continue
                self._queue_notifications(alert, event, [name], now_ms, after_version=version)
                queued += 1
        return queued

    # -- reads -------------------------------------------------------------------------------------------

    def notifications(self, alert_id: int) -> list[Notification]:
        rows = self._latest("WHERE alert_id = %(a)s", {"a": alert_id}, "1")
        return sorted((row for row, _ in rows), key=lambda n: (n.created_ms, n.id))

    def notification(self, notification_id: str) -> Notification | None:
        rows = self._latest("WHERE id = %(id)s", {"id": notification_id}, "1")
        return rows[0][0] if rows else None

    def notification_counts(self) -> dict[tuple[str, str], int]:
        latest = LATEST_NOTIFICATIONS.format(notifications="{notifications}", where="")
        return count_pairs(self._query, latest, "n_notifier", "n_status")

    def _latest(
        self, where: str, params: dict[str, Any], having: str
    ) -> list[tuple[Notification, tuple[str, int, int]]]:
        """The newest version of each matching row, with its lease (owner, until) and its version."""
        rows = self._query(
            "SELECT * FROM ("
            + LATEST_NOTIFICATIONS.format(notifications="{notifications}", where=where)
            + f") WHERE {having}",
            params,
        )
        out = []
        for i, alert_id, notifier, event, payload, status, attempts, next_at, error, *rest in rows:
            created, finished, owner, lease, version = rest
            row = Notification(
                str(i),
                int(alert_id),
                str(notifier),
                event,
                orjson.loads(payload),
                status,
                int(attempts),
                int(next_at),
                str(error) or None,
                int(created),
                int(finished) or None,
            )
            out.append((row, (str(owner), int(lease), int(version))))
        return out

    def _write(self, rows: list[tuple[Notification, int]], *, owner: str, lease_until_ms: int) -> None:
        """Each row's next version, above the version it replaces whatever this node's clock says (the previous
        leader's clock may have been ahead)."""
        if not rows:
            return
        self._conn().insert(
            self.tables["notifications"],
            NOTIFICATION_COLUMNS,
            [
                (
                    n.id,
                    n.alert_id,
                    n.notifier,
                    n.event,
                    orjson.dumps(n.payload).decode(),
                    n.status,
                    n.attempts,
                    n.next_at_ms,
                    n.last_error or "",
                    n.created_ms,
                    (n.finished_ms or 0) if n.status in FINISHED else 0,
                    owner,
                    lease_until_ms,
                    max(self._next_version(), replaced + 1),
                )
                for n, replaced in rows
            ],
        )
