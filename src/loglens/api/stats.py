"""GET /api/stats: a query with an aggregating stage (`| stats`, `| timechart`, `| top`) answered over a range.

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
from typing import Any

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue

from ..app import current_loglens
from ..auth.access import requires
from ..model import MINUTE_MS, iso_from_ms
from ..search.params import parse_time
from ..search.pipeline import Pipeline, parse_pipeline
from ..search.query import QueryError
from ..search.stats import Answer, StatsError, answer
from .body import choice_arg
from .errors import ApiError

bp = Blueprint("stats", __name__)
DEFAULT_RANGE = "1h"


def _pipeline() -> Pipeline:
    text = request.args.get("q", "")
    try:
        pipeline = parse_pipeline(text)
    except QueryError as exc:
        raise ApiError(400, str(exc), parameter="q", column=exc.column) from None
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


@bp.get("/api/stats")
@requires("read")
def stats() -> ResponseReturnValue:
    started = time.perf_counter()
    state = current_loglens()
    now_ms = int(state.clock() * 1000)
    pipeline = _pipeline()
    to_ms = _time("to", "0s", now_ms)
    if request.args.get("from", DEFAULT_RANGE).strip() == "":  # the whole store: from its first stored minute
        stored = state.store.minute_range()
        from_ms = min(stored[0] * MINUTE_MS, to_ms - 1) if stored is not None else to_ms - 3_600_000
    else:
        from_ms = _time("from", DEFAULT_RANGE, now_ms)
    if from_ms >= to_ms:
        raise ApiError(400, "from must be earlier than to", parameter="from")
    fmt = choice_arg("format", "json", ("json", "csv"))
    try:
        result = answer(
            state.store, pipeline, from_ms, to_ms, max_buckets=int(state.config["analytics"]["max_buckets"])
        )
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
