"""Counting by service and level from `rollup_level` (migration 4 of schema.py) instead of reading the entries.

A request is answered here when search/stats.py's `rollup_minutes` says a per-minute count can answer it. The
range's whole minutes are summed from the rollup (a SummingMergeTree: rows of parts not merged yet add up the same);
the part-minutes at the range's two ends are read from the entries by the general path. The rollup holds exactly
the stored entries: its day partitions are dropped with the entries' (retention and max_logs both drop whole event
days, store.py), and a late entry for a dropped day comes back into both. The parts cover disjoint times, so their
grouped counts add up (tests/store/test_stats.py checks the answers against brute force).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ...model import MINUTE_MS
from ...search.stats import AggregateRequest, merge_counts, rollup_minutes, scanned_ranges
from .search import Compiler
from .stats import aggregate as from_entries
from .stats import compile_aggregate, grouped_select

Query = Callable[[str, dict[str, Any]], list[tuple[Any, ...]]]


def compile_rollup(request: AggregateRequest, first: int, end: int) -> tuple[str, dict[str, Any]]:
    """The whole minutes [first, end) of `request`, grouped as compile_aggregate groups the entries."""
    compiler = Compiler()
    where = compiler.where(request.query)  # over service and level only: the rollup's columns of the same names
    bucket = None
    if request.bucket_ms is not None:
        bucket = f"intDiv(toInt64(toUInt32(minute)) * 1000, {int(request.bucket_ms)}) * {int(request.bucket_ms)}"
    sums = ["sum(count)"] * (1 + len(request.aggs))
    bounds = (
        f"minute >= toDateTime({compiler.param(first * MINUTE_MS // 1000)})"
        f" AND minute < toDateTime({compiler.param(end * MINUTE_MS // 1000)})"
    )
    sql = grouped_select(compiler, request, bucket, sums, "{rollup_level}", f"({where}) AND {bounds}")
    return sql, compiler.params


def aggregate(query: Query, request: AggregateRequest) -> list[Any] | None:
    """The rows of `request` (as stats.aggregate answers them), or None when the rollup cannot answer it."""
    minutes = rollup_minutes(request)
    if minutes is None:
        return None
    first, end = minutes
    parts = [query(*compile_rollup(request, first, end))]
    for lo, hi in scanned_ranges(request, first, end):
        parts.append(query(*compile_aggregate(replace(request, from_ms=lo, to_ms=hi))))
    return merge_counts(parts, request)


def answer(query: Query, request: AggregateRequest) -> list[Any]:
    """The rows of `request`, asked through `query` (the store's `_query`): counts by service and level from the
    rollup where it can say them, the rest from the entries (stats.aggregate)."""
    fast = aggregate(query, request)
    return fast if fast is not None else from_entries(query, request)
