"""Alert history reads of the SQLite store: the `alerts` table filtered by store.base.AlertQuery."""

from __future__ import annotations

from typing import Any

from ..base import Alert, AlertQuery
from .alert_row import alert_from_row
from .connections import Connections


def where_of(query: AlertQuery) -> tuple[str, list[Any]]:
    """The WHERE clause (maybe empty) and its parameters for `query`'s filters."""
    clauses: list[str] = []
    params: list[Any] = []
    for clause, value in (
        ("state = ?", None if query.state == "all" else query.state),
        ("rule = ?", query.rule),
        ("service = ?", query.service),
        ("group_key = ?", query.group),
        ("upper(severity) = upper(?)", query.severity),
        ("fired_at_ms < ?", query.to_ms),
        ("(resolved_at_ms IS NULL OR resolved_at_ms >= ?)", query.from_ms),
        ("id < ?", query.before_id),
    ):
        if value is not None:
            clauses.append(clause)
            params.append(value)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def alert_history(connections: Connections, query: AlertQuery) -> list[Alert]:
    where, params = where_of(query)
    with connections.read() as conn:
        rows = conn.execute(f"SELECT * FROM alerts{where} ORDER BY id DESC LIMIT ?", [*params, query.limit]).fetchall()
    return [alert_from_row(row) for row in rows]
