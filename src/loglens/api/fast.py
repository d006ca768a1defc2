"""POST /api/logs without Flask's request machinery, for the ordinary request; Flask answers every other one.

A single-entry POST is the busiest request a log server gets, and Flask's request context, routing, response
object and JSON provider cost more GIL time than decoding, validating and storing the entry (measured with
py-spy --gil under 8 connections: 56% of GIL samples were Flask's). This WSGI middleware handles the common
case itself: a POST of an identity-encoded `application/json` body with a Content-Length within
server.max_body_bytes and ingest.max_entry_bytes that parses as JSON. Anything else (another route, gzip,
chunked, an oversized or malformed body, a busy or failing store) goes to the Flask view `api/ingest.py` with
the body put back, so every error keeps its one definition there (a store error is handed over, not retried).
Both paths build their answers with `ingest.answer`.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import orjson

from ..auth.gate import PRINCIPAL_KEY, Denial
from ..store import StoreError
from ..web import SECURITY_HEADERS
from .ingest import STORE_ERROR_KEY, answer

if TYPE_CHECKING:
    from ..app import LogLens

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
STATUS = {201: "201 CREATED", 400: "400 BAD REQUEST"}


class FastIngest:
    def __init__(self, app: WSGIApp, state: LogLens, max_body_bytes: int) -> None:
        self.app = app
        self.state = state
        self.max_body_bytes = min(max_body_bytes, state.config["ingest"]["max_entry_bytes"])  # Flask says 413

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if (
            environ.get("PATH_INFO") != "/api/logs"
            or environ.get("REQUEST_METHOD") != "POST"
            or environ.get("HTTP_CONTENT_ENCODING", "identity").strip().lower() not in ("", "identity")
            or environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower() != "application/json"
        ):
            return self.app(environ, start_response)
        decision = self.state.gate.check(environ, "ingest")  # the same gate as the Flask view's
        if isinstance(decision, Denial):
            return decision.wsgi(start_response)
        environ[PRINCIPAL_KEY] = decision  # if the request goes on to Flask, its hook takes this decision
        length = environ.get("CONTENT_LENGTH", "")
        if not (length.isascii() and length.isdigit()) or not 0 < int(length) <= self.max_body_bytes:
            return self.app(environ, start_response)  # ("²".isdigit() is true: hence isascii)
        size = int(length)
        data = environ["wsgi.input"].read(size)
        if len(data) != size:  # the client went away mid-body: Flask's view reports what it got
            return self._to_flask(environ, start_response, data)
        try:
            entry = orjson.loads(data)
            result = self.state.pipeline.ingest([entry], nbytes=len(data), sized=True, endpoint="/api/logs")
        except orjson.JSONDecodeError:  # Flask's view answers with its 400
            return self._to_flask(environ, start_response, data)
        except StoreError as exc:  # nothing was stored; Flask's view raises it again, for its 503 handlers
            return self._to_flask(environ, start_response, data, exc)
        body, status = answer(result)
        payload = orjson.dumps(body) + b"\n"
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(payload))), *SECURITY_HEADERS]
        start_response(STATUS[status], headers)
        return [payload]

    def _to_flask(
        self,
        environ: dict[str, Any],
        start_response: Callable[..., Any],
        data: bytes,
        error: StoreError | None = None,
    ) -> Iterable[bytes]:
        """Hand a request whose body was already read to the Flask view, with the body put back."""
        environ["wsgi.input"] = io.BytesIO(data)
        if error is not None:
            environ[STORE_ERROR_KEY] = error
        return self.app(environ, start_response)
