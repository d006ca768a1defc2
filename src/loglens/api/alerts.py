"""GET /api/alerts: alert history, newest first."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from ..app import current_loglens
from ..auth.access import requires
from .body import choice_arg, int_arg

bp = Blueprint("alerts", __name__)


@bp.get("/api/alerts")
@requires("read")
def list_alerts() -> ResponseReturnValue:
    state = choice_arg("state", "all", ("firing", "resolved", "all"))
    limit = int_arg("limit", 100, 1, 1000)
    alerts = current_loglens().store.alerts(state, limit)
    return jsonify([a.to_dict() for a in alerts])
