"""Bulk JSON: NDJSON (one entry per line) and JSON arrays, as sent by Fluent Bit, Vector and our own clients.

NDJSON: blank lines are skipped; a line that is not JSON becomes an `Undecodable` item (a rejected entry, not
a failed request); positions are 1-based physical line numbers, blank lines included, so they match the file.
JSON (`application/json`): an array of entries (positions are 0-based indexes) or one object. A body that is
not one JSON value but parses line by line is read as NDJSON, because older Fluent Bit releases send
`json_lines` with `Content-Type: application/json`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from ..validation import DEFAULT_ENTRY_BYTES, Limits, Undecodable
from . import Batch, DecodeError, TooManyEntries

NDJSON_TYPES = ("application/x-ndjson", "application/jsonl")
JSON_TYPES = ("application/json",)


def _undecodable(exc: orjson.JSONDecodeError) -> Undecodable:
    return Undecodable(f"not valid JSON: {exc.msg} at column {exc.colno}")


def decode_ndjson(data: bytes, max_entries: int, max_entry_bytes: int = DEFAULT_ENTRY_BYTES) -> Batch:
    """A line over `max_entry_bytes` is rejected unparsed (Undecodable, kind "max_entry_bytes")."""
    items: list[Any] = []
    positions: list[int] = []
    loads = orjson.loads
    limits = Limits(max_entry_bytes=max_entry_bytes)
    for number, line in enumerate(data.split(b"\n"), 1):
        if not line or line.isspace():
            continue
        if len(items) == max_entries:
            raise TooManyEntries(max_entries)
        positions.append(number)
        if len(line) > max_entry_bytes:
            items.append(Undecodable(limits.entry_too_large(len(line)), "max_entry_bytes"))
            continue
        try:
            items.append(loads(line))
        except orjson.JSONDecodeError as exc:
            items.append(_undecodable(exc))
    return Batch(items, "line", positions, sized=True)


def decode_json(data: bytes, max_entries: int, max_entry_bytes: int = DEFAULT_ENTRY_BYTES) -> Batch:
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if data.lstrip()[:1] == b"[":
            raise DecodeError(f"malformed JSON array: {exc}") from None
        return decode_ndjson(data, max_entries, max_entry_bytes)
    if not isinstance(value, list):  # one entry: the body is its size
        if len(data) > max_entry_bytes:
            items: list[Any] = [Undecodable(Limits(max_entry_bytes).entry_too_large(len(data)), "max_entry_bytes")]
            return Batch(items, "index", sized=True)
        return Batch([value], "index", sized=True)
    if len(value) > max_entries:
        raise TooManyEntries(max_entries)
    return Batch(value, "index")


@dataclass(slots=True)
class BulkFormat:
    """NDJSON or a JSON array (an IngestFormat): its media types and its decoder above."""

    content_types: tuple[str, ...]
    decoder: Callable[[bytes, int, int], Batch]

    def decode(
        self, data: bytes, *, max_entries: int, received_ns: int, max_entry_bytes: int = DEFAULT_ENTRY_BYTES
    ) -> Batch:
        return self.decoder(data, max_entries, max_entry_bytes)


NDJSON = BulkFormat(NDJSON_TYPES, decode_ndjson)
JSON = BulkFormat(JSON_TYPES, decode_json)
