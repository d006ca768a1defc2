"""Every answer the server writes itself, and the headers every answer carries.

An `Answer` is (status, headers, body): the ingest door (api/ingest.py) returns one, the gate's refusals and the
connection layer's are rendered as one, and Flask's error handlers turn one into a Response. Errors have one
shape, {"status": "error", "error": message, ...}, written here (`ApiError`, `error`); so are the 413 message
(`too_large`) and what a store error answers (`store_failure`: 503, with Retry-After when a retry can help).
The security headers are attached here too: built into every Answer, and set on every Flask response by
`secure` (an after_request hook).
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import orjson
from werkzeug.datastructures import Headers
from werkzeug.http import HTTP_STATUS_CODES

from .logsafe import escape
from .store import QueryTimeout, StoreBusy, StoreError

log = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
)

Header = tuple[str, str]


class Answer(NamedTuple):
    """A whole HTTP answer; unpacks as (status, headers, body), the arguments of Granian's response_bytes."""

    status: int
    headers: list[Header]
    body: bytes

    def wsgi(self, start_response: Callable[..., Any]) -> list[bytes]:
        """Send it through a WSGI server."""
        start_response(status_line(self.status), self.headers)
        return [self.body]


@functools.cache
def status_line(status: int) -> str:
    """A WSGI status line as Flask writes it: `201 CREATED`."""
    return f"{status} {HTTP_STATUS_CODES.get(status, 'unknown').upper()}"


def secure(headers: Headers) -> None:
    """Add the security headers that `headers` (a Flask response's) does not set itself."""
    for name, value in SECURITY_HEADERS:
        headers.setdefault(name, value)


def render_json(payload: Any) -> bytes:
    """Compact JSON and a newline, ASCII only (other characters as \\u escapes): the bytes Flask's jsonify writes."""
    body = orjson.dumps(payload)
    if not body.isascii():
        body = json.dumps(payload, separators=(",", ":")).encode()
    return body + b"\n"


def json_answer(status: int, payload: Any, headers: Iterable[Header] = ()) -> Answer:
    body = render_json(payload)
    framing = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    return Answer(status, [*framing, *SECURITY_HEADERS, *headers], body)


def error(status: int, message: str, headers: Iterable[Header] = (), **extra: Any) -> Answer:
    """The JSON error answer: {"status": "error", "error": message, **extra}."""
    return json_answer(status, {"status": "error", "error": message, **extra}, headers)


class ApiError(Exception):
    """A request refused with a status and a message saying what is wrong (rendered by `answer`)."""

    def __init__(self, status: int, message: str, *, headers: Iterable[Header] = (), **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = tuple(headers)
        self.extra = extra

    def answer(self) -> Answer:
        return error(self.status, self.message, self.headers, **self.extra)


def too_large(limit: int) -> str:
    """The 413 message for a body over server.max_body_bytes."""
    return f"request body is larger than server.max_body_bytes ({limit} bytes)"


def store_failure(exc: StoreError, where: str) -> ApiError:
    """503 for every store error (busy, disk full, damaged, I/O), with Retry-After when a retry can help. A query
    stopped at its deadline is a 503 too (as Prometheus answers a query timeout), without Retry-After: the store is
    fine, the same query would run as long again; its message says to narrow the time range or the query.
    `where` (method and path) names the request in the log."""
    if isinstance(exc, QueryTimeout):
        log.warning("%s: %s", where, exc)
        return ApiError(503, str(exc), timeout_seconds=exc.seconds)
    if isinstance(exc, StoreBusy):
        message = str(exc)
    else:
        log.error("store error: %s", escape(exc))
        message = f"the store is unavailable: {exc}"
    retry = () if exc.retry_after is None else (("Retry-After", str(exc.retry_after)),)
    return ApiError(503, message, headers=retry)
