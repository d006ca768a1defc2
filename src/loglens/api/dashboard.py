"""Read endpoints: the dashboard payload, time series and validation stats.

A range is either `minutes` (the last N minutes up to now) or an absolute `from` and `to` (UTC minute keys
`YYYY-MM-DDTHH:MM`, or RFC 3339 timestamps; both ends included, to the minute).
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from ..alerts.silences import MAX_OPEN, mark
from ..analytics import Span
from ..answer import ApiError
from ..auth.access import requires
from ..model import MIN_TS_MS, MINUTE_MS, TS_RANGE
from ..state import current_loglens
from .body import int_arg, str_arg

bp = Blueprint("dashboard_data", __name__)


def _minute_arg(name: str) -> int:
    raw = request.args.get(name, "")
    text = raw.strip()
    if len(text) == 16:  # a minute key, UTC
        text += ":00+00:00"
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ApiError(400, f"{name} must be a UTC minute YYYY-MM-DDTHH:MM or an RFC 3339 time, got {raw!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1000) // MINUTE_MS


def _span() -> Span:
    analytics = current_loglens().analytics
    given = [name for name in ("from", "to") if name in request.args]
    if not given:
        return analytics.last_minutes(int_arg("minutes", 30, 1, analytics.max_minutes))
    if len(given) == 1:
        raise ApiError(400, "from and to go together: give both, or minutes")
    if "minutes" in request.args:
        raise ApiError(400, "give either minutes or from and to, not both")
    first, last = _minute_arg("from"), _minute_arg("to")
    if first > last:
        raise ApiError(400, "from must not be after to")
    if first < MIN_TS_MS // MINUTE_MS:  # no entry can be there; and year 0 in UTC has no minute key
        raise ApiError(400, f"from is before any entry can be: event times are {TS_RANGE}")
    if last - first + 1 > analytics.max_minutes:
        raise ApiError(400, f"the range is longer than the retention ({analytics.max_minutes} minutes)")
    if first > analytics.now_minute():
        raise ApiError(400, "from is in the future")
    return analytics.between(first, last)


@bp.get("/api/advanced-dashboard-data")
@requires("read")
def dashboard_data() -> ResponseReturnValue:
    loglens = current_loglens()
    payload = loglens.analytics.dashboard(service=str_arg("service"), span=_span())
    now = int(loglens.clock() * 1000)  # firing alerts say which silence holds them, as in GET /api/alerts
    payload["active_alerts"] = mark(
        payload["active_alerts"], loglens.store.silence_book.find("active", now, MAX_OPEN), now
    )
    return payload


@bp.get("/api/time-series")
@requires("read")
def time_series() -> ResponseReturnValue:
    analytics = current_loglens().analytics
    return jsonify(analytics.series(_span(), str_arg("service")))


@bp.get("/api/validation-stats")
@requires("read")
def validation_stats() -> ResponseReturnValue:
    return current_loglens().store.validation_stats()
