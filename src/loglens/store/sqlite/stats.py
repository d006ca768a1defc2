"""Aggregations on SQLite: one grouped SELECT over the entries a time range and a filter select.

The time range is read through the per-minute id spans (`log_minutes`), as the search does, so the cost follows the
range, not the store; a filter with words reads the word index where it covers the ids. Percentiles are exact, by a
Python aggregate that keeps the values of its group (SQLite has no percentile function).
"""

from __future__ import annotations

import sqlite3
from array import array
from typing import Any

import orjson

from ...model import MINUTE_MS
from ...search.stats import AggregateRequest
from . import rollup_stats
from .query import Compiled, compile_query
from .walk import MERGE_GAP

PERCENTILE = {"p50": 0.5, "p90": 0.9, "p95": 0.95, "p99": 0.99}


class Quantile:
    """The value at position floor(q * n) of the n sorted values (nearest rank, as ClickHouse's quantileExact)."""

    def __init__(self) -> None:
        self.values = array("d")
        self.q = 0.5

    def step(self, value: float | None, q: float) -> None:
        if value is not None:
            self.values.append(value)
            self.q = q

    def finalize(self) -> float | None:
        n = len(self.values)
        if n == 0:
            return None
        ordered = sorted(self.values)
        return ordered[min(n - 1, int(self.q * n))]


def _path(field: str) -> str:
    return '$."' + field[len("metadata.") :] + '"'


def group_expr(field: str, params: list[Any]) -> str:
    """A group's value as text (None when the entry has none): metadata values as their JSON text, booleans as
    true / false; objects and arrays are no group."""
    if not field.startswith("metadata."):
        return f"logs.{field}"
    path = _path(field)
    params += [path, path]
    return (
        "(SELECT CASE j.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false'"
        " WHEN 'text' THEN j.value WHEN 'integer' THEN CAST(j.value AS TEXT) WHEN 'real' THEN CAST(j.value AS TEXT)"
        " END FROM (SELECT json_type(logs.metadata, ?) AS type, json_extract(logs.metadata, ?) AS value) AS j)"
    )


def number_expr(field: str, params: list[Any]) -> str:
    path = _path(field)
    params += [path, path]
    return "CASE WHEN json_type(logs.metadata, ?) IN ('integer', 'real') THEN json_extract(logs.metadata, ?) END"


def agg_expr(func: str, field: str | None, params: list[Any]) -> str:
    if func == "count":
        return "count(*)"
    assert field is not None
    if func == "count_distinct":
        return f"count(DISTINCT {group_expr(field, params)})"
    value = number_expr(field, params)
    if func in PERCENTILE:
        params.append(PERCENTILE[func])
        return f"loglens_quantile({value}, ?)"
    return f"{func}({value})"


def aggregate(conn: sqlite3.Connection, request: AggregateRequest, *, indexed: int, use_index: bool) -> list[Any]:
    """The rows of `request` (see AggregateRequest) from a read connection: counts by service and level from the
    rollup where it can say them (rollup_stats.py), the rest from the entries."""

    def scan(part: AggregateRequest) -> list[Any]:
        return _scan(conn, part, indexed=indexed, use_index=use_index)

    fast = rollup_stats.aggregate(conn, request, scan)
    return fast if fast is not None else scan(request)


def _scan(conn: sqlite3.Connection, request: AggregateRequest, *, indexed: int, use_index: bool) -> list[Any]:
    """The rows of `request` from the entries."""
    conn.create_aggregate("loglens_quantile", 2, Quantile)  # type: ignore[arg-type]
    compiled = compile_query(request.query)
    plain, through_index = _ranges(conn, request, compiled, indexed, use_index)
    # three levels: the matching rows (through the word index or row by row), their group values (g0, g1, ...),
    # then the groups; every level names its rows `logs`, so that the expressions read the same at each
    keys, outer_params, key = rollup_stats.group_keys(request)
    aggs = [agg_expr(a.func, a.field, outer_params) for a in request.aggs]
    group_params: list[Any] = []
    groups = [f"{group_expr(field, group_params)} AS g{i}" for i, field in enumerate(request.by)]
    matching, matching_params = matching_rows("logs.*", request, compiled, plain, through_index)
    inner = f"SELECT {', '.join(['logs.*', *groups])} FROM ({matching}) AS logs"
    sql = f"SELECT {', '.join([*keys, 'count(*)', *aggs])} FROM ({inner}) AS logs"
    return rollup_stats.grouped_rows(conn, request, keys, key, sql, [*outer_params, *group_params, *matching_params])


