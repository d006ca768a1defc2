"""JSON answers for requests the connection layer refuses before the app sees them (same shape as api/errors)."""

from __future__ import annotations

import orjson

from ..web import SECURITY_HEADERS

REASONS = {
    400: "Bad Request",
    403: "Forbidden",
    408: "Request Timeout",
    413: "Content Too Large",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
}


def error_body(message: str) -> bytes:
    return orjson.dumps({"status": "error", "error": message}) + b"\n"


def error_headers(body: bytes, *, close: bool = True) -> list[tuple[str, str]]:
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body))), *SECURITY_HEADERS]
    if close:
        headers.append(("Connection", "close"))
    return headers


def too_large(limit: int) -> str:
    return f"request body is larger than server.max_body_bytes ({limit} bytes)"


def short_body(received: int, declared: int) -> str:
    return f"the request body ended after {received} of its Content-Length {declared} bytes"


def stalled(timeout: float) -> str:
    return f"the client sent nothing for {timeout:g} s (server.client_timeout_seconds)"


def bad_length(value: str) -> str:
    return f"Content-Length must be a non-negative integer, got {value[:40]!r}"


def unreadable_body() -> str:
    return "the request body could not be read: malformed chunked encoding, or the connection broke"


class Refused(Exception):
    """A request the server answers itself before the app sees it (stalled, too large, malformed body)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
