"""Counting a search's matches on SQLite, bounded: the matching rows are read as the aggregations read them
(stats.py: the range's id spans, through the word index where it covers them) and counted with a LIMIT, so that a
count reads at most `most + 1` matching rows."""

from __future__ import annotations

import sqlite3

from ...search.query import Node
from ...search.stats import AggregateRequest
from .query import compile_query
from .stats import _ranges, matching_rows
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
    if not plain and not through_index:
        return 0
    matching, params = matching_rows("1", request, compiled, plain, through_index)
    sql = f"SELECT count(*) FROM ({matching} LIMIT ?)"
    return int(conn.execute(sql, [*params, most + 1]).fetchone()[0])
