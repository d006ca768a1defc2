"""Elasticsearch's `_bulk` body: NDJSON pairs of an action line and a document line, mapped onto log entries.

Actions: `index` and `create` store their document; `delete` (no document line) and `update` (one) are refused
item by item, since LogLens keeps logs, not documents; any other action, or an action line that is not one JSON
object naming one action, fails the request (400), as in Elasticsearch. A document becomes one entry:
- timestamp: `@timestamp`, else `timestamp` (an RFC 3339 string, or epoch milliseconds), else arrival time;
- message: `message`, else `msg` (a value other than a string as JSON text);
- level: the first of `level`, `log.level`, `severity` that names a level (levels.py), else INFO;
- service: the first non-empty string of `ElasticMapping.service_fields` (default `service.name`, `service`,
  `app`, `programname`), else the index name (the action's `_index`, else the one in the path), else
  `ElasticMapping.default_service`;
- user_id: `user_id`, else `user.id`;
- metadata: every other field, as sent.
Dotted names are looked up both as one key (`{"log.level": ...}`) and as a path (`{"log": {"level": ...}}`).
Legacy action fields (`_type`, `routing`, ...) are ignored.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from ..limits import Limits
from ..validation import Undecodable
from . import Batch, DecodeError, TooManyEntries
from .levels import normalize_level
from .otlp import rfc3339_from_ns

SERVICE_FIELDS = ("service.name", "service", "app", "programname")
LEVEL_FIELDS = ("level", "log.level", "severity")
STORED = frozenset({"index", "create"})
REFUSED = frozenset({"delete", "update"})
WITH_DOCUMENT = frozenset({"index", "create", "update"})
UNSUPPORTED = "action_request_validation_exception"
_MISSING = object()


@dataclass(frozen=True, slots=True)
class ElasticMapping:
    """Which fields name the service (configurable: ingest.elasticsearch_service_fields)."""

    service_fields: tuple[str, ...] = SERVICE_FIELDS
    default_service: str = "unknown_service"

    @classmethod
    def from_config(cls, config: Mapping[str, Mapping[str, Any]]) -> ElasticMapping:
        ingest = config["ingest"]
        return cls(tuple(ingest["elasticsearch_service_fields"]), ingest["default_service"])


@dataclass(frozen=True, slots=True)
class Action:
    """One action of the request, in order: `item` is its document's index in the batch's items, or None when
    the action was refused (`error` is then Elasticsearch's error type and reason)."""

    op: str
    index: str
    doc_id: str
    item: int | None = None
    error: tuple[str, str] | None = None


@dataclass(slots=True)
class BulkBatch(Batch):
    actions: list[Action] = field(default_factory=list)


def decode_bulk(
    data: bytes,
    *,
    index: str,
    mapping: ElasticMapping,
    max_entries: int,
    max_entry_bytes: int,
    received_ns: int,
) -> BulkBatch:
    """`index` is the path's index name ('' for /_bulk). Positions are the 1-based lines of the documents."""
    lines = data.split(b"\n")
    items: list[Any] = []
    positions: list[int] = []
    actions: list[Action] = []
    limits = Limits(max_entry_bytes=max_entry_bytes)
    id_prefix = secrets.token_hex(6)
    number = 0
    while number < len(lines):
        line = lines[number]
        number += 1
        if not line.strip():
            continue
        op, meta = _action(line, number)
        target = meta.get("_index")
        target = target if isinstance(target, str) and target else index
        given = meta.get("_id")
        doc_id = str(given) if isinstance(given, str | int) and not isinstance(given, bool) else ""
        doc_id = doc_id or f"{id_prefix}-{len(actions)}"
        source = None
        if op in WITH_DOCUMENT:
            if number >= len(lines) or not lines[number].strip():
                raise DecodeError(f"the {op} action on line {number} has no document on the line after it")
            source = lines[number]
            number += 1
        if op in REFUSED:
            reason = f"LogLens stores log entries only; the {op} action is not supported (use index or create)"
            actions.append(Action(op, target, doc_id, error=(UNSUPPORTED, reason)))
            continue
        assert source is not None
        if len(items) == max_entries:
            raise TooManyEntries(max_entries, "documents")
        actions.append(Action(op, target, doc_id, item=len(items)))
        positions.append(number)
        items.append(_document(source, target, mapping, limits, received_ns))
    return BulkBatch(items, "line", positions, sized=True, actions=actions)


def _action(line: bytes, number: int) -> tuple[str, dict[str, Any]]:
    try:
        action = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise DecodeError(f"Malformed action/metadata line [{number}]: not JSON ({exc.msg})") from None
    if not isinstance(action, dict) or len(action) != 1:
        raise DecodeError(f"Malformed action/metadata line [{number}]: expected one object naming one action")
    op, meta = next(iter(action.items()))
    if op not in STORED and op not in REFUSED:
        raise DecodeError(f"Malformed action/metadata line [{number}]: unknown action [{op}]")
    if not isinstance(meta, dict):
        raise DecodeError(f"Malformed action/metadata line [{number}]: the {op} action's value must be an object")
    return op, meta


def _document(source: bytes, index: str, mapping: ElasticMapping, limits: Limits, received_ns: int) -> Any:
    if len(source) > limits.max_entry_bytes:
        return Undecodable(limits.entry_too_large(len(source)), "max_entry_bytes")
    try:
        doc = orjson.loads(source)
    except orjson.JSONDecodeError as exc:
        return Undecodable(f"the document is not valid JSON: {exc.msg} at column {exc.colno}")
    if not isinstance(doc, dict):
        return Undecodable(f"the document must be a JSON object, got {type(doc).__name__}")
    return map_document(doc, index, mapping, received_ns)


def map_document(doc: dict[str, Any], index: str, mapping: ElasticMapping, received_ns: int) -> dict[str, Any]:
    """One document as an entry; `doc` is consumed (what is left of it becomes the metadata)."""
    out: dict[str, Any] = {}
    stamp = _pop_first(doc, ("@timestamp", "timestamp"), lambda v: isinstance(v, str | int | float))
    if isinstance(stamp, int | float) and not isinstance(stamp, bool):
        out["timestamp"] = rfc3339_from_ns(int(stamp * 1_000_000))
    else:
        out["timestamp"] = stamp if isinstance(stamp, str) else rfc3339_from_ns(received_ns)
    level = _pop_first(doc, LEVEL_FIELDS, lambda v: normalize_level(v) is not None)
    out["level"] = "INFO" if level is _MISSING else normalize_level(level)
    service = _pop_first(doc, mapping.service_fields, lambda v: isinstance(v, str) and v != "")
    out["service"] = service if isinstance(service, str) else (index or mapping.default_service)
    message = _pop_first(doc, ("message", "msg"), lambda v: v is not None)
    if message is not _MISSING:
        out["message"] = message if isinstance(message, str) else orjson.dumps(message).decode()
    user = _pop_first(doc, ("user_id", "user.id"), lambda v: isinstance(v, str | int) and not isinstance(v, bool))
    if user is not _MISSING:
        out["user_id"] = str(user)
    if doc:
        out["metadata"] = doc
    return out


def _pop_first(doc: dict[str, Any], names: tuple[str, ...], usable: Any) -> Any:
    """The value of the first of `names` in `doc` that is `usable`, removed from `doc`; _MISSING if none."""
    for name in names:
        value = doc.get(name, _MISSING)
        if value is not _MISSING and usable(value):
            del doc[name]
            return value
        if "." in name:
            value = _pop_path(doc, name.split("."), usable)
            if value is not _MISSING:
                return value
    return _MISSING


def _pop_path(doc: dict[str, Any], path: list[str], usable: Any) -> Any:
    """`doc[a][b]...` when usable, removed (with any object it leaves empty); _MISSING otherwise."""
    parent = doc.get(path[0], _MISSING)
    if len(path) == 1:
        if parent is _MISSING or not usable(parent):
            return _MISSING
        del doc[path[0]]
        return parent
    if not isinstance(parent, dict):
        return _MISSING
    value = _pop_path(parent, path[1:], usable)
    if value is not _MISSING and not parent:
        del doc[path[0]]
    return value
