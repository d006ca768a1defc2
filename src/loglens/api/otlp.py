"""POST /v1/logs: OTLP/HTTP logs receiver (binary protobuf and JSON, optionally gzip), per the OTLP specification.

Success is 200 with an ExportLogsServiceResponse in the request's encoding; when some records were rejected
by validation it carries partialSuccess (rejectedLogRecords, errorMessage) and the client must not retry.
Failures carry a google.rpc.Status in the request's encoding: 400 for a body that cannot be decoded, 413 past
server.max_body_bytes or ingest.max_batch_entries, 415 for another Content-Type, and 503 with Retry-After when
the store's writer is saturated (OTLP clients retry 429/502/503/504).
"""

from __future__ import annotations

import orjson
from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse

from ..answer import ApiError
from ..auth.access import requires
from ..ingest import by_content_type
from ..ingest.otlp_json import OTLP_JSON
from ..ingest.otlp_protobuf import OTLP_PROTOBUF, PROTOBUF_TYPE
from ..state import current_loglens
from ..store import StoreError
from .body import read_body
from .bulk import decode, rejected_summary
from .errors import own_error_shape

bp = Blueprint("otlp", __name__)
OTLP_NOTE = " (records counted from 0 in request order)"

FORMATS = by_content_type([OTLP_PROTOBUF, OTLP_JSON])
# google.rpc.Code for the HTTP statuses we answer with (the spec lets clients ignore it; it helps debugging)
GRPC_CODES = {400: 3, 413: 8, 415: 3, 503: 14}


@bp.post("/v1/logs")
@requires("ingest")
def export_logs() -> ResponseReturnValue:
    if request.mimetype not in FORMATS:
        raise ApiError(415, f"Content-Type must be {' or '.join(FORMATS)}, got {request.content_type or 'none'}")
    data = read_body(tuple(FORMATS), allow_empty=True)
    state = current_loglens()
    batch = decode(FORMATS[request.mimetype], data, state)
    result = state.pipeline.ingest(batch.items, nbytes=len(data), sized=batch.sized, endpoint=request.path)
    rejected = len(result.rejected)
    message = rejected_summary(result, batch, "record", "log records", OTLP_NOTE) if rejected else ""
    if request.mimetype == PROTOBUF_TYPE:
        response = ExportLogsServiceResponse()
        if rejected:
            response.partial_success.rejected_log_records = rejected
            response.partial_success.error_message = message
        return Response(response.SerializeToString(), 200, content_type=PROTOBUF_TYPE)
    body = {"partialSuccess": {"rejectedLogRecords": rejected, "errorMessage": message}} if rejected else {}
    return Response(orjson.dumps(body), 200, content_type="application/json")


def _status(status: int, message: str, store_error: StoreError | None = None) -> Response:
    """A google.rpc.Status body (code, message) in the request's encoding."""
    code = GRPC_CODES.get(status, 2)
    if request.mimetype == PROTOBUF_TYPE:
        text = message.encode()
        body = b"\x08" + _varint(code) + b"\x12" + _varint(len(text)) + text
        return Response(body, status, content_type=PROTOBUF_TYPE)
    return Response(orjson.dumps({"code": code, "message": message}), status, content_type="application/json")


own_error_shape(bp, _status)


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)
