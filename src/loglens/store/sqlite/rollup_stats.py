"""Counting by service and level from `rollup_level` and `rollup_level_hour` (migration 19) instead of reading
the entries.

A request is answered here when search/stats.py's `rollup_minutes` says a per-minute count can answer it. The
range's whole hours are summed from the hourly rollup (when the span, if any, is whole hours), its other whole
minutes from the minute rollup: the all-services scope ('') when neither the filter nor the groups name a service,
else each service's rows. What the rollups cannot say is read from the entries by the general path (`scan`): the
part-minutes at the range's two ends, and the buckets whose rows may count entries that have left the store (a
row's `first_id` below the lowest stored id; entries leave only as a prefix of ids): a stale hour is read from the
minute rollup, a stale minute from the entries. The parts cover disjoint times, so their grouped counts add up;
the answer is the same as the general path's, row for row (tests/store/test_stats.py checks it against brute
force).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import orjson

from ...model import MINUTE_MS
from ...search.stats import AggregateRequest, merge_counts, names_service, rollup_minutes, scanned_ranges
from .batch import ALL_SERVICES, HOUR_MINUTES
from .query import compile_query

Scan = Callable[[AggregateRequest], list[Any]]
HOUR_MS = HOUR_MINUTES * MINUTE_MS
MINUTES = ("rollup_level", "minute", MINUTE_MS)
HOURS = ("rollup_level_hour", "hour", HOUR_MS)


def aggregate(conn: sqlite3.Connection, request: AggregateRequest, scan: Scan) -> list[Any] | None:
    """The rows of `request` (as stats.aggregate answers them), or None when the rollups cannot answer it."""
    minutes = rollup_minutes(request)
    if minutes is None:
        return None
    first, end = minutes
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN")  # one snapshot for the rollups and the entries
    try:
        low = conn.execute("SELECT id FROM logs ORDER BY id LIMIT 1").fetchone()
        if low is None:
            return []
        scopes = _scopes(conn, request)
        parts: list[list[Any]] = []
        spans = [(first, end)]  # minutes for the minute rollup
        hour_first, hour_end = -(-first // HOUR_MINUTES), end // HOUR_MINUTES
        if hour_end > hour_first and (request.bucket_ms is None or request.bucket_ms % HOUR_MS == 0):
            stale_hours = _stale(conn, HOURS, hour_first, hour_end, low[0])
            parts.append(_rollup(conn, request, HOURS, scopes, hour_first, hour_end, stale_hours))
            spans = [(first, hour_first * HOUR_MINUTES), (hour_end * HOUR_MINUTES, end)]
            spans += [(h * HOUR_MINUTES, (h + 1) * HOUR_MINUTES) for h in stale_hours]
        stale_minutes: list[int] = []
        for lo, hi in spans:
            if lo < hi:
                stale = _stale(conn, MINUTES, lo, hi, low[0])
                parts.append(_rollup(conn, request, MINUTES, scopes, lo, hi, stale))
                stale_minutes += stale
        for lo_ms, hi_ms in scanned_ranges(request, first, end, sorted(stale_minutes)):
            parts.append(scan(replace(request, from_ms=lo_ms, to_ms=hi_ms)))
    finally:
        if own:
            conn.execute("COMMIT")
    return merge_counts(parts, request)


def _stale(conn: sqlite3.Connection, rollup: tuple[str, str, int], first: int, end: int, low: int) -> list[int]:
    """The buckets in [first, end) whose rows may count entries that are gone (the all-services rows are the
    lowest of each bucket)."""
    table, column, _ = rollup
    rows = conn.execute(
        f"SELECT DISTINCT {column} FROM {table} WHERE service = ? AND {column} >= ? AND {column} < ?"
        f" AND first_id < ? ORDER BY {column}",
        (ALL_SERVICES, first, end, low),
    )
    return [bucket for (bucket,) in rows]


def _scopes(conn: sqlite3.Connection, request: AggregateRequest) -> list[str]:
    """The rollup rows to read: all services together, or (when the question names services) each service's,
    found one probe each (the key starts with the service)."""
    if "service" not in request.by and not names_service(request.query):
        return [ALL_SERVICES]
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


def _rollup(
    conn: sqlite3.Connection,
    request: AggregateRequest,
    rollup: tuple[str, str, int],
    scopes: list[str],
    first: int,
    end: int,
    stale: list[int],
) -> list[Any]:
    """The buckets [first, end) of one rollup but the stale ones, grouped as stats.aggregate groups the entries."""
    table, column, unit_ms = rollup
    compiled = compile_query(request.query)
    # the same three levels as stats.aggregate: rows named `logs`, their group values, then the groups
    keys, outer_params, key = group_keys(request)
    groups = [f"logs.{field} AS g{i}" for i, field in enumerate(request.by)]
    rows = (
        f"SELECT {column} * ? AS ts_ms, service, level, count AS n FROM {table}"
        f" WHERE service IN (SELECT value FROM json_each(?)) AND {column} >= ? AND {column} < ?"
        f" AND {column} NOT IN (SELECT value FROM json_each(?))"
    )
    row_params: list[Any] = [unit_ms, orjson.dumps(scopes).decode(), first, end, orjson.dumps(stale).decode()]
    inner = f"SELECT {', '.join(['logs.*', *groups])} FROM ({rows}) AS logs WHERE {compiled.where}"
    sums = ", ".join(["sum(logs.n)"] * (1 + len(request.aggs)))
    sql = f"SELECT {', '.join([*keys, sums])} FROM ({inner}) AS logs"
    return grouped_rows(conn, request, keys, key, sql, [*outer_params, *row_params, *compiled.params])


def group_keys(request: AggregateRequest) -> tuple[list[str], list[Any], str]:
    """What the outer level of an aggregation (here and stats.py's) groups by: the time bucket, then each group
    value and the group as one JSON array (none of the group values when folding); its parameters, and the group's
    key expression."""
    params: list[Any] = []
    keys: list[str] = []
    if request.bucket_ms is not None:
        keys.append("(logs.ts_ms / ?) * ?")
        params += [request.bucket_ms, request.bucket_ms]
    names = [f"logs.g{i}" for i in range(len(request.by))]
    key = f"json_array({', '.join(names)})"
    if not request.fold:
        keys += [*names, key]
    return keys, params, key


def grouped_rows(
    conn: sqlite3.Connection, request: AggregateRequest, keys: list[str], key: str, sql: str, params: list[Any]
) -> list[Any]:
    """Run the outer level of an aggregation (here and stats.py's): `sql` selects `keys` (group_keys) then the
    counts, with `params`; the folded groups to drop are left out, the rows grouped by the keys, and the groups that
    counted nothing left out (an aggregate without GROUP BY answers one row even when nothing matched)."""
    if request.fold and request.drop:
        sql += f" WHERE {key} NOT IN (SELECT value FROM json_each(?))"
        params = [*params, orjson.dumps(list(request.drop)).decode()]
    n_keys = len(keys)
    # the group's key is a function of its values: grouped by them only, it is made once per group, not per row
    grouped = [str(i + 1) for i, k in enumerate(keys) if k != key]
    if grouped:
        sql += f" GROUP BY {', '.join(grouped)}"
    return [row for row in conn.execute(sql, params).fetchall() if row[n_keys] is not None and row[n_keys] > 0]
