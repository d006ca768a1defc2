"""POST /api/logs/bulk: many entries per request (NDJSON or a JSON array), reported like Elasticsearch's _bulk.

200 {"accepted": N, "rejected": M, "errors": [{"line": 3, "errors": ["..."]}, ...], "errors_truncated": K}
Valid entries are stored (durably, before the answer) and invalid ones reported; the request itself fails only
when the body is unreadable as a whole (400), too large (413: server.max_body_bytes, before and after gzip, or
ingest.max_batch_entries) or of the wrong type (415). NDJSON errors name the 1-based line ("line"), JSON-array
errors the 0-based position ("index"). At most MAX_REPORTED_ERRORS entries are listed; the rest are counted in
errors_truncated.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from ..answer import ApiError
from ..auth.access import requires
from ..ingest import Batch, DecodeError, IngestFormat, TooManyEntries, by_content_type
from ..ingest.bulk import JSON, NDJSON
from ..pipeline import IngestResult
from ..state import LogLens, current_loglens
from .body import read_body

bp = Blueprint("bulk", __name__)

MAX_REPORTED_ERRORS = 100
FORMATS = by_content_type([NDJSON, JSON])


def decode(fmt: IngestFormat, data: bytes, state: LogLens) -> Batch:
    """Decode a body with `fmt` under the configured limits; ApiError 400 / 413 when it cannot be read."""
    try:
        return fmt.decode(
            data,
            max_entries=state.config.ingest.max_batch_entries,
            received_ns=int(state.clock() * 1_000_000_000),
            max_entry_bytes=state.config.ingest.max_entry_bytes,
        )
    except TooManyEntries as exc:
        raise ApiError(413, str(exc)) from None
    except DecodeError as exc:
        raise ApiError(400, str(exc)) from None


def bulk_report(result: IngestResult, batch: Batch) -> dict[str, Any]:
    errors = [
        {batch.label: batch.position(index), "errors": [p.message for p in problems]}
        for index, problems in result.rejected[:MAX_REPORTED_ERRORS]
    ]
    return {
        "accepted": result.accepted,
        "rejected": len(result.rejected),
        "errors": errors,
        "errors_truncated": max(0, len(result.rejected) - MAX_REPORTED_ERRORS),
    }


@bp.post("/api/logs/bulk")
@requires("ingest")
def post_bulk() -> ResponseReturnValue:
    data = read_body(tuple(FORMATS))
    state = current_loglens()
    batch = decode(FORMATS[request.mimetype], data, state)
    result = state.pipeline.ingest(batch.items, nbytes=len(data), sized=batch.sized, endpoint=request.path)
    return bulk_report(result, batch), 200


MAX_LISTED_PROBLEMS = 5  # rejected entries a protocol's one-line answer names


def rejected_summary(result: IngestResult, batch: Batch, one: str, many: str, note: str) -> str:
    """One line for a protocol whose answer has room for text only (Loki, OTLP): how many were rejected (`many`),
    `note` (e.g. how positions are counted), then the first few (each `one` N) with their problems."""
    shown = "; ".join(
        f"{one} {batch.position(index)}: {', '.join(p.message for p in problems)}"
        for index, problems in result.rejected[:MAX_LISTED_PROBLEMS]
    )
    more = len(result.rejected) - MAX_LISTED_PROBLEMS
    suffix = f"; and {more} more" if more > 0 else ""
    return f"{len(result.rejected)} of {len(batch.items)} {many} rejected{note}: {shown}{suffix}"
