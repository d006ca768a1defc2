"""Every error is JSON with a message saying what is wrong; never an HTML page, never a traceback.

The answers are rendered by answer.py (one shape, one 413 message, one meaning of a store error); these are
Flask's handlers that hand each error to it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Blueprint, Flask, Response, current_app, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException, NotFound, RequestEntityTooLarge

from ..answer import Answer, ApiError, error, store_failure, too_large
from ..logsafe import escape
from ..store import StoreError

log = logging.getLogger(__name__)


def respond(answer: Answer) -> Response:
    """An Answer as Flask's response."""
    return Response(answer.body, answer.status, answer.headers)


def where() -> str:
    """The current request, for a log line: method and path."""
    return f"{request.method} {escape(request.path)}"


def own_error_shape(bp: Blueprint, render: Callable[[int, str, StoreError | None], Response]) -> None:
    """Answer a protocol blueprint's errors in that protocol's shape (Loki's text, OTLP's Status, Elasticsearch's
    error object): `render(status, message, store_error)` draws the client errors, the 413 and the store's
    failure (whose Retry-After is added here)."""

    @bp.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> ResponseReturnValue:
        return render(exc.status, exc.message, None)

    @bp.errorhandler(RequestEntityTooLarge)
    def _too_large(exc: RequestEntityTooLarge) -> ResponseReturnValue:
        return render(413, too_large(current_app.config["MAX_CONTENT_LENGTH"]), None)

    @bp.errorhandler(StoreError)
    def _store(exc: StoreError) -> ResponseReturnValue:
        failure = store_failure(exc, where())
        response = render(failure.status, failure.message, exc)
        response.headers.extend(failure.headers)
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
        return respond(exc.answer())

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(exc: RequestEntityTooLarge) -> ResponseReturnValue:
        return respond(error(413, too_large(current_app.config["MAX_CONTENT_LENGTH"])))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> ResponseReturnValue:
        code = exc.code or 500
        message = {
            404: "no such endpoint",
            405: f"method not allowed; use {', '.join(sorted(getattr(exc, 'valid_methods', None) or []))}",
        }.get(code, exc.description or exc.name)
        allow = exc.get_response().headers.get("Allow")
        return respond(error(code, message, (("Allow", allow),) if allow else ()))

    @app.errorhandler(StoreError)
    def _store(exc: StoreError) -> ResponseReturnValue:
        return respond(store_failure(exc, where()).answer())

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> ResponseReturnValue:
        log.exception("unhandled error on %s", where())
        return respond(error(500, "internal error; the server log has the details"))
