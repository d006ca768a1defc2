"""Counting a search's matches on SQLite, bounded: the matching rows are read as the aggregations read them
(stats.py: the range's id spans, through the word index where it covers them) and counted with a LIMIT, so that a
count reads at most `most + 1` matching rows."""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson

from ...search.query import Node
from ...search.stats import AggregateRequest
from .query import compile_query
from .stats import _ranges, _where
from .walk import LIMIT_MS


def count_matches(
    conn: sqlite3.Connection,
    query: Node,
    from_ms: int | None,
    to_ms: int | None,
    most: int,
    *,
    indexed: int,
    use_index: bool,
) -> int:
    """Entries matching `query` with from_ms <= event time < to_ms (None: open), up to most + 1."""
    request = AggregateRequest(
        query, -LIMIT_MS if from_ms is None else from_ms, LIMIT_MS if to_ms is None else to_ms, (), ()
    )
    compiled = compile_query(query)
    plain, through_index = _ranges(conn, request, compiled, indexed, use_index)
    where, where_params = _where(request, compiled)
    branches: list[str] = []
    params: list[Any] = []
    if through_index:
        branches.append(
            "SELECT 1 FROM json_each(?) AS r CROSS JOIN search CROSS JOIN logs ON logs.id = search.rowid"
            f" WHERE search MATCH ? AND search.rowid BETWEEN r.value ->> 0 AND r.value ->> 1 AND {where}"
        )
        params += [orjson.dumps(through_index).decode(), compiled.fts, *where_params]
    if plain:
        branches.append(
            "SELECT 1 FROM json_each(?) AS r CROSS JOIN logs WHERE logs.id BETWEEN r.value ->> 0 AND r.value ->> 1"
            f" AND {where}"
        )
        params += [orjson.dumps(plain).decode(), *where_params]
    if not branches:
        return 0
    sql = f"SELECT count(*) FROM ({' UNION ALL '.join(branches)} LIMIT ?)"
    return int(conn.execute(sql, [*params, most + 1]).fetchone()[0])
