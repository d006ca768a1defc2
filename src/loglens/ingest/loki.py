"""Loki's push API: streams of lines with labels, mapped onto log entries (the JSON body; loki_protobuf.py reads
the protobuf one into the same shape).

One pushed line becomes one entry:
- timestamp: the line's nanoseconds since the epoch (RFC 3339, UTC);
- service: the first label of `LokiMapping.service_labels` present and non-empty, else
  `LokiMapping.default_service`;
- level: from the line when it is a JSON object, else its structured metadata, else its stream's labels: the first
  key of `LokiMapping.level_keys` whose value names a level (see levels.py); else INFO;
- message: the line; a line that is a JSON object gives `message` (or `msg`) instead, `user_id`, its level, and
  its other keys as metadata;
- metadata: the stream's other labels, then the line's structured metadata, then the JSON line's other keys
  (a later one wins on the same key).
A body that is not a push request at all is a DecodeError (400); a malformed value (a timestamp that is not
nanoseconds, a line that is not a string) is one `Undecodable` item, its neighbours kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import orjson

from ..config import IngestSettings
from ..validation import Limits, Undecodable
from . import Batch, DecodeError, TooManyEntries
from .levels import normalize_level
from .otlp import rfc3339_from_ns

SERVICE_LABELS = ("service_name", "service", "app", "application", "job", "container")
LEVEL_KEYS = ("level", "severity", "detected_level", "lvl")
DEFAULT_SERVICE = "unknown_service"
LABEL = "entry"  # Batch positions: 0-based, across streams in request order
ENTRY_OVERHEAD = 256  # the JSON an entry adds around its values: keys, timestamp, level, punctuation
_LABEL_PAIR = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,|$)', re.DOTALL)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}


@dataclass(frozen=True, slots=True)
class LokiMapping:
    """Which labels name the service and the level (configurable: ingest.loki_service_labels, ...)."""

    service_labels: tuple[str, ...] = SERVICE_LABELS
    level_keys: tuple[str, ...] = LEVEL_KEYS
    default_service: str = DEFAULT_SERVICE

    @classmethod
    def from_settings(cls, ingest: IngestSettings) -> LokiMapping:
        return cls(ingest.loki_service_labels, ingest.loki_level_labels, ingest.default_service)


@dataclass(frozen=True, slots=True)
class Stream:
    """What a stream's labels give each of its lines."""

    service: str
    level: str | None
    metadata: dict[str, Any] = field(default_factory=dict)
    size: int = 0  # the labels' JSON size: a bound on what they add to each entry


def stream(mapping: LokiMapping, labels: dict[str, str]) -> Stream:
    """The stream's service, level and remaining labels; `labels` becomes its metadata (pass a fresh dict)."""
    service = mapping.default_service
    for key in mapping.service_labels:
        value = labels.get(key)
        if value:
            service = value
            del labels[key]
            break
    size = len(orjson.dumps(labels)) + len(service) if labels else len(service)
    return Stream(service, _take_level(mapping.level_keys, labels), labels, size)


def _take_level(keys: tuple[str, ...], values: dict[str, Any]) -> str | None:
    """The first of `keys` in `values` that names a level, removed from `values`; None if none does."""
    for key in keys:
        if key in values:
            level = normalize_level(values[key])
            if level is not None:
                del values[key]
                return level
    return None


