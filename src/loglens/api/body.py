"""Reading request bodies safely: Content-Type, Content-Encoding (gzip, with a decompressed-size limit), JSON."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from typing import Any

import orjson
from flask import current_app, request

from ..answer import ApiError, too_large
from ..serving import responses


def read_body(allowed_types: tuple[str, ...], *, allow_empty: bool = False) -> bytes:
    """The request body, decompressed, within server.max_body_bytes; ApiError (4xx) otherwise."""
    limit: int = current_app.config["MAX_CONTENT_LENGTH"]
    return decode_body(raw_body(), request.environ, allowed_types, limit, allow_empty=allow_empty)


def decode_body(
    data: bytes, environ: Mapping[str, Any], allowed_types: tuple[str, ...], limit: int, *, allow_empty: bool = False
) -> bytes:
    """`data` as sent, checked against the request's Content-Type and decompressed per its Content-Encoding (gzip,
    to at most `limit` bytes); ApiError (415, 413, 400) otherwise. It reads the headers from the WSGI environ, so
    that a request answered without Flask (api/fast.py) is checked by the same lines."""
    if not data and allow_empty:
        return b""
    if media_type(environ) not in allowed_types:
        content_type = environ.get("CONTENT_TYPE") or "none"
        raise ApiError(415, f"Content-Type must be {' or '.join(allowed_types)}, got {content_type}")
    encoding = environ.get("HTTP_CONTENT_ENCODING", "identity").strip().lower()
    if encoding == "gzip":
        data = gunzip(data, limit)
    elif encoding not in ("", "identity"):
        raise ApiError(415, f"Content-Encoding {encoding!r} is not supported; use gzip or none")
    if not data or data.isspace():  # isspace: no copy of the body, as strip() would make
        if allow_empty:
            return b""
        raise ApiError(400, "the request body is empty")
    return data


def media_type(environ: Mapping[str, Any]) -> str:
    """The request's Content-Type without its parameters, lowercase: werkzeug's `request.mimetype`."""
    return str(environ.get("CONTENT_TYPE") or "").partition(";")[0].strip(" \t").lower()


def raw_body() -> bytes:
    """The body as sent: all of it within server.max_body_bytes, or a 413; a body cut short is a 400.

    werkzeug stops a body without Content-Length (chunked) at MAX_CONTENT_LENGTH and returns the first part as
    if it were all, and trusts a stream that ends before its Content-Length: both are refused here.
    """
    limit: int = current_app.config["MAX_CONTENT_LENGTH"]
    declared = request.content_length
    if declared is None:
        data = _read(request.input_stream.read, limit + 1)
        if len(data) > limit:
            raise ApiError(413, too_large(limit))
        return data
    if declared > limit:
        raise ApiError(413, too_large(limit))
    return read_declared(lambda _: request.get_data(cache=False), declared)


def read_declared(read: Callable[[int], bytes], declared: int) -> bytes:
    """The `declared` (Content-Length) bytes of a body from `read` (a stream's); a 400 when they do not all come."""
    data = _read(read, declared)
    if len(data) != declared:
        raise ApiError(400, responses.short_body(len(data), declared))
    return data


def _read(read: Callable[[int], bytes], size: int) -> bytes:
    try:
        return read(size)
    except OSError as exc:  # the server's reader failed: a malformed chunked body, a broken connection
        raise ApiError(400, f"the request body could not be read: {str(exc)[:200]}") from None


def gunzip(data: bytes, limit: int) -> bytes:
    """Decompress one or more gzip members, refusing output beyond `limit` bytes (413) and corrupt input (400)."""
    out = bytearray()
    while data:
        decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
        try:
            out += decompressor.decompress(data, limit + 1 - len(out))
        except zlib.error as exc:
            raise ApiError(400, f"the gzip body is corrupt: {exc}") from None
        if len(out) > limit or decompressor.unconsumed_tail:
            raise ApiError(413, f"the decompressed body is larger than server.max_body_bytes ({limit} bytes)")
        if not decompressor.eof:
            raise ApiError(400, "the gzip body is truncated")
        data = decompressor.unused_data
    return bytes(out)


def parse_json(data: bytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, f"malformed JSON: {exc}") from None


def json_object(*, allow_empty: bool = False) -> dict[str, Any]:
    """The body as a JSON object (empty body → {} when allowed)."""
    data = read_body(("application/json",), allow_empty=allow_empty)
    if not data:
        return {}
    value = parse_json(data)
    if not isinstance(value, dict):
        raise ApiError(400, f"the body must be a JSON object, got {type(value).__name__}")
    return value


def single_args() -> None:
    """A query parameter given more than once is a 400 naming it: each takes one value, and which one a server
    would pick (Flask's `get` takes the first) is a guess the client did not mean to leave to it."""
    for name, values in request.args.lists():
        if len(values) > 1:
            raise ApiError(400, f"{name} is given {len(values)} times; give it once", parameter=name)


def int_arg(name: str, default: int, minimum: int, maximum: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"{name} must be an integer between {minimum} and {maximum}, got {raw!r}") from None
    if not minimum <= value <= maximum:
        raise ApiError(400, f"{name} must be between {minimum} and {maximum}, got {value}")
    return value


def choice_arg(name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = request.args.get(name, default)
    if raw not in choices:
        raise ApiError(400, f"{name} must be one of {', '.join(choices)}, got {raw!r}")
    return raw


def str_arg(name: str, *, max_length: int = 200) -> str | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if len(raw) > max_length:
        raise ApiError(400, f"{name} is longer than {max_length} characters")
    return raw
