"""Aggregations on ClickHouse (18.16 and later): one grouped SELECT, compiled from the same request as SQLite's.

Metadata values come from the parallel arrays every row carries (`search.py`): a group's value is the value's text
(`meta_s`), a numeric function reads `meta_n` where the kind is a number. Percentiles are `quantileExact` (the
value at position floor(q * n) of the n sorted values), count_distinct is `uniqExact`: every figure is exact.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...search.stats import AggregateRequest
from .search import INTEGER, MAX_DATETIME_MS, OTHER, REAL, Compiler

PERCENTILE = {"p50": 0.5, "p90": 0.9, "p95": 0.95, "p99": 0.99}
SIMPLE = {"sum": "sum", "avg": "avg", "min": "min", "max": "max"}


def _position(compiler: Compiler, field: str) -> str:
    return f"indexOf(meta_k, {compiler.param(field[len('metadata.') :])})"


def group_expr(compiler: Compiler, field: str) -> str:
    """A group's value as text, NULL when the entry has none (objects and arrays are no group)."""
    if field == "level":
        return "toString(level)"
    if not field.startswith("metadata."):
        return field
    at = _position(compiler, field)
    return f"if({at} > 0 AND meta_t[{at}] != {OTHER}, meta_s[{at}], NULL)"


def number_expr(compiler: Compiler, field: str) -> str:
    at = _position(compiler, field)
    return f"if({at} > 0 AND meta_t[{at}] IN ({INTEGER}, {REAL}), meta_n[{at}], NULL)"


def agg_expr(compiler: Compiler, func: str, field: str | None) -> str:
    if func == "count":
        return "count()"
    assert field is not None
    if func == "count_distinct":
        return f"uniqExact({group_expr(compiler, field)})"
    value = number_expr(compiler, field)
    if func in PERCENTILE:
        return f"quantileExact({PERCENTILE[func]})({value})"
    return f"{SIMPLE[func]}({value})"


def key_expr(names: list[str]) -> str:
    """One text per group that no other group has: each value length-prefixed, NULL as N."""
    if not names:
        return "''"
    parts = [
        f"if(isNull({n}), 'N', concat('S', toString(length(assumeNotNull({n}))), ':', assumeNotNull({n})))"
        for n in names
    ]
    return parts[0] if len(parts) == 1 else f"concat({', '.join(parts)})"


def grouped_select(
    compiler: Compiler, request: AggregateRequest, bucket: str | None, values: list[str], source: str, where: str
) -> str:
    """The grouped SELECT of an aggregation (here and rollup_stats.py's): the keys k0, k1, ... (the time bucket
    `bucket` if any, then each group value and the group's key_expr unless folding), then `values`, of the rows of
    `source` where `where`, less the folded groups to drop."""
    groups = [group_expr(compiler, field) for field in request.by]
    keys = [] if bucket is None else [bucket]
    if not request.fold:
        keys += [*groups, key_expr(groups)]
    selected = [f"{k} AS k{i}" for i, k in enumerate(keys)]
    sql = f"SELECT {', '.join([*selected, *values])} FROM {source} WHERE {where}"
    if request.fold and request.drop:
        sql += f" AND NOT ({key_expr(groups)} IN {compiler.param(tuple(request.drop))})"
    if keys:
        sql += " GROUP BY " + ", ".join(f"k{i}" for i in range(len(keys)))
    return sql


def compile_aggregate(request: AggregateRequest) -> tuple[str, dict[str, Any]]:
    compiler = Compiler()
    where = compiler.where(request.query)
    bounds = [f"ts_ms >= {compiler.param(request.from_ms)}", f"ts_ms < {compiler.param(request.to_ms)}"]
    if 0 <= request.from_ms < MAX_DATETIME_MS:  # prunes day partitions and the (service, ts) key
        bounds.append(f"ts >= toDateTime({compiler.param(request.from_ms // 1000)})")
    if 0 < request.to_ms <= MAX_DATETIME_MS:
        bounds.append(f"ts <= toDateTime({compiler.param((request.to_ms - 1) // 1000)})")
    bucket = (
        None if request.bucket_ms is None else f"intDiv(ts_ms, {int(request.bucket_ms)}) * {int(request.bucket_ms)}"
    )
    aggs = [agg_expr(compiler, a.func, a.field) for a in request.aggs]
    sql = grouped_select(
        compiler, request, bucket, ["count()", *aggs], "{logs}", f"({where}) AND {' AND '.join(bounds)}"
    )
    return sql, compiler.params


def aggregate(query: Callable[[str, dict[str, Any]], list[tuple[Any, ...]]], request: AggregateRequest) -> list[Any]:
    """The rows of `request` (see AggregateRequest) read from the entries, asked through `query` (the store's
    `_query`); rollup_stats.answer tries the rollup first."""
    sql, params = compile_aggregate(request)
    rows = query(sql, params)
    # an aggregate without GROUP BY (or grouped by a constant) answers one row even when nothing matched
    n_keys = (request.bucket_ms is not None) + (0 if request.fold else len(request.by) + 1)
    return [row for row in rows if int(row[n_keys]) > 0]
