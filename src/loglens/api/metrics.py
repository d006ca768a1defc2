"""GET /metrics: the app's self-metrics in Prometheus text format (see loglens/metrics.py)."""

from __future__ import annotations

from flask import Blueprint, Response
from flask.typing import ResponseReturnValue
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ..auth.access import requires
from ..state import current_loglens

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
@requires("read")
def metrics() -> ResponseReturnValue:
    return Response(generate_latest(current_loglens().metrics.registry), content_type=CONTENT_TYPE_LATEST)
