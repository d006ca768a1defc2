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
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import orjson

from ..auth.gate import PRINCIPAL_KEY, Denial
from ..pipeline import IngestResult
from ..store import StoreError
from ..web import SECURITY_HEADERS
from .ingest import STORE_ERROR_KEY, answer

if TYPE_CHECKING:
    from ..app import LogLens

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
STATUS = {201: "201 CREATED", 400: "400 BAD REQUEST"}


ROUTE = "/api/logs"
# environ: the RSGI bridge's event-loop path (`respond_async`) declined this request; the WSGI path hands it on
DECLINED_KEY = "loglens.fast_declined"
Answer = tuple[int, list[tuple[str, str]], bytes]  # status, headers, body


class FastIngest:
    def __init__(self, app: WSGIApp, state: LogLens, max_body_bytes: int) -> None:
        self.app = app
        self.state = state
        self.max_body_bytes = min(max_body_bytes, state.config.ingest.max_entry_bytes)  # Flask says 413

    def _eligible(self, environ: dict[str, Any]) -> bool:
        return (
            environ.get("PATH_INFO") == ROUTE
            and environ.get("REQUEST_METHOD") == "POST"
            and DECLINED_KEY not in environ
            and environ.get("HTTP_CONTENT_ENCODING", "identity").strip().lower() in ("", "identity")
            and environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower() == "application/json"
        )

    def _sized(self, length: str) -> bool:
        """A Content-Length this path takes (others go to Flask, which says what is wrong)."""
        return length.isascii() and length.isdigit() and 0 < int(length) <= self.max_body_bytes  # "²".isdigit()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not self._eligible(environ):
            return self.app(environ, start_response)
        try:
            decision = self.state.gate.check(environ, "ingest")  # the same gate as the Flask view's
        except StoreError:  # the key store failed: Flask's gate checks again and answers its JSON 503
            return self.app(environ, start_response)
        if isinstance(decision, Denial):
            return decision.wsgi(start_response)
        environ[PRINCIPAL_KEY] = decision  # if the request goes on to Flask, its hook takes this decision
        length = environ.get("CONTENT_LENGTH", "")
        if not self._sized(length):
            return self.app(environ, start_response)
        size = int(length)
        data = environ["wsgi.input"].read(size)
        if len(data) != size:  # the client went away mid-body: Flask's view reports what it got
            return self._to_flask(environ, start_response, data)
        try:
            entry = orjson.loads(data)
            result = self.state.pipeline.ingest([entry], nbytes=len(data), sized=True, endpoint=ROUTE)
        except orjson.JSONDecodeError:  # Flask's view answers with its 400
            return self._to_flask(environ, start_response, data)
        except StoreError as exc:  # nothing was stored; Flask's view raises it again, for its 503 handlers
            return self._to_flask(environ, start_response, data, exc)
        status, headers, payload = _answer(result)
        start_response(STATUS[status], headers)
        return [payload]

    async def respond_async(self, environ: dict[str, Any], body: bytes) -> Answer | None:
        """The same on an event loop, for the RSGI bridge, with the whole body already read: the answer, or None
        to have the request served by the WSGI app on a request thread (this path marked it declined)."""
        if not self._eligible(environ):
            return None
        started = time.perf_counter()
        try:
            decision = self.state.gate.check(environ, "ingest")
        except StoreError:  # the key store failed: Flask's gate checks again and answers its JSON 503
            return self._decline(environ)
        if isinstance(decision, Denial):
            answer = decision.parts()
        else:
            environ[PRINCIPAL_KEY] = decision
            if not 0 < len(body) <= self.max_body_bytes:
                return self._decline(environ)
            try:
                entry = orjson.loads(body)
                result = await self.state.pipeline.ingest_async([entry], nbytes=len(body), sized=True, endpoint=ROUTE)
            except orjson.JSONDecodeError:
                return self._decline(environ)
            except StoreError as exc:
                return self._decline(environ, exc)
            answer = _answer(result)
        self.state.metrics.observe_request(ROUTE, "POST", str(answer[0]), time.perf_counter() - started)
        return answer

    def _decline(self, environ: dict[str, Any], error: StoreError | None = None) -> Answer | None:
        """None: the WSGI app takes the request (and Flask's view raises `error` again, for its 503)."""
        environ[DECLINED_KEY] = True
        if error is not None:
            environ[STORE_ERROR_KEY] = error
        return None

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


def _answer(result: IngestResult) -> Answer:
    body, status = answer(result)
    payload = orjson.dumps(body) + b"\n"
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(payload))), *SECURITY_HEADERS]
    return status, headers, payload
