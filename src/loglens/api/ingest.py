"""POST /api/logs: one entry, validated, durably stored before the 201.

The ordinary request is answered by `api/fast.py` before Flask sees it; this view answers the others (gzip,
errors) and every request of the Flask test client that the fast path hands on.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from ..app import current_loglens
from ..pipeline import IngestResult
from .body import parse_json, read_body

bp = Blueprint("ingest", __name__)

# The fast path found the store busy or failing: it puts the error here, and this view raises it (no retry).
STORE_ERROR_KEY = "loglens.store_error"


def answer(result: IngestResult) -> tuple[dict[str, Any], int]:
    if result.rejected:
        return {"status": "invalid", "errors": [p.message for p in result.rejected[0][1]]}, 400
    return {"status": "accepted"}, 201


@bp.post("/api/logs")
def post_log() -> ResponseReturnValue:
    data = read_body(("application/json",))
    failed = request.environ.pop(STORE_ERROR_KEY, None)
    if failed is not None:
        raise failed
    entry = parse_json(data)
    return answer(current_loglens().pipeline.ingest([entry], nbytes=len(data), endpoint="/api/logs"))
