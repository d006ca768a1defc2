"""The aggregation oracle: a pipeline's answer computed by brute force over a list of entries, with the engine's
documented rules written again without the store's code (nearest-rank percentiles, groups as text, the biggest
groups kept and the rest folded into one (other) row, counts of empty buckets 0 and other functions None)."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from loglens.model import Entry
from loglens.search.pipeline import Agg, Pipeline, Stats, Timechart

OTHER = "(other)"


def group_value(entry: Entry, field: str) -> str | None:
    if field in ("service", "level", "user_id"):
        value: Any = getattr(entry, field)
        return value
    value = (entry.metadata or {}).get(field[len("metadata.") :])
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return None


def number(entry: Entry, field: str) -> float | None:
    value = (entry.metadata or {}).get(field[len("metadata.") :])
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def compute(agg: Agg, entries: Sequence[Entry]) -> Any:
    if agg.func == "count":
        return len(entries)
    assert agg.field is not None
    if agg.func == "count_distinct":
        return len({v for e in entries if (v := group_value(e, agg.field)) is not None})
    values = sorted(v for e in entries if (v := number(e, agg.field)) is not None)
    if not values:
        return None
    if agg.func == "sum":
        return math.fsum(values)
    if agg.func == "avg":
        return math.fsum(values) / len(values)
    if agg.func == "min":
        return values[0]
    if agg.func == "max":
        return values[-1]
    q = {"p50": 0.5, "p90": 0.9, "p95": 0.95, "p99": 0.99}[agg.func]
    return values[min(len(values) - 1, int(q * len(values)))]


def table(pipeline: Pipeline, entries: Sequence[Entry], max_groups: int) -> tuple[list[list[Any]], int]:
    """The rows of a stats answer, and how many groups were found; ordered as the engine documents."""
    stage = pipeline.aggregate
    assert isinstance(stage, Stats)
    groups: dict[tuple[str | None, ...], list[Entry]] = defaultdict(list)
    for entry in entries:
        groups[tuple(group_value(entry, f) for f in stage.by)].append(entry)
    if not stage.by and not entries:
        return [], 0
    rows = [[*key, *(compute(a, members) for a in stage.aggs)] for key, members in groups.items()]
    return rows, len(groups)


def matching(entries: Sequence[Entry], predicate: Callable[[Entry], bool], from_ms: int, to_ms: int) -> list[Entry]:
    return [e for e in entries if from_ms <= e.ts_ms < to_ms and predicate(e)]


def timechart(
    stage: Timechart, entries: Sequence[Entry], times: list[int], span_ms: int
) -> dict[tuple[str | None, str], list[Any]]:
    """(group, column) -> values per bucket, for every group (no folding)."""
    by_group: dict[str | None, dict[int, list[Entry]]] = defaultdict(lambda: defaultdict(list))
    for entry in entries:
        group = group_value(entry, stage.by) if stage.by else None
        by_group[group][entry.ts_ms // span_ms * span_ms].append(entry)
    out: dict[tuple[str | None, str], list[Any]] = {}
    for group, buckets in by_group.items():
        for agg in stage.aggs:
            empty = 0 if agg.func in ("count", "count_distinct") else None
            out[(group, agg.name)] = [compute(agg, buckets[t]) if t in buckets else empty for t in times]
    return out


def disorderly(n: int, seed: int, base_ms: int, span_ms: int) -> list[Entry]:
    """`n` entries over `span_ms` as real traffic arrives: mostly in order, bursts of one millisecond, 2% late by
    up to an hour, a few far in the past; 20 services, 500 users, numeric and text metadata (some not numbers)."""
    import random

    rnd = random.Random(seed)
    out: list[Entry] = []
    now = base_ms
    levels = ["DEBUG", "INFO", "INFO", "INFO", "WARNING", "ERROR", "CRITICAL"]
    while len(out) < n:
        now += rnd.randrange(0, max(1, 2 * span_ms // n))
        burst = rnd.randrange(1, 40) if rnd.random() < 0.05 else 1
        for _ in range(burst):
            ts = now
            if rnd.random() < 0.02:
                ts -= rnd.randrange(0, 3_600_000)
            elif rnd.random() < 0.002:
                ts -= rnd.randrange(0, 5 * 86_400_000)
            meta: dict[str, Any] = {"region": rnd.choice(["eu", "us", "ap"])}
            roll = rnd.random()
            if roll < 0.8:
                meta["ms"] = rnd.randrange(0, 2000) if rnd.random() < 0.7 else round(rnd.random() * 100, 2)
            elif roll < 0.9:
                meta["ms"] = rnd.choice(["slow", True, None])
            out.append(
                Entry(
                    max(0, ts),
                    ts,
                    "t",
                    rnd.choice(levels),
                    f"svc-{rnd.randrange(20):02d}",
                    rnd.choice(["card declined for order 7", "timeout talking to db", "ok", "user login"]),
                    f"user-{rnd.randrange(500)}" if rnd.random() < 0.9 else None,
                    meta,
                )
            )
    return out[:n]
