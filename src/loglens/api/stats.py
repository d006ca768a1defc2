"""GET /api/stats: a query with an aggregating stage (`| stats`, `| timechart`, `| top`) answered over a range;
GET /api/facets: the most frequent values of the main fields for a filter, beside Explore's results;
GET /api/patterns: the matching messages grouped into templates.

    /api/stats?q=level>=ERROR | stats count() by service&from=24h
    /api/stats?q=| timechart span=5m count() by level&from=6h&to=1h
    /api/stats?q=...&format=csv      the answer as CSV (a table: its columns; a timechart: time, group, columns)

The range defaults to the last hour; an empty `from` means from the first stored entry. The grammar is in
search/pipeline.py, the engine in search/stats.py.
"""

from __future__ import annotations

import csv
import io
import time
from collections import Counter
from typing import Any

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue

from ..answer import ApiError
from ..auth.access import requires
from ..model import MAX_TS_MS, MIN_TS_MS, MINUTE_MS, iso_from_ms, parse_timestamp_ms
from ..search.params import parse_time
from ..search.patterns import mine
from ..search.pipeline import Pipeline, parse_pipeline
from ..search.query import QueryError
from ..search.stats import Answer, StatsError, answer, empty_answer
from ..state import current_loglens
from ..store import Store
from .body import choice_arg

bp = Blueprint("stats", __name__)
DEFAULT_RANGE = "1h"
FACET_VALUES = 5  # values shown per field
FACET_SAMPLE = 500  # newest matches whose metadata keys are counted to choose the metadata fields shown
META_FACETS = 4  # metadata fields shown: the keys most of the sample carries
PATTERN_SAMPLE = 10_000  # newest matches mined for patterns
# the sample in one read: on ClickHouse each page re-reads the range (10 pages of 1,000 took 1.1 s at 1M entries)
PATTERN_PAGE = PATTERN_SAMPLE
# Patterns ask the store several times; past this many seconds they ask no more and answer what they
# have (`complete: false`), so that the whole request stays near one query's deadline, not a multiple of it.
BUDGET_SECONDS = 2.0


def _pipeline(*, aggregating: bool = True) -> Pipeline:
    text = request.args.get("q", "")
    try:
        pipeline = parse_pipeline(text)
    except QueryError as exc:
        raise ApiError(400, str(exc), parameter="q", column=exc.column) from None
    if not aggregating:
        if pipeline.aggregate is not None:
            raise ApiError(400, "facets take a filter without stages", parameter="q")
        return pipeline
    if pipeline.aggregate is None:
        raise ApiError(
            400,
            "the query has no stats, timechart or top stage: add one (q=level:ERROR | stats count() by service)"
            " or search with /api/logs",
            parameter="q",
        )
    return pipeline


def _time(name: str, default: str, now_ms: int) -> int:
    raw = request.args.get(name, default).strip() or default
    try:
        return parse_time(raw, now_ms)
    except ValueError as exc:
        raise ApiError(400, f"{name}: {exc}", parameter=name) from None


def _range(store: Store, now_ms: int) -> tuple[int, int]:
    """The request's [from, to): the last hour unless given; an empty `from` is the store's first minute."""
    to_ms = _time("to", "0s", now_ms)
    if request.args.get("from", DEFAULT_RANGE).strip() == "":
        stored = store.minute_range()
        from_ms = min(stored[0] * MINUTE_MS, to_ms - 1) if stored is not None else to_ms - 3_600_000
    else:
        from_ms = _time("from", DEFAULT_RANGE, now_ms)
    if from_ms >= to_ms:
        raise ApiError(400, "from must be earlier than to", parameter="from")
    # only stored event times matter, and the answer names its range in RFC 3339: cut to what entries may carry
    # (a range wholly outside holds nothing: it comes back empty, from == to)
    to_ms = max(MIN_TS_MS, min(to_ms, MAX_TS_MS + 1))
    return min(max(from_ms, MIN_TS_MS), to_ms), to_ms


