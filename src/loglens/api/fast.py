"""POST /api/logs without Flask's request machinery, for the ordinary request; Flask answers every other one.

A single-entry POST is the busiest request a log server gets, and Flask's request context, routing, response
object and JSON provider cost more GIL time than decoding, validating and storing the entry (measured with
py-spy --gil under 8 connections: 56% of GIL samples were Flask's). So the ordinary request (`ordinary`: a POST
of an identity-encoded `application/json` body whose Content-Length is within server.max_body_bytes and
ingest.max_entry_bytes) goes straight to the ingest door, `api.ingest.answer`, which the Flask view calls too:
from a WSGI middleware (`FastIngest`), or on the RSGI bridge's event loop (`LoopIngest`, serving/rsgi.py), which
awaits the commit there. Any other request (another route, gzip, chunked, an oversized body) goes to Flask, whose
view says what is wrong with it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any

from ..answer import Answer
from ..metrics import RequestTimer
from ..state import LogLens
from .body import media_type, read_declared
from .ingest import ROUTE, IngestRequest, answer, answer_now

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def size_limit(state: LogLens) -> int:
    """The largest body the door takes without Flask (Flask's view says 413 above it)."""
    limit: int = min(state.config.server.max_body_bytes, state.validator.limits.max_entry_bytes)
    return limit


def ordinary(environ: Mapping[str, Any], limit: int) -> bool:
    """Whether a request is an ordinary single-entry POST that the ingest door takes without Flask."""
    length = environ.get("CONTENT_LENGTH", "")
    return (
        environ.get("PATH_INFO") == ROUTE
        and environ.get("REQUEST_METHOD") == "POST"
        and environ.get("HTTP_CONTENT_ENCODING", "identity").strip().lower() in ("", "identity")
        and media_type(environ) == "application/json"
        and length.isascii()  # "²".isdigit()
        and length.isdigit()
        and 0 < int(length) <= limit
    )


class FastIngest:
    """WSGI middleware: the ordinary POST /api/logs to the ingest door, every other request to `app` (Flask)."""

    def __init__(self, app: WSGIApp, state: LogLens) -> None:
        self.app = app
        self.state = state
        self.limit = size_limit(state)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not ordinary(environ, self.limit):
            return self.app(environ, start_response)
        body = partial(read_declared, environ["wsgi.input"].read, int(environ["CONTENT_LENGTH"]))
        return answer_now(self.state, IngestRequest(environ, body)).wsgi(start_response)


class LoopIngest:
    """The same on the RSGI bridge's event loop, with the whole body already read; timed as RequestTimer times
    every request on the WSGI app."""

    def __init__(self, state: LogLens, timer: RequestTimer) -> None:
        self.state = state
        self.timer = timer
        self.limit = size_limit(state)

    async def respond_async(self, environ: dict[str, Any], body: bytes) -> Answer | None:
        """The answer, or None for a request that is not ordinary: the WSGI app serves it on a request thread."""
        if not ordinary(environ, self.limit):
            return None
        started = time.perf_counter()
        reply = await answer(self.state, IngestRequest(environ, lambda: body, on_loop=True))
        self.timer.record(environ, str(reply.status), started)
        return reply
