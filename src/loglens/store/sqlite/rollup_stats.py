"""Counting by service and level from `rollup_level` (migration 19) instead of reading the entries.

A request is answered here when search/stats.py's `rollup_minutes` says a per-minute count can answer it. The
range's whole minutes are summed from the rollup: the all-services scope ('') when neither the filter nor the
groups name a service, else each service's rows. What the rollup cannot say is read from the entries by the general
path (`scan`): the part-minutes at the range's two ends, and the minutes whose rows may count entries that have
left the store (a row's `first_id` below the lowest stored id; entries leave only as a prefix of ids). The parts
cover disjoint times, so their grouped counts add up; the answer is the same as the general path's, row for row
(tests/store/test_stats.py checks both against brute force).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import orjson

from ...model import MINUTE_MS
from ...search.stats import AggregateRequest, merge_counts, names_service, rollup_minutes, scanned_ranges
from .batch import ALL_SERVICES
from .query import compile_query

Scan = Callable[[AggregateRequest], list[Any]]


def aggregate(conn: sqlite3.Connection, request: AggregateRequest, scan: Scan) -> list[Any] | None:
    """The rows of `request` (as stats.aggregate answers them), or None when the rollup cannot answer it."""
    minutes = rollup_minutes(request)
    if minutes is None:
        return None
    first, end = minutes
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
        for lo, hi in scanned_ranges(request, first, end, stale):
            parts.append(scan(replace(request, from_ms=lo, to_ms=hi)))
    finally:
        if own:
            conn.execute("COMMIT")
    return merge_counts(parts, request)


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
    all_services = "service" not in request.by and not names_service(request.query)
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
