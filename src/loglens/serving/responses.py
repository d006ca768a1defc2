"""JSON answers for requests the connection layer refuses before the app sees them (rendered by answer.py)."""

from __future__ import annotations

from ..answer import Answer, error

REASONS = {
    400: "Bad Request",
    403: "Forbidden",
    408: "Request Timeout",
    413: "Content Too Large",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
}


def refusal(status: int, message: str) -> Answer:
    """The JSON error answer to a refused request; the connection is closed after it."""
    return error(status, message, (("Connection", "close"),))


def http1_refusal(status: int, message: str) -> bytes:
    """`refusal` as the bytes of an HTTP/1.1 response, for a server that writes to the socket itself."""
    answer = refusal(status, message)
    head = f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in answer.headers) + "\r\n"
    return head.encode("latin-1") + answer.body


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
