from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue

from ..app import current_loglens
from ..auth.access import requires

bp = Blueprint("health", __name__)


@bp.get("/health")
@requires("public")
def health() -> ResponseReturnValue:
    totals = current_loglens().store.totals()
    return {"status": "healthy", "total_logs": totals.total_logs, "current_stored": totals.stored}