@bp.get("/api/stats")
@requires("read")
def stats() -> ResponseReturnValue:
    started = time.perf_counter()
    state = current_loglens()
    pipeline = _pipeline()
    from_ms, to_ms = _range(state.store, int(state.clock() * 1000))
    fmt = choice_arg("format", "json", ("json", "csv"))
    try:
        if from_ms == to_ms:  # a range outside every time an entry may carry
            result = empty_answer(pipeline)
        else:
            result = answer(state.store, pipeline, from_ms, to_ms, max_buckets=state.config.analytics.max_buckets)
    except StatsError as exc:
        raise ApiError(400, str(exc), parameter="q") from None
    if fmt == "csv":
        return _csv(result)
    body: dict[str, Any] = {
        "query": request.args.get("q", ""),
        "from": iso_from_ms(from_ms),
        "to": iso_from_ms(to_ms),
        **result.to_json(),
        "complete": result.folded == 0,
        "exact": True,
        "took_ms": round((time.perf_counter() - started) * 1000, 2),
    }
    return body


def _csv(result: Answer) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    if result.kind == "table":
        writer.writerow(result.columns)
        writer.writerows(result.rows)
    else:
        writer.writerow(["time", "group", *result.columns])
        groups: dict[Any, dict[str, list[Any]]] = {}
        for series in result.series:
            groups.setdefault(series["group"], {})[series["column"]] = series["values"]
        for group, columns in groups.items():
            for i, ts in enumerate(result.times):
                writer.writerow([iso_from_ms(ts), group, *(columns[c][i] for c in result.columns)])
    return Response(
        out.getvalue(), mimetype="text/csv", headers={"Content-Disposition": 'attachment; filename="loglens-stats.csv"'}
    )


@bp.get("/api/facets")
@requires("read")
def facets() -> ResponseReturnValue:
    """The most frequent values of service, level, user_id and of the metadata keys most matches carry, with
    their counts, for a filter (no stages) over a range: what Explore shows beside the results. The keys are chosen
    from the newest FACET_SAMPLE matches; then every field is counted exactly in one read of the matching entries
    (the store's facet_counts). `distinct` counts the entries without a value as one more value."""
    started = time.perf_counter()
    state = current_loglens()
    pipeline = _pipeline(aggregating=False)
    from_ms, to_ms = _range(state.store, int(state.clock() * 1000))
    if from_ms == to_ms:  # a range outside every time an entry may carry
        return {"fields": [], "complete": True, "took_ms": round((time.perf_counter() - started) * 1000, 2)}
    sample = state.store.search(pipeline.filter, from_ms=from_ms, to_ms=to_ms, limit=FACET_SAMPLE).logs
    keys = Counter(key for entry in sample for key in (entry.get("metadata") or {}))
    fields = ["service", "level", "user_id", *(f"metadata.{key}" for key, _ in keys.most_common(META_FACETS))]
    # every field counted in one read of the matching entries (the store's facet_counts)
    counted = state.store.facet_counts(pipeline.filter, from_ms, to_ms, fields, FACET_VALUES)
    out = [
        {
            "field": facet.field,
            "values": [{"value": v, "count": n} for v, n in facet.values],
            "distinct": facet.distinct,
        }
        for facet in counted
        if facet.values
    ]
    return {"fields": out, "complete": True, "took_ms": round((time.perf_counter() - started) * 1000, 2)}


@bp.get("/api/patterns")
@requires("read")
def patterns() -> ResponseReturnValue:
    """The matching messages grouped into templates (search/patterns.py), mined from the newest PATTERN_SAMPLE
    matches of the range: the answer says how many were read and whether that was every match."""
    started = time.perf_counter()
    state = current_loglens()
    pipeline = _pipeline(aggregating=False)
    from_ms, to_ms = _range(state.store, int(state.clock() * 1000))
    sample: list[dict[str, Any]] = []
    after = None
    complete = False
    while len(sample) < PATTERN_SAMPLE and time.perf_counter() - started <= BUDGET_SECONDS:
        page = state.store.search(
            pipeline.filter,
            from_ms=from_ms,
            to_ms=to_ms,
            limit=min(PATTERN_PAGE, PATTERN_SAMPLE - len(sample)),
            after=after,
        )
        sample += page.logs
        if page.next is None:
            complete = True
            break
        after = page.next
    for entry in sample:
        entry["ts_ms"] = parse_timestamp_ms(entry["timestamp"])
    since_ms = min((e["ts_ms"] for e in sample), default=from_ms) if not complete else from_ms
    found, mined = mine(sample, since_ms, to_ms, deadline=started + 2 * BUDGET_SECONDS)
    complete = complete and mined == len(sample)
    return {
        "patterns": [p.to_json() for p in found],
        "sampled": mined,
        "complete": complete,
        "since": iso_from_ms(since_ms),
        "to": iso_from_ms(to_ms),
        "took_ms": round((time.perf_counter() - started) * 1000, 2),
    }
