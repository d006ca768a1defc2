"""GET /api/alerts: alert history, newest first; GET /api/alerts/<id>: one alert with its notifications;
POST /api/alerts/<id>/ack: acknowledge a firing alert."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from ..answer import ApiError
from ..auth.access import requires
from ..state import current_loglens
from ..store.base import ID_LIMIT
from .alert_list import alert_list
from .body import json_object

bp = Blueprint("alerts", __name__)


@bp.get("/api/alerts")
@requires("read")
def list_alerts() -> ResponseReturnValue:
    return jsonify(alert_list())  # the history's filters and silences: alert_list.py


@bp.get("/api/alerts/<int:alert_id>")
@requires("read")
def get_alert(alert_id: int) -> ResponseReturnValue:
    """The alert, and each notification of it: notifier, event, delivery status, attempts and last error."""
    store = current_loglens().store
    alert = store.alert(alert_id) if alert_id < ID_LIMIT else None
    if alert is None:
        raise ApiError(404, f"no alert with id {alert_id}")
    return jsonify({**alert.to_dict(), "notifications": [n.to_dict() for n in store.notifications(alert_id)]})


@bp.post("/api/alerts/<int:alert_id>/ack")
@requires("admin")  # a write: the read role writes nothing
def ack_alert(alert_id: int) -> ResponseReturnValue:
    """Acknowledge: the alert stays listed (dimmed on the dashboard) and notifies no one again until it resolves.

    The body is an empty JSON object: a JSON Content-Type keeps plain HTML forms of other sites from posting here.
    """
    body = json_object()
    if body:
        raise ApiError(400, f"unknown field(s): {', '.join(sorted(body))}; the body is {{}}")
    loglens = current_loglens()
    alert = loglens.store.alert(alert_id) if alert_id < ID_LIMIT else None
    if alert is None:
        raise ApiError(404, f"no alert with id {alert_id}")
    if alert.state != "firing":
        raise ApiError(409, f"alert {alert_id} is {alert.state}; only a firing alert can be acknowledged")
    acked = loglens.store.ack_alert(alert_id, int(loglens.clock() * 1000))
    if acked is None:  # it resolved in between
        raise ApiError(409, f"alert {alert_id} resolved meanwhile; only a firing alert can be acknowledged")
    return jsonify(acked.to_dict())
