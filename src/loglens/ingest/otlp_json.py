"""OTLP/HTTP logs in JSON (`application/json`): the proto3 JSON mapping with OTLP's deviations (hex trace and
span ids, integer enums, lowerCamelCase keys, int64 as numbers or strings); see otlp.py for the mapping.

Lenient where it costs nothing: base64 ids (the plain proto3 mapping some exporters send) and enum names are
accepted too.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson
from opentelemetry.proto.logs.v1.logs_pb2 import SeverityNumber

from ..validation import DEFAULT_ENTRY_BYTES, Undecodable, excerpt
from . import Batch, DecodeError, TooManyEntries
from .otlp import BadField, Scope, finite, map_record, scope_context

JSON_TYPE = "application/json"
# AnyValues nested deeper than this are refused while decoding (the validator applies ingest.max_metadata_depth,
# at most 200, to what is left); it keeps the recursion below well inside Python's limit.
MAX_VALUE_DEPTH = 200


def _json_int(value: Any, name: str, *, signed: bool = False, bits: int = 64) -> int:
    """An integer field of `bits` bits (int64 / uint64 / fixed32 ...), sent as a JSON number or a string."""
    if value is None:
        return 0
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str):
        try:
            number = int(value)
        except ValueError:
            number = None
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    if number is None or (number < 0 and not signed):
        raise BadField(f"{name}: expected {'an' if signed else 'a non-negative'} integer, got {excerpt(value)}")
    low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)
    if not low <= number <= high:
        raise BadField(f"{name}: {excerpt(value)} is out of range ({low} to {high})")
    return number


def _json_str(value: Any, name: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadField(f"{name}: expected a string, got {excerpt(value)}")
    return value


def _json_severity(value: Any) -> int:
    if isinstance(value, str) and value in SeverityNumber.keys():
        return int(SeverityNumber.Value(value))
    return _json_int(value, "severityNumber", bits=31)  # an enum: int32, and negative ones mean nothing


def _json_id(value: Any, size: int, name: str) -> str:
    """Hex (OTLP JSON); base64 (the plain proto3 mapping some exporters use) is accepted too."""
    text = _json_str(value, name)
    if not text:
        return ""
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
    if len(raw) != size:
        raise BadField(f"{name}: expected {size} bytes in hex, got {excerpt(text)}")
    return raw.hex()


def _json_double(value: Any) -> float | str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return finite(float(value))
    if isinstance(value, str):
        try:
            return finite(float(value))
        except ValueError:
            pass
    raise BadField(f"doubleValue: expected a number, got {excerpt(value)}")


def _json_value(value: Any, depth: int = 1) -> Any:
    if depth > MAX_VALUE_DEPTH:
        raise BadField(f"AnyValues nested deeper than {MAX_VALUE_DEPTH} levels")
    if not isinstance(value, dict):
        raise BadField(f"an AnyValue must be a JSON object, got {excerpt(value)}")
    for kind, raw in value.items():
        if kind == "stringValue":
            return _json_str(raw, kind)
        if kind == "intValue":
            return _json_int(raw, kind, signed=True)
        if kind == "boolValue":
            if not isinstance(raw, bool):
                raise BadField(f"boolValue: expected true or false, got {excerpt(raw)}")
            return raw
        if kind == "doubleValue":
            return _json_double(raw)
        if kind == "kvlistValue":
            return _json_attributes(_json_field(raw, "values"), "kvlistValue", depth + 1)
        if kind == "arrayValue":
            values = _json_field(raw, "values")
            if not isinstance(values, list):
                raise BadField(f"arrayValue.values: expected a list, got {excerpt(values)}")
            return [_json_value(item, depth + 1) for item in values]
        if kind == "bytesValue":
            return _json_str(raw, kind)  # base64 already, as metadata keeps bytes
    return None  # an empty AnyValue


def _json_field(obj: Any, key: str) -> Any:
    if obj is None:
        return None
    if not isinstance(obj, dict):
        raise BadField(f"expected a JSON object holding {excerpt(key)}, got {excerpt(obj)}")
    return obj.get(key)


def _json_attributes(pairs: Any, name: str, depth: int = 1) -> dict[str, Any]:
    if pairs is None:
        return {}
    if not isinstance(pairs, list):
        raise BadField(f"{name}: expected a list of key/value objects, got {excerpt(pairs)}")
    out: dict[str, Any] = {}
    for kv in pairs:
        if not isinstance(kv, dict) or not isinstance(kv.get("key"), str):
            raise BadField(f"{name}: each attribute needs a string 'key', got {excerpt(kv)}")
        raw = kv.get("value")
        out[kv["key"]] = None if raw is None else _json_value(raw, depth)
    return out


def _json_record(ctx: Scope, rec: Any, received_ns: int) -> dict[str, Any]:
    if not isinstance(rec, dict):
        raise BadField(f"a log record must be a JSON object, got {excerpt(rec)}")
    body = rec.get("body")
    return map_record(
        ctx,
        time_ns=_json_int(rec.get("timeUnixNano"), "timeUnixNano"),
        observed_ns=_json_int(rec.get("observedTimeUnixNano"), "observedTimeUnixNano"),
        received_ns=received_ns,
        severity_number=_json_severity(rec.get("severityNumber")),
        severity_text=_json_str(rec.get("severityText"), "severityText"),
        body=None if body is None else _json_value(body),
        attrs=_json_attributes(rec.get("attributes"), "attributes"),
        trace_id=_json_id(rec.get("traceId"), 16, "traceId"),
        span_id=_json_id(rec.get("spanId"), 8, "spanId"),
        flags=_json_int(rec.get("flags"), "flags", bits=32),
        event_name=_json_str(rec.get("eventName"), "eventName"),
        dropped=_json_int(rec.get("droppedAttributesCount"), "droppedAttributesCount", bits=32),
    )


def _jsonscope_context(rl: dict[str, Any], sl: dict[str, Any]) -> Scope:
    resource = rl.get("resource") or {}
    scope = sl.get("scope") or {}
    return scope_context(
        _json_attributes(_json_field(resource, "attributes"), "resource.attributes"),
        _json_str(rl.get("schemaUrl"), "schemaUrl"),
        _json_str(_json_field(scope, "name"), "scope.name"),
        _json_str(_json_field(scope, "version"), "scope.version"),
        _json_attributes(_json_field(scope, "attributes"), "scope.attributes"),
        _json_str(sl.get("schemaUrl"), "schemaUrl"),
    )


def _envelope_list(obj: dict[str, Any], key: str, where: str) -> list[Any]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise DecodeError(f"{where}.{key} must be a list, got {type(value).__name__}")
    return value


def _envelope_object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DecodeError(f"{where} must be a JSON object, got {type(value).__name__}")
    return value


def decode_json(data: bytes, *, max_entries: int, received_ns: int) -> Batch:
    try:
        root = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise DecodeError(f"malformed JSON: {exc}") from None
    root = _envelope_object(root, "the ExportLogsServiceRequest")
    blocks: list[tuple[str, dict[str, Any], dict[str, Any], list[Any]]] = []
    total = 0
    for ri, rl in enumerate(_envelope_list(root, "resourceLogs", "request")):
        rl = _envelope_object(rl, f"resourceLogs[{ri}]")
        for si, sl in enumerate(_envelope_list(rl, "scopeLogs", f"resourceLogs[{ri}]")):
            where = f"resourceLogs[{ri}].scopeLogs[{si}]"
            sl = _envelope_object(sl, where)
            records = _envelope_list(sl, "logRecords", where)
            total += len(records)
            if total > max_entries:
                raise TooManyEntries(max_entries, "log records")
            blocks.append((where, rl, sl, records))
    items: list[Any] = []
    for where, rl, sl, records in blocks:
        try:
            ctx = _jsonscope_context(rl, sl)
        except BadField as exc:
            items.extend(Undecodable(f"{where}: {exc}") for _ in records)
            continue
        for ki, rec in enumerate(records):
            try:
                items.append(_json_record(ctx, rec, received_ns))
            except BadField as exc:
                items.append(Undecodable(f"{where}.logRecords[{ki}]: {exc}"))
    return Batch(items, "record")


class OtlpJsonFormat:
    content_types: tuple[str, ...] = (JSON_TYPE,)

    def decode(
        self, data: bytes, *, max_entries: int, received_ns: int, max_entry_bytes: int = DEFAULT_ENTRY_BYTES
    ) -> Batch:
        return decode_json(data, max_entries=max_entries, received_ns=received_ns)


OTLP_JSON = OtlpJsonFormat()
