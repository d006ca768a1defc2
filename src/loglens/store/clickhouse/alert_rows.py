"""Alert rows in ClickHouse: every transition (fired, acknowledged, resolved) is the alert's next version.

Mixed into ClickHouseStore, which provides `_query`, `_conn`, `tables`, `ids` and `_alert_lock`. Between nodes,
only the elected leader fires and resolves alerts (lease.py); the lock orders this process's own transitions.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import orjson

from ..base import Alert, NewAlert
from .connection import Connection, count_pairs
from .ids import IdSource
from .schema import Tables

ALERT_COLUMNS = (
    "id",
    "rule",
    "service",
    "severity",
    "message",
    "value",
    "threshold",
    "state",
    "fired_at_ms",
    "resolved_at_ms",
    "acked_at_ms",
    "resolved_reason",
    "version",
    "group_key",
    "labels",
)
LATEST_ALERTS = (  # one row per alert id, its newest version (no FINAL: its WHERE may see older versions);
    # aliases differ from the column names, which 18.16 would resolve to the aggregates themselves
    "SELECT id, any(rule) AS a_rule, any(service) AS a_service, any(severity) AS a_severity,"
    " any(message) AS a_message, any(value) AS a_value, any(threshold) AS a_threshold,"
    " argMax(state, version) AS st, any(fired_at_ms) AS fired, argMax(resolved_at_ms, version) AS resolved,"
    " argMax(acked_at_ms, version) AS acked, argMax(resolved_reason, version) AS reason,"
    " max(version) AS v, any(group_key) AS a_group, any(labels) AS a_labels FROM {table} {where} GROUP BY id"
)


class AlertMethods:
    tables: Tables
    ids: IdSource
    _alert_lock: threading.Lock
    _queue_notifications: Callable[..., None]  # notification_rows.py: the outbox rows of a transition

    def _query(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _conn(self) -> Connection:
        raise NotImplementedError

    def fire_alert(self, alert: NewAlert, now_ms: int, cooldown_ms: int, *, notify: Sequence[str] = ()) -> Alert | None:
        with self._alert_lock:  # between nodes, only the leader fires (see lease.py)
            blocked = self._query(
                "SELECT count() FROM ("
                + LATEST_ALERTS.format(
                    table="{alerts}", where="WHERE rule = %(r)s AND service = %(s)s AND group_key = %(g)s"
                )
                + ") WHERE st = 'firing' OR fired > %(since)s",
                {"r": alert.rule, "s": alert.service, "g": alert.group, "since": now_ms - cooldown_ms},
            )
            if int(blocked[0][0]):
                return None
            new = Alert(
                self.ids.id_of(self.ids.take(1)),
                alert.rule,
                alert.service,
                alert.severity,
                alert.message,
                float(alert.value),
                float(alert.threshold),
                "firing",
                now_ms,
                None,
                group=alert.group,
                labels=dict(alert.labels),
            )
            self._queue_notifications(new, "firing", notify, now_ms)  # first: see notification_rows.py
            self._insert_alert(new, 1)
            return new

    def resolve_alert(
        self, alert_id: int, now_ms: int, reason: str | None = None, *, notify: Sequence[str] = ()
    ) -> Alert | None:
        with self._alert_lock:
            rows = self._latest_alerts("WHERE id = %(id)s", {"id": alert_id}, state="firing", limit=1)
            if not rows:
                return None
            current, version = rows[0]
            resolved = replace(current, state="resolved", resolved_at_ms=now_ms, resolved_reason=reason)
            self._queue_notifications(resolved, "resolved", notify, now_ms)  # first: see notification_rows.py
            self._insert_alert(resolved, version + 1)
            return resolved

    def ack_alert(self, alert_id: int, now_ms: int) -> Alert | None:
        with self._alert_lock:
            rows = self._latest_alerts("WHERE id = %(id)s", {"id": alert_id}, state="firing", limit=1)
            if not rows:
                return None
            current, version = rows[0]
            if current.acked_at_ms is not None:
                return current
            acked = replace(current, acked_at_ms=now_ms)
            self._insert_alert(acked, version + 1)
            return acked

    def alert(self, alert_id: int) -> Alert | None:
        rows = self._latest_alerts("WHERE id = %(id)s", {"id": alert_id}, state="all", limit=1)
        return rows[0][0] if rows else None

    def alert_counts(self) -> dict[tuple[str, str], int]:
        return count_pairs(self._query, LATEST_ALERTS.format(table="{alerts}", where=""), "a_rule", "toString(st)")

    def _insert_alert(self, alert: Alert, version: int) -> None:
        labels = orjson.dumps(alert.labels).decode()
        self._conn().insert(self.tables["alerts"], ALERT_COLUMNS, [(*_fields(alert), version, alert.group, labels)])

    def alerts(self, state: str = "all", limit: int = 100) -> list[Alert]:
        return [a for a, _ in self._latest_alerts("", {}, state=state, limit=limit)]

    def _latest_alerts(
        self, where: str, params: dict[str, Any], *, state: str, limit: int, outer: tuple[str, ...] = ()
    ) -> list[tuple[Alert, int]]:
        """`outer`: conditions on the newest versions (st, resolved...), besides `where` on every version's row."""
        sql = "SELECT * FROM (" + LATEST_ALERTS.format(table="{alerts}", where=where) + ")"
        conditions = list(outer)
        if state != "all":
            conditions.append("st = %(state)s")
            params = {**params, "state": state}
        if conditions:
            sql += " WHERE " + " AND ".join(conditions)
        rows = self._query(sql + f" ORDER BY id DESC LIMIT {int(limit)}", params)
        return [
            (
                Alert(
                    int(i),
                    r,
                    s,
                    sev,
                    m,
                    float(v),
                    float(t),
                    st,
                    int(f),
                    None if rs is None else int(rs),
                    None if ack is None else int(ack),
                    None if why is None else str(why),
                    str(group),
                    orjson.loads(labels) if labels else {},
                ),
                int(ver),
            )
            for i, r, s, sev, m, v, t, st, f, rs, ack, why, ver, group, labels in rows
        ]


def _fields(alert: Alert) -> tuple[Any, ...]:
    a = alert
    return (
        a.id,
        a.rule,
        a.service,
        a.severity,
        a.message,
        a.value,
        a.threshold,
        a.state,
        a.fired_at_ms,
        a.resolved_at_ms,
        a.acked_at_ms,
        a.resolved_reason,
    )
