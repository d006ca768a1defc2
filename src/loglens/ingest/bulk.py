"""Bulk JSON: NDJSON (one entry per line) and JSON arrays, as sent by Fluent Bit, Vector and our own clients.

NDJSON: blank lines are skipped; a line that is not JSON becomes an `Undecodable` item (a rejected entry, not
a failed request); positions are 1-based physical line numbers, blank lines included, so they match the file.
JSON (`application/json`): an array of entries (positions are 0-based indexes) or one object. A body that is
not one JSON value but parses line by line is read as NDJSON, because older Fluent Bit releases send
`json_lines` with `Content-Type: application/json`.
"""

from __future__ import annotations

from typing import Any

import orjson

from ..validation import Undecodable
from . import Batch, DecodeError, TooManyEntries

NDJSON_TYPES = ("application/x-ndjson", "application/jsonl")
JSON_TYPES = ("application/json",)


def _undecodable(exc: orjson.JSONDecodeError) -> Undecodable:
    return Undecodable(f"not valid JSON: {exc.msg} at column {exc.colno}")


def decode_ndjson(data: bytes, max_entries: int) -> Batch:
    items: list[Any] = []
    positions: list[int] = []
    loads = orjson.loads
    for number, line in enumerate(data.split(b"\n"), 1):
        if not line or line.isspace():
            continue
        if len(items) == max_entries:
            raise TooManyEntries(max_entries)
        positions.append(number)
        try:
            items.append(loads(line))
        except orjson.JSONDecodeError as exc:
            items.append(_undecodable(exc))
    return Batch(items, "line", positions)


def decode_json(data: bytes, max_entries: int) -> Batch:
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if data.lstrip()[:1] == b"[":
            raise DecodeError(f"malformed JSON array: {exc}") from None
        return decode_ndjson(data, max_entries)
    items = value if isinstance(value, list) else [value]
    if len(items) > max_entries:
        raise TooManyEntries(max_entries)
    return Batch(items, "index")


class NdjsonFormat:
    content_types: tuple[str, ...] = NDJSON_TYPES

    def decode(self, data: bytes, *, max_entries: int, received_ns: int) -> Batch:
        return decode_ndjson(data, max_entries)


class JsonFormat:
    content_types: tuple[str, ...] = JSON_TYPES

    def decode(self, data: bytes, *, max_entries: int, received_ns: int) -> Batch:
        return decode_json(data, max_entries)


NDJSON = NdjsonFormat()
JSON = JsonFormat()
