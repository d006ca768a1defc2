"""POST /api/logs: one entry, validated, durably stored before the 201.

The ordinary request is answered by `api/fast.py` before Flask sees it; this view answers the others (gzip,
errors) and every request of the Flask test client that the fast path hands on. Every 400 of this route has the
seed spec's shape, {"status": "invalid", "errors": [...]}, whether the body is not JSON, empty, or not a valid
entry; a body over ingest.max_entry_bytes is a 413.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import BadRequest

from ..app import current_loglens
from ..auth.access import requires
from ..pipeline import IngestResult
from ..validation import Limits
from .body import parse_json, read_body
from .errors import ApiError, error_response

bp = Blueprint("ingest", __name__)

# The fast path found the store busy or failing: it puts the error here, and this view raises it (no retry).
STORE_ERROR_KEY = "loglens.store_error"


def answer(result: IngestResult) -> tuple[dict[str, Any], int]:
    if result.rejected:
        return {"status": "invalid", "errors": [p.message for p in result.rejected[0][1]]}, 400
    return {"status": "accepted"}, 201


@bp.post("/api/logs")
@requires("ingest")
def post_log() -> ResponseReturnValue:
    data = read_body(("application/json",))
    failed = request.environ.pop(STORE_ERROR_KEY, None)
    if failed is not None:
        raise failed
    state = current_loglens()
    limits = Limits.from_config(state.config)
    if len(data) > limits.max_entry_bytes:  # before parsing: a single POST's body is its entry
        raise ApiError(413, limits.entry_too_large(len(data)))
    entry = parse_json(data)
    return answer(state.pipeline.ingest([entry], nbytes=len(data), sized=True, endpoint="/api/logs"))


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> ResponseReturnValue:
    if exc.status == 400:
        return {"status": "invalid", "errors": [exc.message]}, 400
    return error_response(exc.status, exc.message, **exc.extra)


@bp.errorhandler(BadRequest)  # werkzeug's own 400s (e.g. a client that went away mid-body)
def _bad_request(exc: BadRequest) -> ResponseReturnValue:
    return {"status": "invalid", "errors": [exc.description or "bad request"]}, 400
