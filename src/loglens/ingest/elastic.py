"""Elasticsearch's `_bulk` body: NDJSON pairs of an action line and a document line, mapped onto log entries.

Actions: `index` and `create` store their document; `delete` (no document line) and `update` (one) are refused
item by item, since LogLens keeps logs, not documents; any other action, or an action line that is not one JSON
object naming one action, fails the request (400), as in Elasticsearch. A document becomes one entry:
- timestamp: `@timestamp`, else `timestamp` (an RFC 3339 string, or epoch milliseconds), else arrival time;
- message: `message`, else `msg` (a value other than a string as JSON text), else `log` when it is a string (what
  Fluent Bit's tail input and Docker's JSON logs call the line);
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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import orjson

from ..config import IngestSettings
from ..validation import Limits, Undecodable
from . import Batch, DecodeError, TooManyEntries
from .levels import normalize_level
from .otlp import rfc3339_from_ns

SERVICE_FIELDS = ("service.name", "service", "app", "programname")
LEVEL_FIELDS = ("level", "log.level", "severity")
STORED = frozenset({"index", "create"})
REFUSED = frozenset({"delete", "update"})
UNSUPPORTED = "action_request_validation_exception"
REJECTED_TYPE = "document_parsing_exception"
# what Elasticsearch says of a stored document after its _index and _id (its _version, _shards, _seq_no and
# _primary_term are left out: no shipper reads them, and they would double the answer's size)
_STORED_TAIL = b',"result":"created","status":201}}'
_MISSING = object()


@dataclass(frozen=True, slots=True)
class ElasticMapping:
    """Which fields name the service (configurable: ingest.elasticsearch_service_fields)."""

    service_fields: tuple[str, ...] = SERVICE_FIELDS
    default_service: str = "unknown_service"

    service_paths: tuple[Path, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "service_paths", paths(self.service_fields))

    @classmethod
    def from_settings(cls, ingest: IngestSettings) -> ElasticMapping:
        return cls(ingest.elasticsearch_service_fields, ingest.default_service)


class Action(NamedTuple):
    """One action of the request, in order: `item` is its document's index in the batch's items, or -1 when the
    action was refused (`error` is then Elasticsearch's error type and reason)."""

    op: str
    target: str  # the index it names (or the path's)
    doc_id: str  # "" when the action gave none
    item: int = -1
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
    count = len(lines)
    items: list[Any] = []
    positions: list[int] = []
    actions: list[Action] = []
    limits = Limits(max_entry_bytes=max_entry_bytes)
    seen: dict[bytes, tuple[str, str, str]] = {}  # shippers repeat the same action line: read each once
    number = 0
    while number < count:
        line = lines[number]
        number += 1
        parsed = seen.get(line)
        if parsed is None:
            if not line.strip():
                continue
            parsed = seen[line] = _action(line, number, index)
        op, target, doc_id = parsed  # doc_id "" (none given): bulk_answer makes one up
        if op == "delete":
            reason = "LogLens stores log entries only; the delete action is not supported (use index or create)"
            actions.append(Action(op, target, doc_id, -1, (UNSUPPORTED, reason)))
            continue
        if number >= count or not lines[number].strip():
            raise DecodeError(f"the {op} action on line {number} has no document on the line after it")
        source = lines[number]
        number += 1
        if op == "update":
            reason = "LogLens stores log entries only; the update action is not supported (use index or create)"
            actions.append(Action(op, target, doc_id, -1, (UNSUPPORTED, reason)))
            continue
        if len(items) == max_entries:
            raise TooManyEntries(max_entries, "documents")
        actions.append(Action(op, target, doc_id, len(items)))
        positions.append(number)
        items.append(_document(source, target, mapping, limits, received_ns))
    return BulkBatch(items, "line", positions, sized=True, actions=actions)


def bulk_answer(batch: BulkBatch, rejected: Mapping[int, str], took_ms: int) -> bytes:
    """Elasticsearch's answer: `took`, `errors`, and one item per action (201, or 400 with error.type and
    error.reason); `rejected` maps a document's item index to why validation refused it."""
    heads: dict[tuple[str, str], bytes] = {}
    parts: list[bytes] = []
    errors = False
    id_prefix = secrets.token_hex(6)
    for number, (op, target, doc_id, item, error) in enumerate(batch.actions):
        doc_id = doc_id or f"{id_prefix}-{number}"
        if error is None and item in rejected:
            error = (REJECTED_TYPE, rejected[item])
        if error is None:
            head = heads.get((op, target))
            if head is None:
                head = heads[(op, target)] = orjson.dumps({op: {"_index": target}})[:-2] + b',"_id":'
            parts.append(head + orjson.dumps(doc_id) + _STORED_TAIL)
        else:
            errors = True
            error_body = {"type": error[0], "reason": error[1]}
            parts.append(orjson.dumps({op: {"_index": target, "_id": doc_id, "status": 400, "error": error_body}}))
    head = b'{"took":%d,"errors":%s,"items":[' % (took_ms, b"true" if errors else b"false")
    return head + b",".join(parts) + b"]}"


def _action(line: bytes, number: int, index: str) -> tuple[str, str, str]:
    """(action, index, _id or "") of an action line; DecodeError when it is not one we know."""
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
    target = meta.get("_index")
    given = meta.get("_id")
    doc_id = str(given) if isinstance(given, str | int) and not isinstance(given, bool) else ""
    return op, target if isinstance(target, str) and target else index, doc_id


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
    stamp = doc.get("@timestamp")  # the usual case first, without the general lookup
    if type(stamp) is str:
        del doc["@timestamp"]
    else:
        stamp = _pop_first(doc, TIMESTAMP_FIELDS, _is_time)
    if stamp is _MISSING:
        out["timestamp"] = rfc3339_from_ns(received_ns)
    elif isinstance(stamp, str):
        out["timestamp"] = stamp
    else:
        out["timestamp"] = rfc3339_from_ns(int(stamp * 1_000_000))
    level = _pop_first(doc, LEVEL_PATHS, normalize_level)
    out["level"] = "INFO" if level is _MISSING else level
    service = _pop_first(doc, mapping.service_paths, _is_name)
    out["service"] = service if service is not _MISSING else (index or mapping.default_service)
    message = doc.get("message")
    if type(message) is str:
        del doc["message"]
    else:
        message = _pop_first(doc, MESSAGE_FIELDS, _is_present)
        if message is _MISSING and type(doc.get("log")) is str:  # Fluent Bit's tail and Docker's JSON logs
            message = doc.pop("log")
    if message is not _MISSING:
        out["message"] = message if isinstance(message, str) else orjson.dumps(message).decode()
    user = _pop_first(doc, USER_FIELDS, _is_user)
    if user is not _MISSING:
        out["user_id"] = user
    if doc:
        out["metadata"] = doc
    return out


Path = tuple[str, tuple[str, ...]]  # a field name, and its parts when it is dotted (else empty)


def paths(names: tuple[str, ...]) -> tuple[Path, ...]:
    return tuple((name, tuple(name.split(".")) if "." in name else ()) for name in names)


def _is_time(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return None


def _is_name(value: Any) -> Any:
    return value if isinstance(value, str) and value else None


def _is_present(value: Any) -> Any:
    return value


def _is_user(value: Any) -> Any:
    if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        return str(value)
    return None


TIMESTAMP_FIELDS = paths(("@timestamp", "timestamp"))
LEVEL_PATHS = paths(LEVEL_FIELDS)
MESSAGE_FIELDS = paths(("message", "msg"))
USER_FIELDS = paths(("user_id", "user.id"))


def _pop_first(doc: dict[str, Any], names: tuple[Path, ...], take: Callable[[Any], Any]) -> Any:
    """take(value) of the first of `names` in `doc` for which it is not None, that field removed from `doc`;
    _MISSING if there is none."""
    for name, parts in names:
        value = doc.get(name, _MISSING)
        if value is not _MISSING:
            taken = take(value)
            if taken is not None:
                del doc[name]
                return taken
        if parts and parts[0] in doc:
            taken = _pop_path(doc, parts, take)
            if taken is not _MISSING:
                return taken
    return _MISSING


def _pop_path(doc: dict[str, Any], path: tuple[str, ...], take: Callable[[Any], Any]) -> Any:
    """take(doc[a][b]...) when not None, that field removed (with any object it leaves empty); else _MISSING."""
    parent = doc.get(path[0], _MISSING)
    if len(path) == 1:
        taken = None if parent is _MISSING else take(parent)
        if taken is None:
            return _MISSING
        del doc[path[0]]
        return taken
    if not isinstance(parent, dict):
        return _MISSING
    taken = _pop_path(parent, path[1:], take)
    if taken is not _MISSING and not parent:
        del doc[path[0]]
    return taken
