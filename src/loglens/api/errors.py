"""Every error is JSON with a message saying what is wrong; never an HTML page, never a traceback."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException, NotFound, RequestEntityTooLarge

from ..logsafe import escape
from ..store import QueryTimeout, StoreBusy, StoreError

log = logging.getLogger(__name__)


class ApiError(Exception):
    """Raised by views for a client error; rendered as {"status": "error", "error": message}."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


def error_response(status: int, message: str, **extra: Any) -> Response:
    response = jsonify({"status": "error", "error": message, **extra})
    response.status_code = status
    return response


def store_error_response(exc: StoreError) -> Response:
    """503 for every store error (busy, disk full, damaged, I/O), with Retry-After when a retry can help. A query
    stopped at its deadline is a 503 too (as Prometheus answers a query timeout), without Retry-After: the store is
    fine, the same query would run as long again; its message says to narrow the time range or the query."""
    if isinstance(exc, QueryTimeout):
        log.warning("%s %s: %s", request.method, escape(request.path), exc)
        return error_response(503, str(exc), timeout_seconds=exc.seconds)
    if isinstance(exc, StoreBusy):
        response = error_response(503, str(exc))
    else:
        log.error("store error: %s", escape(exc))
        response = error_response(503, f"the store is unavailable: {exc}")
    if exc.retry_after is not None:
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def route_exactly(app: Flask) -> None:
    """A path matches a route only as written: `//` anywhere in it is an unknown path (a JSON 404), never a redirect
    and never another route. Call before any route or before_request hook is added (the gate's must see it)."""
    # werkzeug answers `//` inside a path with a 308 HTML page whose Location is built from the request's Host
    # header, and Flask sends routing redirects past every error handler; without merging, it is simply not found.
    # (The other routing redirect, to a rule's trailing slash, cannot happen: no rule but "/" ends with one; a test
    # checks that.)
    app.url_map.merge_slashes = False

    @app.before_request
    def _leading_slashes() -> None:
        # werkzeug's router strips leading slashes, so `//api/logs` was /api/logs. Unmatched here, before the gate
        # decides: it then treats the path as any unknown one (the Host check, then this 404).
        if request.environ.get("PATH_INFO", "").startswith("//"):
            request.url_rule = request.view_args = None
            request.routing_exception = NotFound()


def init_app(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> ResponseReturnValue:
        return error_response(exc.status, exc.message, **exc.extra)

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(exc: RequestEntityTooLarge) -> ResponseReturnValue:
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        return error_response(413, f"request body is larger than server.max_body_bytes ({limit} bytes)")

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> ResponseReturnValue:
        code = exc.code or 500
        message = {
            404: "no such endpoint",
            405: f"method not allowed; use {', '.join(sorted(getattr(exc, 'valid_methods', None) or []))}",
        }.get(code, exc.description or exc.name)
        response = error_response(code, message)
        allow = exc.get_response().headers.get("Allow")
        if allow:
            response.headers["Allow"] = allow
        return response

    @app.errorhandler(StoreError)
    def _store(exc: StoreError) -> ResponseReturnValue:
        return store_error_response(exc)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> ResponseReturnValue:
        log.exception("unhandled error on %s %s", request.method, escape(request.path))
        return error_response(500, "internal error; the server log has the details")
