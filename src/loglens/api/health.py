from __future__ import annotations

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from ..app import current_loglens
from ..auth.access import requires
from ..auth.gate import Principal

bp = Blueprint("health", __name__)


@bp.get("/health")
@requires("public")
def health() -> ResponseReturnValue:
    """Open to all; with auth on, the counts go only to a caller whose key may read (others learn the status)."""
    state = current_loglens()
    if state.gate.enabled and not isinstance(state.gate.check(request.environ, "read"), Principal):
        return {"status": "healthy"}
    totals = state.store.totals()
    return {"status": "healthy", "total_logs": totals.total_logs, "current_stored": totals.stored}
