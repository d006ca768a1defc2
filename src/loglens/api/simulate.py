"""POST /api/simulate-logs and /api/simulate-errors: generated entries through the normal ingest path."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from ..answer import ApiError
from ..auth.access import requires
from ..config import simulator_enabled
from ..state import current_loglens
from ..validation import excerpt
from .body import json_object

bp = Blueprint("simulate", __name__)


def _count(body: dict[str, Any], default: int, cap: int) -> int:
    count = body.get("count", default)
    if isinstance(count, float) and count.is_integer():  # JSON has one number type: 100.0 is the integer 100
        count = int(count)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ApiError(400, f"count must be a positive integer, got {count!r}")
    return min(count, cap)


def _body(allowed: set[str]) -> dict[str, Any]:
    """The request's JSON object. The Content-Type must say JSON even for an empty body: a cross-site form or
    simple fetch cannot send that without a CORS preflight, which this server never grants."""
    state = current_loglens()
    if not simulator_enabled(state.config):
        raise ApiError(404, "the simulator is switched off (simulator.enabled)")
    if request.mimetype != "application/json":
        raise ApiError(415, f"Content-Type must be application/json, got {request.content_type or 'none'}")
    body = json_object(allow_empty=True)
    _check_keys(body, allowed)
    return body


def _check_keys(body: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ApiError(400, f"unknown field(s): {', '.join(unknown)} (allowed: {', '.join(sorted(allowed))})")


def _run(count: int, spread: float, *, error_rate: float | None = None, service: str | None = None) -> dict[str, Any]:
    state = current_loglens()
    entries = state.simulator.batch(count, state.clock(), spread, error_rate=error_rate, service=service)
    result = state.pipeline.ingest(entries, endpoint=request.path)
    return {"status": "simulated", "requested": count, "accepted": result.accepted}


@bp.post("/api/simulate-logs")
@requires("admin")
def simulate_logs() -> ResponseReturnValue:
    body = _body({"count"})
    return _run(_count(body, 100, 1000), 300.0)


@bp.post("/api/simulate-errors")
@requires("admin")
def simulate_errors() -> ResponseReturnValue:
    body = _body({"count", "error_rate", "service"})
    count = _count(body, 50, 500)
    error_rate = body.get("error_rate", 0.8)
    if isinstance(error_rate, bool) or not isinstance(error_rate, int | float) or not 0.0 <= error_rate <= 1.0:
        raise ApiError(400, f"error_rate must be a number from 0.0 to 1.0, got {error_rate!r}")
    service = body.get("service")
    if service is not None and (not isinstance(service, str) or not 1 <= len(service) <= 200 or "\x00" in service):
        raise ApiError(
            400, f"service must be a non-empty string of at most 200 characters, without NUL; got {excerpt(service)}"
        )
    return _run(count, 120.0, error_rate=float(error_rate), service=service)
