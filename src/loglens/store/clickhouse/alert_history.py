"""Alert history reads of the ClickHouse store: the newest version of each alert, filtered by
store.base.AlertQuery. Mixed into ClickHouseStore after AlertMethods, which reads the versions."""

from __future__ import annotations

from typing import Any

from ..base import Alert, AlertQuery


class AlertHistoryMethods:
    def _latest_alerts(
        self, where: str, params: dict[str, Any], *, state: str, limit: int, outer: tuple[str, ...] = ()
    ) -> list[tuple[Alert, int]]:
        raise NotImplementedError

    def alert_history(self, query: AlertQuery) -> list[Alert]:
        inner: list[str] = []  # on columns no later version changes: every version's row has them
        outer: list[str] = []  # on the newest version
        params: dict[str, Any] = {}
        for clause, name, value, on_newest in (
            ("rule = %(rule)s", "rule", query.rule, False),
            ("service = %(service)s", "service", query.service, False),
            ("group_key = %(group)s", "group", query.group, False),
            ("upper(severity) = upper(%(severity)s)", "severity", query.severity, False),
            ("fired_at_ms < %(to)s", "to", query.to_ms, False),
            ("id < %(before)s", "before", query.before_id, False),
            ("(resolved IS NULL OR resolved >= %(from)s)", "from", query.from_ms, True),
        ):
            if value is not None:
                (outer if on_newest else inner).append(clause)
                params[name] = value
        where = "WHERE " + " AND ".join(inner) if inner else ""
        rows = self._latest_alerts(where, params, state=query.state, limit=query.limit, outer=tuple(outer))
        return [alert for alert, _ in rows]
