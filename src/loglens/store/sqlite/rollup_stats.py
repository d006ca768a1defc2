"""Counting by service and level from `rollup_level` (migration 19) instead of reading the entries.

A request is answered here when every function is `count()`, it groups by nothing, `service` and/or `level`, its
filter says only what service and level may be (`service:x`, `level>=WARNING`, NOT / AND / OR of those), and a
timechart's span is whole minutes. The range's whole minutes are summed from the rollup: the all-services scope
('') when neither the filter nor the groups name a service, else each service's rows. What the rollup cannot say
is read from the entries by the general path (`scan`): the part-minutes at the range's two ends, and the minutes
whose rows may count entries that have left the store (a row's `first_id` below the lowest stored id; entries
leave only as a prefix of ids). The parts cover disjoint times, so their grouped counts add up; the answer is the
same as the general path's, row for row (tests/store/test_stats.py checks both against brute force).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import orjson

from ...model import MINUTE_MS
from ...search import query as nodes
from ...search.stats import AggregateRequest
from .batch import ALL_SERVICES
from .query import compile_query

Scan = Callable[[AggregateRequest], list[Any]]
ROLLUP_FIELDS = ("service", "level")


def _names_service(node: nodes.Node) -> bool | None:
    """Whether the filter names a service; None when it names anything but service and level."""
    if isinstance(node, nodes.Everything | nodes.LevelCompare):
        return False
    if isinstance(node, nodes.FieldIs):
        return None if node.field == "user_id" else node.field == "service"
    if isinstance(node, nodes.Not):
        return _names_service(node.child)
    if isinstance(node, nodes.And | nodes.Or):
        found = [_names_service(c) for c in node.children]
        return None if any(f is None for f in found) else any(found)
    return None


def answerable(request: AggregateRequest) -> bool:
    return (
        all(a.func == "count" for a in request.aggs)
        and all(f in ROLLUP_FIELDS for f in request.by)
        and (request.bucket_ms is None or request.bucket_ms % MINUTE_MS == 0)
        and _names_service(request.query) is not None
    )


def aggregate(conn: sqlite3.Connection, request: AggregateRequest, scan: Scan) -> list[Any] | None:
    """The rows of `request` (as stats.aggregate answers them), or None when the rollup cannot answer it."""
    if not answerable(request):
        return None
    first = -(-request.from_ms // MINUTE_MS)  # the whole minutes first .. end - 1 lie inside the range
    end = request.to_ms // MINUTE_MS
    if end - first < 2:
        return None
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN")  # one snapshot for the rollup and the entries
    try:
        low = conn.execute("SELECT id FROM logs ORDER BY id LIMIT 1").fetchone()
        if low is None:
            return []
        # minutes whose rows may count entries that are gone (the all-services rows are the lowest of each minute)
        stale = [
            m
            for (m,) in conn.execute(
                "SELECT DISTINCT minute FROM rollup_level WHERE service = ? AND minute >= ? AND minute < ?"
                " AND first_id < ? ORDER BY minute",
                (ALL_SERVICES, first, end, low[0]),
            )
        ]
        parts = [_rollup(conn, request, first, end, stale)]
        for lo, hi in _scanned(request, first, end, stale):
            parts.append(scan(replace(request, from_ms=lo, to_ms=hi)))
    finally:
        if own:
            conn.execute("COMMIT")
    return _merged(parts, _key_width(request), len(request.aggs))


def _key_width(request: AggregateRequest) -> int:
    return (request.bucket_ms is not None) + (0 if request.fold else len(request.by) + 1)


def _scanned(request: AggregateRequest, first: int, end: int, stale: list[int]) -> list[tuple[int, int]]:
    """The time ranges the entries answer: the part-minutes at both ends and each run of stale minutes."""
    out = [(request.from_ms, first * MINUTE_MS), (end * MINUTE_MS, request.to_ms)]
    run: list[int] = []
    for minute in stale:
        if run and minute != run[-1] + 1:
            out.append((run[0] * MINUTE_MS, (run[-1] + 1) * MINUTE_MS))
            run = []
        run.append(minute)
    if run:
        out.append((run[0] * MINUTE_MS, (run[-1] + 1) * MINUTE_MS))
    return [(lo, hi) for lo, hi in out if lo < hi]


def _services(conn: sqlite3.Connection) -> list[str]:
    """The services the rollup has rows of, one probe each (the key starts with the service)."""
    out: list[str] = []
    after = ALL_SERVICES
    while True:
        row = conn.execute(
            "SELECT service FROM rollup_level WHERE service > ? ORDER BY service LIMIT 1", (after,)
        ).fetchone()
        if row is None:
            return out
        after = row[0]
        out.append(after)


def _rollup(conn: sqlite3.Connection, request: AggregateRequest, first: int, end: int, stale: list[int]) -> list[Any]:
    compiled = compile_query(request.query)
    all_services = "service" not in request.by and not _names_service(request.query)
    scopes = [ALL_SERVICES] if all_services else _services(conn)
    # the same three levels as stats.aggregate: rows named `logs`, their group values, then the groups
    outer_params: list[Any] = []
    keys: list[str] = []
    if request.bucket_ms is not None:
        keys.append("(logs.ts_ms / ?) * ?")
        outer_params += [request.bucket_ms, request.bucket_ms]
    names = [f"logs.g{i}" for i in range(len(request.by))]
    key = f"json_array({', '.join(names)})"
    if not request.fold:
        keys += [*names, key]
    groups = [f"logs.{field} AS g{i}" for i, field in enumerate(request.by)]
    rows = (
        "SELECT minute * ? AS ts_ms, service, level, count AS n FROM rollup_level"
        " WHERE service IN (SELECT value FROM json_each(?)) AND minute >= ? AND minute < ?"
        " AND minute NOT IN (SELECT value FROM json_each(?))"
    )
    row_params: list[Any] = [MINUTE_MS, orjson.dumps(scopes).decode(), first, end, orjson.dumps(stale).decode()]
    inner = f"SELECT {', '.join(['logs.*', *groups])} FROM ({rows}) AS logs WHERE {compiled.where}"
    sums = ", ".join(["sum(logs.n)"] * (1 + len(request.aggs)))
    sql = f"SELECT {', '.join([*keys, sums])} FROM ({inner}) AS logs"
    params = [*outer_params, *row_params, *compiled.params]
    if request.fold and request.drop:
        sql += f" WHERE {key} NOT IN (SELECT value FROM json_each(?))"
        params.append(orjson.dumps(list(request.drop)).decode())
    n_keys = len(keys)
    if n_keys:
        sql += f" GROUP BY {', '.join(str(i + 1) for i in range(n_keys))}"
    return [row for row in conn.execute(sql, params).fetchall() if row[n_keys] is not None and row[n_keys] > 0]


def _merged(parts: list[list[Any]], width: int, aggs: int) -> list[Any]:
    """The parts' rows with the same keys added up (every value after the keys is a count)."""
    if sum(1 for p in parts if p) <= 1:
        return next((list(p) for p in parts if p), [])
    totals: dict[tuple[Any, ...], list[int]] = {}
    for part in parts:
        for row in part:
            counts = totals.setdefault(tuple(row[:width]), [0] * (1 + aggs))
            for i in range(1 + aggs):
                counts[i] += int(row[width + i] or 0)
    return [(*k, *v) for k, v in totals.items()]
