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
from ..ingest import DecodeError, TooManyEntries
from ..ingest.loki import LokiMapping, decode_json
from ..ingest.loki_protobuf import PROTOBUF_TYPE, TooLarge, decode_protobuf, unsnappy
from ..state import current_loglens
from ..store import StoreError
from .body import read_body
from .bulk import rejected_summary
from .errors import own_error_shape

bp = Blueprint("loki", __name__)
LOKI_NOTE = ", the others stored (entries counted from 0 across streams in request order)"

ROUTE = "/loki/api/v1/push"
JSON_TYPE = "application/json"


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
        return _text(
            400,
            rejected_summary(result, batch, "entry", "entries", LOKI_NOTE),
        )
    stored = Response(status=204)
    del stored.headers["Content-Type"]  # no body, so no type
    return stored


def _text(status: int, message: str, store_error: StoreError | None = None) -> Response:
    return Response(message + "\n", status, content_type="text/plain; charset=utf-8")


own_error_shape(bp, _text)
