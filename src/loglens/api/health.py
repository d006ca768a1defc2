"""GET /health: 200 while the store takes writes, 503 while it is failing (full disk, I/O error, damaged file)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from ..auth.access import requires
from ..auth.gate import Principal
from ..model import iso_from_ms
from ..state import current_loglens
from ..store import StoreError

bp = Blueprint("health", __name__)


@bp.get("/health")
@requires("public")
def health() -> ResponseReturnValue:
    """Open to all; with auth on, the counts and the store's error go only to a caller whose key may read (others
    learn the status alone)."""
    state = current_loglens()
    store = state.store
    status = store.health()  # while failing, this probes the store with a small write (rate-limited)
    code = 200 if status.ok else 503
    body: dict[str, Any] = {"status": "healthy" if status.ok else "unhealthy"}
    if state.gate.enabled and not isinstance(state.gate.check(request.environ, "read"), Principal):
        return body, code
    try:
        totals = store.totals()
        body["total_logs"], body["current_stored"] = totals.total_logs, totals.stored
    except StoreError as exc:  # a store that cannot even be read is failing too
        if status.ok:
            body["status"] = "unhealthy"
            body["store"] = {"status": "failing", "error": str(exc)}
            return body, 503
    if status.ok:
        return body
    body["store"] = {
        "status": "failing",
        "error": status.error,
        "since": iso_from_ms(status.failing_since_ms) if status.failing_since_ms is not None else None,
    }
    return body, 503
