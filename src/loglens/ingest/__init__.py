"""Wire formats. Each decodes one request body into plain entries in the log schema; the pipeline does the rest.

A format never validates entries against the schema and never stores anything: it turns bytes into dicts (or
`Undecodable` markers for items it could not read) and says where each item was in the request, so errors can
point at a line or a record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ..validation import DEFAULT_ENTRY_BYTES


class DecodeError(ValueError):
    """The body as a whole cannot be read (not JSON, not protobuf, wrong envelope): the request fails (400)."""


class TooManyEntries(ValueError):
    """More entries than ingest.max_batch_entries in one request (413)."""

    def __init__(self, limit: int, what: str = "entries") -> None:
        super().__init__(
            f"more than {limit} {what} in one request (ingest.max_batch_entries); split it into smaller requests"
        )
        self.limit = limit


@dataclass(slots=True)
class Batch:
    """Decoded items and where each came from.

    `items` holds dicts in the log schema, any other decoded JSON value (the schema rejects it), or
    `validation.Undecodable` for an item that could not be decoded. `positions[i]` is where item i was in the
    request, in the unit `label` names ("line": 1-based NDJSON line, "index": 0-based array index, "record":
    0-based OTLP log record in request order); None means the item's own index.
    """

    items: list[Any]
    label: str = "index"
    positions: Sequence[int] | None = None
    sized: bool = False  # every item was checked against ingest.max_entry_bytes while decoding

    def position(self, index: int) -> int:
        return index if self.positions is None else self.positions[index]


class IngestFormat(Protocol):
    """One wire format: the media types it reads and how to decode a body (already decompressed)."""

    content_types: tuple[str, ...]

    def decode(
        self, data: bytes, *, max_entries: int, received_ns: int, max_entry_bytes: int = DEFAULT_ENTRY_BYTES
    ) -> Batch:
        """Decode `data`; raise DecodeError if unreadable, TooManyEntries past `max_entries`.

        `received_ns` is the arrival time (UTC epoch nanoseconds) for formats whose entries may lack a timestamp.
        A format that sees each entry's bytes (NDJSON) rejects one over `max_entry_bytes` without parsing it and
        says so with `Batch.sized`; the validator measures the others.
        """
        ...


def by_content_type(formats: Sequence[IngestFormat]) -> dict[str, IngestFormat]:
    """Media type -> format, for picking the decoder from a request's Content-Type."""
    return {content_type: fmt for fmt in formats for content_type in fmt.content_types}
