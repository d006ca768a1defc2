"""OTLP/HTTP request bodies (protobuf and JSON) for POST /v1/logs."""

from __future__ import annotations

from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.resource.v1.resource_pb2 import Resource

PROTOBUF = "application/x-protobuf"

T0_NS = 1_767_225_600_000_000_000  # 2026-01-01T00:00:00Z, the test clock's now


def kv(key: str, value: str | int) -> KeyValue:
    any_value = AnyValue(string_value=value) if isinstance(value, str) else AnyValue(int_value=value)
    return KeyValue(key=key, value=any_value)


def pb_request(*records: LogRecord, service: str = "checkout") -> ExportLogsServiceRequest:
    return ExportLogsServiceRequest(
        resource_logs=[
            ResourceLogs(
                resource=Resource(attributes=[kv("service.name", service), kv("host.name", "web-1")]),
                scope_logs=[ScopeLogs(log_records=list(records))],
            )
        ]
    )


def pb_record(message: str, *, severity: int = 9, **attributes: str | int) -> LogRecord:
    return LogRecord(
        time_unix_nano=T0_NS + 5_000_000,
        severity_number=severity,  # type: ignore[arg-type]
        body=AnyValue(string_value=message),
        attributes=[kv(k.replace("_", "."), v) for k, v in attributes.items()],
    )


def json_request(*records: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceLogs": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "json-svc"}}]},
                "scopeLogs": [{"scope": {"name": "app.module"}, "logRecords": list(records)}],
            }
        ]
    }
