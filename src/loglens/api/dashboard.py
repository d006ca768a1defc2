"""Read endpoints: the dashboard payload, time series and validation stats."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from ..app import current_loglens
from ..auth.access import requires
from .body import int_arg, str_arg

bp = Blueprint("dashboard_data", __name__)


def _minutes() -> int:
    analytics = current_loglens().analytics
    return int_arg("minutes", 30, 1, analytics.max_minutes)


@bp.get("/api/advanced-dashboard-data")
@requires("read")
def dashboard_data() -> ResponseReturnValue:
    analytics = current_loglens().analytics
    return analytics.dashboard(_minutes(), str_arg("service"))


@bp.get("/api/time-series")
@requires("read")
def time_series() -> ResponseReturnValue:
    analytics = current_loglens().analytics
    return jsonify(analytics.time_series(_minutes(), str_arg("service")))


@bp.get("/api/validation-stats")
@requires("read")
def validation_stats() -> ResponseReturnValue:
    return current_loglens().store.validation_stats()
