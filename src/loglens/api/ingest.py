"""POST /api/logs: one entry, validated, durably stored before the 201."""

from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue

from ..app import current_loglens
from .body import parse_json, read_body

bp = Blueprint("ingest", __name__)


@bp.post("/api/logs")
def post_log() -> ResponseReturnValue:
    data = read_body(("application/json",))
    entry = parse_json(data)
    result = current_loglens().pipeline.ingest([entry], nbytes=len(data))
    if result.rejected:
        return {"status": "invalid", "errors": [p.message for p in result.rejected[0][1]]}, 400
    return {"status": "accepted"}, 201
