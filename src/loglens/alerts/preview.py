"""A rule's backtest: its value over the last 24 hours and when it would have fired and resolved.

One aggregation: the rule's aggregate as a timechart (by its one `by` field, if any) in buckets of `span`, the
rule's `every` or coarser so that 24 h hold at most MAX_POINTS buckets. Each point is the rule's value over the
window ending at the end of its bucket:
- count, sum, min and max combine: a point combines the buckets its window covers (the window rounded up to whole
  buckets; `exact` says whether it needed rounding);
- avg, count_distinct and the percentiles do not: the buckets are then as wide as the window (at least) and each
  point is its own bucket's value (tumbling windows, `exact` false).
The points then go through the rule's state machine (`for` and no-data included, no repeat or flapping), one
evaluation per point, which gives the times it would have fired and resolved.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ..model import iso_from_ms
from ..search.pipeline import Pipeline, Timechart
from ..search.stats import NICE_SPANS_S, Aggregator, answer, bucket_count
from .rule_spec import QueryRule
from .rule_state import RuleMachine

RANGE_MS = 24 * 3_600_000
MAX_POINTS = 1500  # buckets of one preview: 24 h at one minute, and the first point's window before them
MAX_SERIES = 20  # groups drawn; the rest are one (other) series
COMBINING: dict[str, Callable[[list[float]], float]] = {"count": sum, "sum": sum, "min": min, "max": max}


class PreviewError(ValueError):
    """The rule cannot be previewed as asked (a client error)."""


def _span_s(rule: QueryRule, from_ms: int, to_ms: int) -> int:
    every_s = max(1, math.ceil(rule.every_ms / 1000))
    wanted = every_s if rule.agg.func in COMBINING else max(every_s, math.ceil(rule.window_ms / 1000))
    for span in (wanted, *(s for s in NICE_SPANS_S if s > wanted)):
        if bucket_count(from_ms, to_ms, span * 1000) <= MAX_POINTS:
            return span
    return math.ceil((to_ms - from_ms) / 1000 / (MAX_POINTS - 1))


def preview(store: Aggregator, rule: QueryRule, now_ms: int) -> dict[str, Any]:
    if not rule.resolved:  # rule_spec.resolve reads a saved search's query first
        raise PreviewError(f"the saved search {rule.saved_search!r} of the rule was not read")
    if len(rule.by) > 1:
        raise PreviewError("a preview groups by one field at most (a timechart's series); preview it with one")
    start_ms = now_ms - RANGE_MS
    combining = rule.agg.func in COMBINING
    span_s = _span_s(rule, start_ms - rule.window_ms, now_ms)
    span_ms = span_s * 1000
    per_window = max(1, math.ceil(rule.window_ms / span_ms)) if combining else 1
    from_ms = start_ms - (per_window - 1) * span_ms  # the first point's window starts this far back
    stage = Timechart((rule.agg,), rule.by[0] if rule.by else None, span_s)
    result = answer(
        store,
        Pipeline(rule.pipeline.filter, stage),
        from_ms,
        now_ms,
        max_buckets=bucket_count(from_ms, now_ms, span_ms),
        max_series=MAX_SERIES,
    )
    ends = [min(t + span_ms, now_ms) for t in result.times]
    shown = [i for i, end in enumerate(ends) if end > start_ms]
    combine = COMBINING.get(rule.agg.func)
    series: list[dict[str, Any]] = []
    firings: list[dict[str, Any]] = []
    for item in result.series:
        values: list[Any] = item["values"]
        points: list[float | None] = []
        for i in shown:
            if combine is None:
                points.append(values[i])
                continue
            window = [v for v in values[max(0, i - per_window + 1) : i + 1] if v is not None]
            points.append(float(combine(window)) if window else None)
        group = "" if item["group"] is None else f"{rule.by[0]}={item['group']}" if rule.by else str(item["group"])
        series.append({"group": group, "values": points})
        firings += _firings(rule, group, [ends[i] for i in shown], points)
    return {
        "rule": rule.name,
        "from": iso_from_ms(start_ms),
        "to": iso_from_ms(now_ms),
        "span_seconds": span_s,
        "window_seconds": rule.window_ms / 1000,
        "exact": combining and rule.window_ms % span_ms == 0,
        "condition": str(rule.condition),
        "threshold": rule.condition.threshold,
        "times": [iso_from_ms(ends[i]) for i in shown],
        "series": series,
        "firings": sorted(firings, key=lambda f: (f["fired_at"], f["group"])),
        "groups": result.groups,
        "folded": result.folded,
    }


def _firings(rule: QueryRule, group: str, times: list[int], points: list[float | None]) -> list[dict[str, Any]]:
    """When the rule would have fired and resolved for one group, evaluated once per point."""
    machine = RuleMachine(
        for_ms=rule.for_ms,
        repeat_ms=0,
        no_data=rule.spec.no_data,  # type: ignore[arg-type]
        flap_transitions=1 << 30,
        flap_window_ms=1,
    )
    out: list[dict[str, Any]] = []
    for at, value in zip(times, points, strict=True):
        for event in machine.step(at, {group: value}, rule.condition.holds):
            if event.kind == "fire":
                out.append({"group": group, "fired_at": iso_from_ms(at), "resolved_at": None, "value": value})
            elif event.kind == "resolve" and out:
                out[-1]["resolved_at"] = iso_from_ms(at)
    return out
