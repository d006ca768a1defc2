"""OTLP/HTTP logs in binary protobuf (`application/x-protobuf`): an ExportLogsServiceRequest, see otlp.py."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any

from google.protobuf.message import DecodeError as ProtobufDecodeError
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from ..validation import DEFAULT_ENTRY_BYTES
from . import Batch, DecodeError, TooManyEntries
from .otlp import finite, map_record, scope_context

PROTOBUF_TYPE = "application/x-protobuf"


def _pb_value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return value.string_value
    if kind == "int_value" or kind == "bool_value" or kind == "string_value_strindex":
        return getattr(value, kind)
    if kind == "double_value":
        return finite(value.double_value)
    if kind == "kvlist_value":
        return _pb_attributes(value.kvlist_value.values)
    if kind == "array_value":
        return [_pb_value(item) for item in value.array_value.values]
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode()
    return None


def _pb_attributes(pairs: Iterable[KeyValue]) -> dict[str, Any]:
    return {kv.key: _pb_value(kv.value) for kv in pairs}


def decode_protobuf(data: bytes, *, max_entries: int, received_ns: int) -> Batch:
    request = ExportLogsServiceRequest()
    try:
        request.ParseFromString(data)
    except ProtobufDecodeError as exc:
        raise DecodeError(f"the body is not a protobuf ExportLogsServiceRequest: {exc}") from None
    total = sum(len(sl.log_records) for rl in request.resource_logs for sl in rl.scope_logs)
    if total > max_entries:
        raise TooManyEntries(max_entries, "log records")
    items: list[Any] = []
    for rl in request.resource_logs:
        resource_attrs = _pb_attributes(rl.resource.attributes)
        for sl in rl.scope_logs:
            scope = sl.scope
            ctx = scope_context(
                resource_attrs,
                rl.schema_url,
                scope.name,
                scope.version,
                _pb_attributes(scope.attributes),
                sl.schema_url,
            )
            for rec in sl.log_records:
                items.append(
                    map_record(
                        ctx,
                        time_ns=rec.time_unix_nano,
                        observed_ns=rec.observed_time_unix_nano,
                        received_ns=received_ns,
                        severity_number=rec.severity_number,
                        severity_text=rec.severity_text,
                        body=_pb_value(rec.body) if rec.HasField("body") else None,
                        attrs=_pb_attributes(rec.attributes),
                        trace_id=rec.trace_id.hex(),
                        span_id=rec.span_id.hex(),
                        flags=rec.flags,
                        event_name=rec.event_name,
                        dropped=rec.dropped_attributes_count,
                    )
                )
    return Batch(items, "record")


class OtlpProtobufFormat:
    content_types: tuple[str, ...] = (PROTOBUF_TYPE,)

    def decode(
        self, data: bytes, *, max_entries: int, received_ns: int, max_entry_bytes: int = DEFAULT_ENTRY_BYTES
    ) -> Batch:
        return decode_protobuf(data, max_entries=max_entries, received_ns=received_ns)


OTLP_PROTOBUF = OtlpProtobufFormat()
