"""What GET /api/alerts answers: the alert history filtered by its query parameters, each alert marked with the
silence that holds its notifications (`silenced_by`).

`state` is firing, resolved, silenced (firing and covered by an active silence now) or all; `rule`, `service`,
`group` (a query rule's, e.g. service=payment-service) and `severity` (any case) narrow it; `from` and `to`
(RFC 3339, or relative: 15m, 2h, 7d before now) keep the alerts that were firing at some moment of [from, to);
`before` (an alert id) pages: newest first by id, at most `limit`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import request

from ..alerts.silences import MAX_OPEN, mark
from ..answer import ApiError
from ..search.params import parse_time
from ..state import current_loglens
from ..store import AlertQuery
from ..store.base import ID_LIMIT
from .body import choice_arg, int_arg, str_arg

STATES = ("firing", "resolved", "silenced", "all")
SILENCED_PAGE = 500  # firing alerts read at a time while looking for silenced ones


def alert_list() -> list[dict[str, Any]]:
    loglens = current_loglens()
    now = int(loglens.clock() * 1000)
    state = choice_arg("state", "all", STATES)
    query = AlertQuery(
        state="firing" if state == "silenced" else state,
        rule=str_arg("rule"),
        service=str_arg("service"),
        group=str_arg("group"),
        severity=str_arg("severity", max_length=50),
        from_ms=_time_arg("from", now),
        to_ms=_time_arg("to", now),
        before_id=int_arg("before", ID_LIMIT - 1, 1, ID_LIMIT - 1) if "before" in request.args else None,
        limit=int_arg("limit", 100, 1, 1000),
    )
    if query.from_ms is not None and query.to_ms is not None and query.from_ms >= query.to_ms:
        raise ApiError(400, "from must be earlier than to", parameter="from")
    store = loglens.store
    active = store.silence_book.find("active", now, MAX_OPEN)
    if state != "silenced":
        return mark((a.to_dict() for a in store.alert_history(query)), active, now)
    found: list[dict[str, Any]] = []
    page = replace(query, limit=SILENCED_PAGE)
    while len(found) < query.limit:  # each page moves the cursor down: ends when the firing alerts do
        alerts = store.alert_history(page)
        found += [a for a in mark((a.to_dict() for a in alerts), active, now) if a["silenced_by"] is not None]
        if len(alerts) < page.limit:
            break
        page = replace(page, before_id=alerts[-1].id)
    return found[: query.limit]


def _time_arg(name: str, now: int) -> int | None:
    raw = str_arg(name, max_length=100)
    if raw is None or not raw.strip():  # empty: no bound
        return None
    try:
        return parse_time(raw, now)
    except ValueError as exc:
        raise ApiError(400, f"{name}: {exc}", parameter=name) from None