def matching_rows(
    columns: str,
    request: AggregateRequest,
    compiled: Compiled,
    plain: list[tuple[int, int]],
    through_index: list[tuple[int, int]],
) -> tuple[str, list[Any]]:
    """The SELECT of `columns` of the entries matching `request` and its parameters: through the word index over
    the id ranges `through_index`, row by row over the ranges `plain` (stats, the match count and facets read the
    matching rows this one way). `logs` names the rows; those the word index names are checked only for what it
    does not decide (Compiled.fts_where).

    The ranges are read out of their JSON once, into a materialised table: the word index's rows checked against
    `r.value ->> 0` parsed that JSON for each row it named (FTS5 leaves the bound for SQLite to check again), 0.4 s
    of a histogram's 2.8 s at 10M."""
    ranges = "SELECT value ->> 0 AS lo, value ->> 1 AS hi FROM json_each(?)"
    ctes = [f"plain_ranges AS MATERIALIZED ({ranges})"]
    params: list[Any] = [orjson.dumps(plain).decode()]
    branches: list[str] = []
    if through_index:
        ctes.append(f"index_ranges AS MATERIALIZED ({ranges})")
        params.append(orjson.dumps(through_index).decode())
        where, where_params = _where(request, compiled.fts_where, compiled.fts_params)
        branches.append(
            f"SELECT {columns} FROM index_ranges AS r CROSS JOIN search CROSS JOIN logs ON logs.id = search.rowid"
            f" WHERE search MATCH ? AND search.rowid BETWEEN r.lo AND r.hi AND {where}"
        )
        params += [compiled.fts, *where_params]
    where, where_params = _where(request, compiled.where, compiled.params)
    branches.append(
        f"SELECT {columns} FROM plain_ranges AS r CROSS JOIN logs WHERE logs.id BETWEEN r.lo AND r.hi AND {where}"
    )
    params += where_params
    return f"WITH {', '.join(ctes)} " + " UNION ALL ".join(branches), params


def _where(request: AggregateRequest, where: str, params: tuple[Any, ...]) -> tuple[str, list[Any]]:
    return f"logs.ts_ms >= ? AND logs.ts_ms < ? AND ({where})", [request.from_ms, request.to_ms, *params]


def _ranges(
    conn: sqlite3.Connection, request: AggregateRequest, compiled: Compiled, indexed: int, use_index: bool
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The id ranges holding the range's entries: those to read through the word index (when the filter has words
    and the index covers them) and those to read row by row."""
    if not use_index:
        low = conn.execute("SELECT id FROM logs ORDER BY id LIMIT 1").fetchone()
        high = conn.execute("SELECT id FROM logs ORDER BY id DESC LIMIT 1").fetchone()
        return ([(low[0], high[0])] if low and high else []), []
    spans = conn.execute(
        "SELECT first_id, last_id FROM log_minutes WHERE minute BETWEEN ? AND ?",
        (request.from_ms // MINUTE_MS, (request.to_ms - 1) // MINUTE_MS),
    ).fetchall()
    plain: list[tuple[int, int]] = []
    through_index: list[tuple[int, int]] = []
    for first, last in _id_ranges(spans):
        if compiled.fts is None or first > indexed:
            plain.append((first, last))
        elif last <= indexed:
            through_index.append((first, last))
        else:
            through_index.append((first, indexed))
            plain.append((indexed + 1, last))
    return plain, through_index


def _id_ranges(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Disjoint id ranges covering the (first id, last id) `spans`, in id order; ranges closer than MERGE_GAP are
    read as one (the rows between are outside the time range, which the query's condition drops). Unlike a search
    page (walk.py), an aggregation reads its ranges whole, so their length is not bounded: each range is one more
    FTS5 query, a seek in the word's list of rows (at 10M, the 24 hours' 4,096-id blocks were 2,500 of them)."""
    merged: list[list[int]] = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1] + MERGE_GAP:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    return [(first, last) for first, last in merged]
