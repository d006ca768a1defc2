"""POST /loki/api/v1/push: Loki's push API (JSON, optionally gzip; protobuf with snappy), answered as Loki does.

204 when every line was stored. Errors are plain text, as Loki sends them: 400 for a body that cannot be read,
and also when some lines were rejected (the others are stored: a shipper must not send them again, and Promtail,
Alloy and the Docker driver do not retry a 400); 413 past server.max_body_bytes (before and after decompression)
or ingest.max_batch_entries; 415 for another Content-Type; 503 with Retry-After when the store's writer is
saturated or failing (shippers retry it). Lines are mapped as ingest/loki.py says.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from flask.typing import ResponseReturnValue

from ..answer import ApiError
from ..auth.access import requires
from ..ingest import Batch, DecodeError, TooManyEntries
from ..ingest.loki import LokiMapping, decode_json
from ..ingest.loki_protobuf import PROTOBUF_TYPE, TooLarge, decode_protobuf, unsnappy
from ..pipeline import IngestResult
from ..state import current_loglens
from ..store import StoreError
from .body import read_body
from .errors import own_error_shape

bp = Blueprint("loki", __name__)

ROUTE = "/loki/api/v1/push"
JSON_TYPE = "application/json"
MAX_LISTED_PROBLEMS = 5


@bp.post(ROUTE)
@requires("ingest")
def push() -> ResponseReturnValue:
    data = read_body((JSON_TYPE, PROTOBUF_TYPE))
    state = current_loglens()
    mapping = LokiMapping.from_settings(state.config.ingest)
    max_entries = state.config.ingest.max_batch_entries
    max_entry_bytes = state.config.ingest.max_entry_bytes
    try:
        if request.mimetype == PROTOBUF_TYPE:
            data = unsnappy(data, current_app.config["MAX_CONTENT_LENGTH"])
            batch = decode_protobuf(data, mapping, max_entries, max_entry_bytes)
        else:
            batch = decode_json(data, mapping, max_entries, max_entry_bytes)
    except (TooManyEntries, TooLarge) as exc:
        raise ApiError(413, str(exc)) from None
    except DecodeError as exc:
        raise ApiError(400, str(exc)) from None
    result = state.pipeline.ingest(batch.items, nbytes=len(data), sized=batch.sized, endpoint=ROUTE)
    if result.rejected:
        return _text(400, _rejected_message(result, batch))
    stored = Response(status=204)
    del stored.headers["Content-Type"]  # no body, so no type
    return stored


def _rejected_message(result: IngestResult, batch: Batch) -> str:
    shown = "; ".join(
        f"entry {batch.position(index)}: {', '.join(p.message for p in problems)}"
        for index, problems in result.rejected[:MAX_LISTED_PROBLEMS]
    )
    more = len(result.rejected) - MAX_LISTED_PROBLEMS
    suffix = f"; and {more} more" if more > 0 else ""
    return (
        f"{len(result.rejected)} of {len(batch.items)} entries rejected, the others stored"
        f" (entries counted from 0 across streams in request order): {shown}{suffix}"
    )


def _text(status: int, message: str, store_error: StoreError | None = None) -> Response:
    return Response(message + "\n", status, content_type="text/plain; charset=utf-8")


own_error_shape(bp, _text)
