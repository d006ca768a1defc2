"""OTLP log records mapped onto log entries; shared by the protobuf (otlp_protobuf) and JSON (otlp_json) decoders.

One log record becomes one entry:
- timestamp: `timeUnixNano`, else `observedTimeUnixNano`, else arrival time (RFC 3339, UTC, up to nanoseconds);
- level: `severityText` when it names one of our levels (any case; WARN, FATAL and TRACE are aliases), else the
  `severityNumber` band (1-8 DEBUG, 9-12 INFO, 13-16 WARNING, 17-20 ERROR, 21-24 CRITICAL; unset INFO);
- service: resource attribute `service.name` (else "unknown_service");
- message: `body` when it is a string, else the body rendered as JSON text (`eventName` when there is no body);
- user_id: attribute `user.id`, else `enduser.id` (a string or an integer);
- metadata: every other record attribute under its own key, plus the keys in ENVELOPE_KEYS for what the sender
  sent around the record (resource attributes, scope, trace and span ids in hex, flags, severity number, ...).
  A record attribute whose key is one of those moves under metadata["attributes"], so nothing is overwritten.
The mapped entry then goes through the same schema validation as every other entry.

A body that is not an ExportLogsServiceRequest at all is a DecodeError (400). A record with a malformed field
(e.g. a traceId that is not hex) becomes one `Undecodable` item: rejected and counted, its neighbours kept.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson

UNKNOWN_SERVICE = "unknown_service"
LEVEL_ALIASES = {
    "DEBUG": "DEBUG",
    "INFO": "INFO",
    "WARNING": "WARNING",
    "ERROR": "ERROR",
    "CRITICAL": "CRITICAL",
    "WARN": "WARNING",
    "FATAL": "CRITICAL",
    "TRACE": "DEBUG",
}
ENVELOPE_KEYS = frozenset(
    {
        "resource",  # resource attributes other than service.name
        "resource_schema_url",
        "scope",  # {"name", "version", "attributes", "schema_url"}, the keys that were sent
        "trace_id",
        "span_id",
        "flags",
        "severity_number",
        "severity_text",  # only when it differs from the level it mapped to
        "event_name",
        "observed_time",  # only when the record also had its own time
        "dropped_attributes_count",
        "attributes",  # record attributes whose keys collide with the ones above
    }
)


def level_for(severity_text: str, severity_number: int) -> str:
    if severity_text:
        level = LEVEL_ALIASES.get(severity_text.upper())
        if level is not None:
            return level
    if 1 <= severity_number <= 8:
        return "DEBUG"
    if 13 <= severity_number <= 16:
        return "WARNING"
    if 17 <= severity_number <= 20:
        return "ERROR"
    if 21 <= severity_number <= 24:
        return "CRITICAL"
    return "INFO"


@lru_cache(maxsize=4096)
def _second(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))


def rfc3339_from_ns(ns: int) -> str:
    """UTC epoch nanoseconds -> RFC 3339 with as many fraction digits as needed (0, 3, 6 or 9)."""
    seconds, frac = divmod(ns, 1_000_000_000)
    if not frac:
        return _second(seconds) + "Z"
    if not frac % 1_000_000:
        return f"{_second(seconds)}.{frac // 1_000_000:03d}Z"
    if not frac % 1_000:
        return f"{_second(seconds)}.{frac // 1_000:06d}Z"
    return f"{_second(seconds)}.{frac:09d}Z"


class BadField(ValueError):
    """One record (or one scope's records) cannot be mapped; the message says which field and why."""


@dataclass(frozen=True, slots=True)
class Scope:
    """What a ScopeLogs block shares with its records: the service and the envelope metadata."""

    service: str
    envelope: dict[str, Any]


def scope_context(
    resource_attrs: dict[str, Any],
    resource_schema_url: str,
    scope_name: str,
    scope_version: str,
    scope_attrs: dict[str, Any],
    scope_schema_url: str,
) -> Scope:
    attrs = dict(resource_attrs)
    service = attrs.pop("service.name", None)
    if not isinstance(service, str) or not service:
        if service is not None:
            attrs["service.name"] = service  # kept as sent, since it cannot name the service
        service = UNKNOWN_SERVICE
    envelope: dict[str, Any] = {}
    if attrs:
        envelope["resource"] = attrs
    if resource_schema_url:
        envelope["resource_schema_url"] = resource_schema_url
    scope = {
        key: value
        for key, value in (
            ("name", scope_name),
            ("version", scope_version),
            ("attributes", scope_attrs),
            ("schema_url", scope_schema_url),
        )
        if value
    }
    if scope:
        envelope["scope"] = scope
    return Scope(service, envelope)


def map_record(
    ctx: Scope,
    *,
    time_ns: int,
    observed_ns: int,
    received_ns: int,
    severity_number: int,
    severity_text: str,
    body: Any,
    attrs: dict[str, Any],
    trace_id: str,
    span_id: str,
    flags: int,
    event_name: str,
    dropped: int,
) -> dict[str, Any]:
    """One mapped entry. `attrs` must be a fresh dict: it becomes the metadata."""
    level = level_for(severity_text, severity_number)
    user_id: str | None = None
    for key in ("user.id", "enduser.id"):
        value = attrs.get(key)
        if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
            user_id = str(value)
            del attrs[key]
            break
    if isinstance(body, str):
        message = body
    elif body is None:
        message = event_name
    else:
        message = orjson.dumps(body).decode()
    meta = attrs
    clashes = None if ENVELOPE_KEYS.isdisjoint(meta) else {k: meta.pop(k) for k in ENVELOPE_KEYS & meta.keys()}
    meta.update(ctx.envelope)
    if clashes:
        meta["attributes"] = clashes
    if trace_id:
        meta["trace_id"] = trace_id
    if span_id:
        meta["span_id"] = span_id
    if flags:
        meta["flags"] = flags
    if severity_number:
        meta["severity_number"] = severity_number
    if severity_text and severity_text != level:
        meta["severity_text"] = severity_text
    if event_name:
        meta["event_name"] = event_name
    if time_ns and observed_ns and observed_ns != time_ns:
        meta["observed_time"] = rfc3339_from_ns(observed_ns)
    if dropped:
        meta["dropped_attributes_count"] = dropped
    entry: dict[str, Any] = {
        "timestamp": rfc3339_from_ns(time_ns or observed_ns or received_ns),
        "level": level,
        "service": ctx.service,
        "message": message,
    }
    if user_id is not None:
        entry["user_id"] = user_id
    if meta:
        entry["metadata"] = meta
    return entry


def finite(value: float) -> float | str:
    """Doubles as JSON can carry them: NaN and the infinities as proto3 JSON spells them."""
    if math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
