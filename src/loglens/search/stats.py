"""The aggregation engine: a parsed pipeline (`pipeline.py`) answered over a time range, on any store.

A store only groups and aggregates (`Aggregator.aggregate`: one SQL query, compiled by the backend); this module
chooses the time buckets, bounds the number of groups, folds the rest into one `(other)` row (asked of the store
exactly, as the complement of the groups kept), sorts, limits and shapes the answer. Every figure is exact:
percentiles are the nearest-rank value (the value at position floor(q * n) of the n sorted values, ClickHouse's
`quantileExact`), count_distinct counts exactly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from ..model import MINUTE_MS
from . import query as nodes
from .pipeline import Agg, Pipeline, SortKey, Stats, Timechart
from .query import Node

OTHER = "(other)"
MAX_GROUPS = 1000  # rows of a stats answer before the rest is folded into (other)
MAX_SERIES = 20  # series of a timechart before the rest is folded into (other)
# spans a timechart chooses from when the query names none: the smallest that gives at most max_buckets buckets
NICE_SPANS_S = (1, 5, 10, 30, 60, 300, 600, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86_400, 7 * 86_400)


@dataclass(frozen=True, slots=True)
class AggregateRequest:
    """One grouped aggregation over the entries matching `query` with from_ms <= ts_ms < to_ms.

    The store answers one row per group: (bucket start if `bucket_ms`, *values of `by`, the group's key, number of
    entries, *one value per agg). A key is the store's own text for the group (what `drop` takes back). With
    `fold`, the groups whose keys are in `drop` are left out and the rest answered as one group per bucket: rows
    (bucket start if `bucket_ms`, number of entries, *one value per agg); no row when nothing is left."""

    query: Node
    from_ms: int
    to_ms: int
    by: tuple[str, ...]
    aggs: tuple[Agg, ...]
    bucket_ms: int | None = None
    drop: tuple[str, ...] = ()
    fold: bool = False


class Aggregator(Protocol):
    def aggregate(self, request: AggregateRequest) -> list[tuple[Any, ...]]: ...


class StatsError(ValueError):
    """The question cannot be answered as asked (too many buckets, a range that is not one): a client error."""


@dataclass(slots=True)
class Answer:
    """A stats answer (`columns`, `rows`) or a timechart (`times`, `series`)."""

    kind: str
    columns: list[str]
    by: list[str] = field(default_factory=list)  # the group fields (a table's first columns)
    rows: list[list[Any]] = field(default_factory=list)
    times: list[int] = field(default_factory=list)
    series: list[dict[str, Any]] = field(default_factory=list)
    span_seconds: int | None = None
    groups: int = 0  # groups found before folding
    folded: int = 0  # groups folded into (other)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "columns": self.columns, "by": self.by, "groups": self.groups}
        out["folded"] = self.folded
        if self.kind == "table":
            out["rows"] = self.rows
        else:
            out.update(times=self.times, series=self.series, span_seconds=self.span_seconds)
        return out


def bucket_count(from_ms: int, to_ms: int, span_ms: int) -> int:
    """How many buckets of `span_ms` (aligned to the epoch) the range [from_ms, to_ms) touches."""
    return (to_ms - 1) // span_ms - from_ms // span_ms + 1


def choose_span_s(from_ms: int, to_ms: int, max_buckets: int) -> int:
    """The smallest nice span whose aligned buckets over the range number at most max_buckets."""
    for span in NICE_SPANS_S:
        if bucket_count(from_ms, to_ms, span * 1000) <= max_buckets:
            return span
    span = math.ceil((to_ms - from_ms) / 1000 / max_buckets)
    while bucket_count(from_ms, to_ms, span * 1000) > max_buckets:
        span += 1
    return span


def answer(
    store: Aggregator,
    pipeline: Pipeline,
    from_ms: int,
    to_ms: int,
    *,
    max_buckets: int,
    max_groups: int = MAX_GROUPS,
    max_series: int = MAX_SERIES,
) -> Answer:
    """Answer an aggregating pipeline; raises StatsError for a question that cannot be answered as asked."""
    if to_ms <= from_ms:
        raise StatsError("the range is empty: 'from' must be before 'to'")
    stage = pipeline.aggregate
    if isinstance(stage, Stats):
        return _table(store, pipeline, stage, from_ms, to_ms, max_groups)
    if isinstance(stage, Timechart):
        return _timechart(store, pipeline.filter, stage, from_ms, to_ms, max_buckets, max_series)
    raise StatsError("the query has no stats, timechart or top stage")


def empty_answer(pipeline: Pipeline) -> Answer:
    """The answer over a range that holds no time at all."""
    stage = pipeline.aggregate
    if isinstance(stage, Timechart):
        by = [stage.by] if stage.by else []
        return Answer("timechart", [agg.name for agg in stage.aggs], by, span_seconds=stage.span_seconds or 1)
    if isinstance(stage, Stats):
        return Answer("table", list(pipeline.columns), list(stage.by))
    raise StatsError("the query has no stats, timechart or top stage")


# -- stats -------------------------------------------------------------------------------------------------------


def _table(store: Aggregator, pipeline: Pipeline, stage: Stats, from_ms: int, to_ms: int, limit: int) -> Answer:
    request = AggregateRequest(pipeline.filter, from_ms, to_ms, stage.by, stage.aggs)
    width = len(stage.by)
    # a store row: group values, the group's key, its number of entries, the aggregates
    rows = [list(row) for row in store.aggregate(request)]
    columns = list(pipeline.columns)
    found = len(rows)
    # which groups are kept: the first `limit` in the asked order, else the biggest
    keys = pipeline.sort or ()
    if keys:
        rows.sort(key=_order(columns, keys, width))
    else:
        rows.sort(key=lambda r: (-r[width + 1], _group_order(r[:width])))
    if pipeline.limit is not None:
        rows = rows[: pipeline.limit]
        out = [[*row[:width], *_numbers(stage.aggs, row[width + 2 :])] for row in rows]
        return Answer("table", columns, list(stage.by), rows=out, groups=found)
    kept, rest = rows[:limit], rows[limit:]
    if not keys:
        kept.sort(key=lambda r: _group_order(r[:width]))
    out = [[*row[:width], *_numbers(stage.aggs, row[width + 2 :])] for row in kept]
    if rest and width:
        drop = tuple(str(r[width]) for r in kept)
        other = store.aggregate(replace(request, drop=drop, fold=True))
        if other:
            out.append([OTHER, *([None] * (width - 1)), *_numbers(stage.aggs, other[0][1:])])
    return Answer("table", columns, list(stage.by), rows=out, groups=found, folded=len(rest))


def _numbers(aggs: Sequence[Agg], values: Sequence[Any]) -> list[Any]:
    """Counts as integers (ClickHouse 18.16 counts no values as NULL), the numeric functions as floats (SQLite sums
    integers as integers, ClickHouse not)."""
    return [
        int(v or 0) if a.func in ("count", "count_distinct") else float(v) if v is not None else None
        for a, v in zip(aggs, values, strict=True)
    ]


def _group_order(values: Sequence[Any]) -> tuple[Any, ...]:
    return tuple((v is None, "" if v is None else str(v)) for v in values)


def _order(columns: list[str], keys: Sequence[SortKey], width: int) -> Any:
    """A sort key for store rows (group values, row count, aggregates): None last whatever the direction."""
    positions = [(columns.index(k.column), k.descending) for k in keys]

    def key(row: list[Any]) -> tuple[Any, ...]:
        parts: list[Any] = []
        for index, descending in positions:
            value = row[index] if index < width else row[index + 2]
            parts.append(_Ordered(value, descending))
        return (*parts, _group_order(row[:width]))

    return key


class _Ordered:
    """One sort value: numbers by value, text by text, None after everything, in either direction."""

    __slots__ = ("descending", "value")

    def __init__(self, value: Any, descending: bool) -> None:
        self.value = value
        self.descending = descending

    def __lt__(self, other: _Ordered) -> bool:
        a, b = self.value, other.value
        if a is None or b is None:
            return a is not None and b is None
        if isinstance(a, int | float) and isinstance(b, int | float):
            return a > b if self.descending else a < b
        return str(a) > str(b) if self.descending else str(a) < str(b)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Ordered) and self.value == other.value


# -- timechart ---------------------------------------------------------------------------------------------------


def _timechart(
    store: Aggregator, query: Node, stage: Timechart, from_ms: int, to_ms: int, max_buckets: int, max_series: int
) -> Answer:
    span_s = stage.span_seconds or choose_span_s(from_ms, to_ms, max_buckets)
    span_ms = span_s * 1000
    first = from_ms // span_ms * span_ms
    count = bucket_count(from_ms, to_ms, span_ms)
    if count > max_buckets:
        wider = choose_span_s(from_ms, to_ms, max_buckets)
        raise StatsError(
            f"span={stage.span_seconds}s makes {count} buckets over this range; at most {max_buckets}"
            f" (analytics.max_buckets): use span={wider}s or more, or leave span out"
        )
    times = [first + i * span_ms for i in range(count)]
    by = (stage.by,) if stage.by else ()
    request = AggregateRequest(query, from_ms, to_ms, by, stage.aggs, bucket_ms=span_ms)
    rows = store.aggregate(request)  # bucket, group value (if by), key, entries, aggregates
    width = len(by)
    totals: dict[str, int] = {}
    groups: dict[str, tuple[Any, ...]] = {}
    for row in rows:
        key = str(row[1 + width])
        totals[key] = totals.get(key, 0) + int(row[2 + width])
        groups[key] = tuple(row[1 : 1 + width])
    ranked = sorted(totals, key=lambda k: (-totals[k], _group_order(groups[k])))
    kept, rest = ranked[:max_series], ranked[max_series:]
    index = {t: i for i, t in enumerate(times)}
    points: dict[str, list[list[Any]]] = {k: [_empty(a, count) for a in stage.aggs] for k in kept}
    for row in rows:
        key = str(row[1 + width])
        if key in points and int(row[0]) in index:
            for k, value in enumerate(_numbers(stage.aggs, row[3 + width :])):
                points[key][k][index[int(row[0])]] = value
    series: list[dict[str, Any]] = []
    for key in sorted(kept, key=lambda k: _group_order(groups[k])):
        name = _group_name(groups[key], by)
        series += [{"group": name, "column": a.name, "values": p} for a, p in zip(stage.aggs, points[key], strict=True)]
    if rest:
        other = [_empty(a, count) for a in stage.aggs]
        for row in store.aggregate(replace(request, drop=tuple(kept), fold=True)):
            if int(row[0]) in index:
                for k, value in enumerate(_numbers(stage.aggs, row[2:])):
                    other[k][index[int(row[0])]] = value
        series += [{"group": OTHER, "column": a.name, "values": p} for a, p in zip(stage.aggs, other, strict=True)]
    columns = [agg.name for agg in stage.aggs]
    return Answer(
        "timechart",
        columns,
        list(by),
        times=times,
        series=series,
        span_seconds=span_s,
        groups=len(ranked),
        folded=len(rest),
    )


def _empty(agg: Agg, count: int) -> list[Any]:
    """A bucket with no entries counts 0; the other functions have no value there."""
    return [0 if agg.func in ("count", "count_distinct") else None] * count


def _group_name(group: tuple[Any, ...], by: tuple[str, ...]) -> str | None:
    if not by:
        return None
    return group[0] if group[0] is None else str(group[0])


# -- counting from the rollups: what both backends' fast paths share -----------------------------------------------

ROLLUP_FIELDS = ("service", "level")


def names_service(node: Node) -> bool | None:
    """Whether a filter names a service; None when it names anything but service and level."""
    if isinstance(node, nodes.Everything | nodes.LevelCompare):
        return False
    if isinstance(node, nodes.FieldIs):
        return None if node.field == "user_id" else node.field == "service"
    if isinstance(node, nodes.Not):
        return names_service(node.child)
    if isinstance(node, nodes.And | nodes.Or):
        found = [names_service(c) for c in node.children]
        return None if any(f is None for f in found) else any(found)
    return None


def rollup_minutes(request: AggregateRequest) -> tuple[int, int] | None:
    """The whole minutes [first, end) of the range when a per-minute count by service and level can answer
    `request`: only count(), groups of service and level, a filter on them only, a span of whole minutes, and at
    least two whole minutes (less is cheaper read from the entries). None otherwise."""
    if not (
        all(a.func == "count" for a in request.aggs)
        and all(f in ROLLUP_FIELDS for f in request.by)
        and (request.bucket_ms is None or request.bucket_ms % MINUTE_MS == 0)
        and names_service(request.query) is not None
    ):
        return None
    first, end = -(-request.from_ms // MINUTE_MS), request.to_ms // MINUTE_MS
    return (first, end) if end - first >= 2 else None


def key_width(request: AggregateRequest) -> int:
    """How many values of a store row come before its count (see AggregateRequest)."""
    return (request.bucket_ms is not None) + (0 if request.fold else len(request.by) + 1)


def scanned_ranges(request: AggregateRequest, first: int, end: int, stale: Sequence[int] = ()) -> list[tuple[int, int]]:
    """What the entries must answer beside the rollup's whole minutes [first, end): the part-minutes at the range's
    two ends, and each run of `stale` minutes (sorted; minutes the rollup cannot vouch for)."""
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


def merge_counts(parts: Sequence[Sequence[Sequence[Any]]], request: AggregateRequest) -> list[Any]:
    """Store rows of disjoint time ranges with the same keys added up (every value after the keys is a count)."""
    width, aggs = key_width(request), len(request.aggs)
    totals: dict[tuple[Any, ...], list[int]] = {}
    for part in parts:
        for row in part:
            counts = totals.setdefault(tuple(row[:width]), [0] * (1 + aggs))
            for i in range(1 + aggs):
                counts[i] += int(row[width + i] or 0)
    return [(*k, *v) for k, v in totals.items() if v[0] > 0]