def entry(
    mapping: LokiMapping, ctx: Stream, ns: int, line: str, structured: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One line of a stream as an entry. `structured` (the line's structured metadata) is consumed."""
    meta = dict(ctx.metadata) if ctx.metadata else {}
    level = ctx.level
    if structured:
        level = _take_level(mapping.level_keys, structured) or level
        meta.update(structured)
    out: dict[str, Any] = {"timestamp": rfc3339_from_ns(ns), "service": ctx.service, "message": line}
    if line[:1] == "{":
        level = json_line(out, meta, line, mapping.level_keys) or level
    out["level"] = level or "INFO"
    if meta:
        out["metadata"] = meta
    return out


def json_line(out: dict[str, Any], meta: dict[str, Any], line: str, level_keys: tuple[str, ...]) -> str | None:
    """Merge a line that is a JSON object: message (or msg) and user_id into `out`, its other keys into `meta`;
    returns the level it names. A line that is not a JSON object changes nothing."""
    try:
        fields = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(fields, dict):
        return None
    for key in ("message", "msg"):
        message = fields.get(key)
        if isinstance(message, str) and message:
            out["message"] = message
            del fields[key]
            break
    user = fields.get("user_id")
    if isinstance(user, str) or (isinstance(user, int) and not isinstance(user, bool)):
        out["user_id"] = str(user)
        del fields["user_id"]
    level = _take_level(level_keys, fields)
    meta.update(fields)
    return level


def within(out: dict[str, Any], ctx: Stream, chars: int, limits: Limits) -> Any:
    """`out`, or an Undecodable when its JSON is over ingest.max_entry_bytes: measured only when the bound (a
    character of the line or structured metadata is at most 6 bytes of JSON, the labels as they were) says it
    might be, so the validator need not measure each entry again (the batch is `sized`)."""
    if 6 * chars + 2 * ctx.size + ENTRY_OVERHEAD <= limits.max_entry_bytes:
        return out
    try:
        size = len(orjson.dumps(out))
    except orjson.JSONEncodeError as exc:
        return Undecodable(f"the entry cannot be stored as JSON: {exc}", "type")
    return out if size <= limits.max_entry_bytes else Undecodable(limits.entry_too_large(size), "max_entry_bytes")


def parse_labels(text: str) -> dict[str, str]:
    """A Prometheus label set, `{job="api", app="x"}`, as a dict; DecodeError when it is not one."""
    body = text.strip()
    if not (body.startswith("{") and body.endswith("}")):
        raise DecodeError(f'stream labels must look like {{name="value", ...}}, got {text[:100]!r}')
    body = body[1:-1].strip()
    labels: dict[str, str] = {}
    position = 0
    while position < len(body):
        match = _LABEL_PAIR.match(body, position)
        if match is None:
            raise DecodeError(f"cannot parse stream labels {text[:100]!r} at character {position + 1}")
        labels[match[1]] = _ESCAPE.sub(lambda m: _ESCAPES.get(m[1], m[1]), match[2])
        position = match.end()
    return labels


def _nanoseconds(value: Any) -> int:
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    raise ValueError(f"the timestamp must be a string of nanoseconds since the epoch, got {str(value)[:40]!r}")


def decode_json(data: bytes, mapping: LokiMapping, max_entries: int, max_entry_bytes: int) -> Batch:
    """`{"streams": [{"stream": {labels}, "values": [["<ns>", "<line>", {structured metadata}?], ...]}]}`."""
    try:
        body = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise DecodeError(f"the body is not valid JSON: {exc}") from None
    streams = body.get("streams") if isinstance(body, dict) else None
    if not isinstance(streams, list):
        raise DecodeError('the body must be a JSON object with a "streams" array')
    items: list[Any] = []
    limits = Limits(max_entry_bytes=max_entry_bytes)
    for number, raw in enumerate(streams):
        labels = raw.get("stream", {}) if isinstance(raw, dict) else None
        values = raw.get("values") if isinstance(raw, dict) else None
        if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
            raise DecodeError(f"streams[{number}].stream must be an object of string labels")
        if not isinstance(values, list):
            raise DecodeError(f"streams[{number}].values must be an array of [timestamp, line] arrays")
        if len(items) + len(values) > max_entries:
            raise TooManyEntries(max_entries, "log lines")
        ctx = stream(mapping, dict(labels))
        room = limits.max_entry_bytes - 2 * ctx.size - ENTRY_OVERHEAD  # 6 bytes a character fit below this
        for value in values:
            if type(value) is list and len(value) == 2:  # the usual [ns, line], checked here without a call
                ns, line = value
                if type(ns) is str and type(line) is str and ns.isdigit() and ns.isascii() and 6 * len(line) <= room:
                    items.append(entry(mapping, ctx, int(ns), line))
                    continue
            items.append(_json_value(mapping, ctx, value, limits))
    return Batch(items, LABEL, sized=True)


def _json_value(mapping: LokiMapping, ctx: Stream, value: Any, limits: Limits) -> Any:
    if not isinstance(value, list) or not 2 <= len(value) <= 3:
        return Undecodable("each value must be [timestamp, line] or [timestamp, line, {structured metadata}]")
    try:
        ns = _nanoseconds(value[0])
    except ValueError as exc:
        return Undecodable(str(exc))
    line = value[1]
    if not isinstance(line, str):
        return Undecodable(f"the line must be a string, got {type(line).__name__}")
    structured = value[2] if len(value) == 3 else {}
    if not isinstance(structured, dict) or not all(isinstance(v, str) for v in structured.values()):
        return Undecodable("structured metadata must be an object of strings")
    chars = len(line) + sum(len(k) + len(v) for k, v in structured.items()) if structured else len(line)
    return within(entry(mapping, ctx, ns, line, dict(structured) if structured else None), ctx, chars, limits)
