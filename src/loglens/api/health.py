"""GET /health: 200 while the store takes writes, 503 while it is failing (full disk, I/O error, damaged file) or
has not answered for a while. Served from the store probe's reading (health_probe.py): it answers at once even
while the store is busy with a slow query."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from ..auth.access import requires
from ..auth.gate import Principal
from ..health_probe import Silence
from ..model import iso_from_ms
from ..state import current_loglens

bp = Blueprint("health", __name__)


@bp.get("/health")
@requires("public")
def health() -> ResponseReturnValue:
    """Open to all; with auth on, the counts and the store's error go only to a caller whose key may read (others
    learn the status alone)."""
    state = current_loglens()
    reading = state.health_probe.read()
    error: str | None
    since_ms: int | None
    if isinstance(reading, Silence):
        error, since_ms = reading.error, reading.since_ms
    elif reading.health.error is not None:
        error, since_ms = reading.health.error, reading.health.failing_since_ms
    else:  # a store that cannot even be read is failing too
        error, since_ms = reading.read_error, None
    code = 200 if error is None else 503
    body: dict[str, Any] = {"status": "healthy" if error is None else "unhealthy"}
    if state.gate.enabled and not isinstance(state.gate.check(request.environ, "read"), Principal):
        return body, code
    if not isinstance(reading, Silence) and reading.totals is not None:
        body["total_logs"], body["current_stored"] = reading.totals.total_logs, reading.totals.stored
    if error is not None:
        body["store"] = {
            "status": "failing",
            "error": error,
            "since": iso_from_ms(since_ms) if since_ms is not None else None,
        }
    return body, code
