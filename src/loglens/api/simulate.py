"""POST /api/simulate-logs and /api/simulate-errors: generated entries through the normal ingest path."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from ..app import current_loglens
from .body import json_object
from .errors import ApiError

bp = Blueprint("simulate", __name__)


def _count(body: dict[str, Any], default: int, cap: int) -> int:
    count = body.get("count", default)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ApiError(400, f"count must be a positive integer, got {count!r}")
    return min(count, cap)


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
def simulate_logs() -> ResponseReturnValue:
    body = json_object(allow_empty=True)
    _check_keys(body, {"count"})
    return _run(_count(body, 100, 1000), 300.0)


@bp.post("/api/simulate-errors")
def simulate_errors() -> ResponseReturnValue:
    body = json_object(allow_empty=True)
    _check_keys(body, {"count", "error_rate", "service"})
    count = _count(body, 50, 500)
    error_rate = body.get("error_rate", 0.8)
    if isinstance(error_rate, bool) or not isinstance(error_rate, int | float) or not 0.0 <= error_rate <= 1.0:
        raise ApiError(400, f"error_rate must be a number from 0.0 to 1.0, got {error_rate!r}")
    service = body.get("service")
    if service is not None and (not isinstance(service, str) or not 1 <= len(service) <= 200):
        raise ApiError(400, f"service must be a non-empty string of at most 200 characters, got {service!r}")
    return _run(count, 120.0, error_rate=float(error_rate), service=service)
