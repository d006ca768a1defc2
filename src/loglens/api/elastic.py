"""Elasticsearch's bulk API under /elasticsearch/, answered in Elasticsearch's shapes, for the shippers that speak it
(Filebeat, Logstash, Fluent Bit, Vector, rsyslog's omelasticsearch, syslog-ng, the official clients).

POST (or PUT) /elasticsearch/_bulk and /elasticsearch/{index}/_bulk take NDJSON (gzip allowed); documents are
mapped as ingest/elastic.py says, validated and stored like any bulk entry. The answer is 200 with `took`,
`errors` and one `items` entry per action in order: 201 for a stored document, 400 with `error.type` and
`error.reason` for a refused one, so a shipper retries only what failed (nothing here succeeds on a retry but a
whole request refused with 503). Whole-request errors are Elasticsearch's `{"error": {...}, "status": N}`: 400 for
a body that cannot be read, 413 past server.max_body_bytes or ingest.max_batch_entries, 415 for another
Content-Type, 503 with Retry-After when the store's writer is saturated or failing.

What shippers ask before they send is answered too (every response carries `X-Elastic-Product: Elasticsearch`,
which the 8.x clients require): the version at the base path (GET and HEAD), `_license`, `_xpack`,
`_cluster/health`, `_nodes`, and index templates, legacy templates, ILM policies and ingest pipelines, which
exist as far as a shipper can tell (GET/HEAD 200, PUT acknowledged) and change nothing.
"""

from __future__ import annotations

import time

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from ..auth.access import requires
from ..ingest.elastic import BulkBatch, ElasticMapping, bulk_answer, decode_bulk
from ..state import current_loglens
from ..store import StoreBusy, StoreError
from ..validation import DEFAULT_ENTRY_BYTES
from . import elastic_probes
from .body import read_body
from .bulk import decode
from .errors import own_error_shape

bp = Blueprint("elasticsearch", __name__, url_prefix="/elasticsearch")

BULK_TYPES = (
    "application/x-ndjson",
    "application/json",
    "application/vnd.elasticsearch+x-ndjson",
    "application/vnd.elasticsearch+json",
)
ERROR_TYPES = {400: "illegal_argument_exception", 413: "content_too_long_exception", 415: "media_type_header_exception"}


class BulkFormat:
    """ingest/elastic.py's decoder for one request's path index, as an IngestFormat for api/bulk.py's `decode`."""

    content_types: tuple[str, ...] = BULK_TYPES

    def __init__(self, index: str, mapping: ElasticMapping) -> None:
        self.index = index
        self.mapping = mapping

    def decode(
        self, data: bytes, *, max_entries: int, received_ns: int, max_entry_bytes: int = DEFAULT_ENTRY_BYTES
    ) -> BulkBatch:
        return decode_bulk(
            data,
            index=self.index,
            mapping=self.mapping,
            max_entries=max_entries,
            max_entry_bytes=max_entry_bytes,
            received_ns=received_ns,
        )


@bp.route("/_bulk", methods=["POST", "PUT"])
@bp.route("/<index>/_bulk", methods=["POST", "PUT"])
@requires("ingest")
def bulk(index: str = "") -> ResponseReturnValue:
    started = time.perf_counter()
    data = read_body(BULK_TYPES)
    state = current_loglens()
    batch = decode(BulkFormat(index, ElasticMapping.from_settings(state.config.ingest)), data, state)
    assert isinstance(batch, BulkBatch)
    endpoint = request.url_rule.rule if request.url_rule is not None else request.path
    result = state.pipeline.ingest(batch.items, nbytes=len(data), sized=batch.sized, endpoint=endpoint)
    rejected = {item: "; ".join(p.message for p in problems) for item, problems in result.rejected}
    body = bulk_answer(batch, rejected, int((time.perf_counter() - started) * 1000))
    return Response(body, 200, content_type="application/json")


bp.register_blueprint(elastic_probes.bp)


@bp.after_request
def _product(response: Response) -> Response:
    """The 8.x clients refuse any answer without it (an "unsupported product" error)."""
    response.headers["X-Elastic-Product"] = "Elasticsearch"
    return response


def es_error(status: int, reason: str, kind: str | None = None) -> Response:
    kind = kind or ERROR_TYPES.get(status, "exception")
    response = jsonify(
        {"error": {"root_cause": [{"type": kind, "reason": reason}], "type": kind, "reason": reason}, "status": status}
    )
    response.status_code = status
    return response


def _es_answer(status: int, reason: str, store_error: StoreError | None) -> Response:
    if store_error is None:
        return es_error(status, reason)
    kind = "es_rejected_execution_exception" if isinstance(store_error, StoreBusy) else "unavailable_shards_exception"
    return es_error(status, reason, kind)


own_error_shape(bp, _es_answer)


@bp.errorhandler(HTTPException)
def _http(exc: HTTPException) -> ResponseReturnValue:
    return es_error(exc.code or 500, exc.description or exc.name)
