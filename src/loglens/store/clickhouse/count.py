"""Counting a search's matches on ClickHouse, bounded: the search's filter and range, counted through a LIMIT
subquery, so that ClickHouse stops reading once it has found `most + 1` matches."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...search.query import Node
from .search import MAX_DATETIME_MS, Compiler


def count_matches(
    query: Callable[[str, dict[str, Any]], list[tuple[Any, ...]]],
    node: Node,
    from_ms: int | None,
    to_ms: int | None,
    most: int,
) -> int:
    """Entries matching `node` with from_ms <= event time < to_ms (None: open), up to most + 1; asked through
    `query` (the store's `_query`)."""
    compiler = Compiler()
    conditions = [f"({compiler.where(node)})"]
    if from_ms is not None:
        conditions.append(f"ts_ms >= {compiler.param(from_ms)}")
        if 0 <= from_ms < MAX_DATETIME_MS:  # prunes day partitions and the (service, ts) key
            conditions.append(f"ts >= toDateTime({compiler.param(from_ms // 1000)})")
    if to_ms is not None:
        conditions.append(f"ts_ms < {compiler.param(to_ms)}")
        if 0 < to_ms <= MAX_DATETIME_MS:
            conditions.append(f"ts <= toDateTime({compiler.param((to_ms - 1) // 1000)})")
    sql = f"SELECT count() FROM (SELECT 1 FROM {{logs}} WHERE {' AND '.join(conditions)} LIMIT {int(most) + 1})"
    return int(query(sql, compiler.params)[0][0])
