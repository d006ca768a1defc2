"""POST /api/logs: one entry, validated, durably stored before the 201. `answer` is the one function that answers it.

Three ways lead here, and each hands the request to `answer`: the Flask view below; the WSGI middleware in
api/fast.py, which takes the ordinary request (an identity-encoded `application/json` body with a Content-Length)
before Flask's request machinery; and the RSGI bridge's event loop (api/fast.py `LoopIngest`), which awaits the
commit there instead of blocking a thread. Every 400 of this route has the seed spec's shape,
{"status": "invalid", "errors": [...]}, whether the body is not JSON, empty, or not a valid entry; a body over
ingest.max_entry_bytes is a 413; a store error is a 503 (answer.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from flask import Blueprint
from flask import request as flask_request  # `request` here is the IngestRequest
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import BadRequest

from ..answer import Answer, ApiError, json_answer, store_failure
from ..auth.access import requires
from ..auth.gate import Denial, Principal, current_principal
from ..state import LogLens, current_loglens
from ..store import StoreError
from .body import decode_body, parse_json, raw_body
from .errors import respond

bp = Blueprint("ingest", __name__)

ROUTE = "/api/logs"
JSON_TYPES = ("application/json",)
ACCEPTED = {"status": "accepted"}


class IngestRequest(NamedTuple):  # a NamedTuple: built per request, it costs a third of a frozen dataclass
    """What answering POST /api/logs needs of a request, whichever way it came."""

    environ: Mapping[str, Any]  # read only: the gate reads the Host, key and cookie headers; the body its type
    read_body: Callable[[], bytes]  # the body as sent, all of it; ApiError when it cannot be read
    principal: Principal | None = None  # decided already (Flask's gate hook); None: `answer` asks the gate
    on_loop: bool = False  # on an event loop: the commit is awaited there; else this thread waits for it


async def answer(state: LogLens, request: IngestRequest) -> Answer:
    """Gate, read, check, parse, store and answer. It awaits only when `request.on_loop`; `answer_now` runs it on a
    request thread."""
    if request.principal is None:
        try:
            decision = state.gate.check(request.environ, "ingest")
        except StoreError as exc:  # the key store failed
            return store_failure(exc, f"POST {ROUTE}").answer()
        if isinstance(decision, Denial):
            return decision.answer()
    try:
        data = decode_body(request.read_body(), request.environ, JSON_TYPES, state.config.server.max_body_bytes)
        if len(data) > state.validator.limits.max_entry_bytes:  # before parsing: a single POST's body is its entry
            raise ApiError(413, state.validator.limits.entry_too_large(len(data)))
        items = [parse_json(data)]
        if request.on_loop:
            result = await state.pipeline.ingest_async(items, nbytes=len(data), sized=True, endpoint=ROUTE)
        else:
            result = state.pipeline.ingest(items, nbytes=len(data), sized=True, endpoint=ROUTE)
    except ApiError as exc:
        return refused(exc)
    except StoreError as exc:  # nothing was stored
        return store_failure(exc, f"POST {ROUTE}").answer()
    if result.rejected:
        return json_answer(400, {"status": "invalid", "errors": [p.message for p in result.rejected[0][1]]})
    return json_answer(201, ACCEPTED)


def answer_now(state: LogLens, request: IngestRequest) -> Answer:
    """`answer` on this thread: off an event loop it never awaits, so it runs to its end at once."""
    steps = answer(state, request)
    try:
        steps.send(None)
    except StopIteration as done:
        reply: Answer = done.value
        return reply
    steps.close()
    raise RuntimeError("the ingest answer awaited off an event loop (on_loop was False)")


def refused(exc: ApiError) -> Answer:
    """An error of this route: a 400 in the seed spec's shape, others as every error."""
    if exc.status == 400:
        return json_answer(400, {"status": "invalid", "errors": [exc.message]})
    return exc.answer()


def _flask_body() -> bytes:
    try:
        return raw_body()
    except BadRequest as exc:  # werkzeug's own 400s (e.g. a client that went away mid-body)
        raise ApiError(400, exc.description or "bad request") from None


@bp.post(ROUTE)
@requires("ingest")
def post_log() -> ResponseReturnValue:
    """The requests api/fast.py leaves to Flask (gzip, chunked, another Content-Type, a body over the limits)."""
    state = current_loglens()
    return respond(answer_now(state, IngestRequest(flask_request.environ, _flask_body, current_principal())))


@bp.errorhandler(ApiError)  # raised before the view: the one-value-per-parameter check (api/__init__.py)
def _api_error(exc: ApiError) -> ResponseReturnValue:
    return respond(refused(exc))
