"""The official OpenTelemetry Python SDK exporting logs to a real `loglens serve` over OTLP/HTTP.

The SDK's OTLP/HTTP log exporter speaks protobuf only, so the JSON encoding is exercised with a request built
by hand per the OTLP specification (hex ids, int64 as strings, lowerCamelCase keys, integer enums).
"""

from __future__ import annotations

import logging
import warnings

import pytest
import requests
from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

from tests.support.live import LiveServer

pytestmark = pytest.mark.server


def provider_for(server: LiveServer, service: str, compression: Compression) -> LoggerProvider:
    resource = Resource.create({"service.name": service, "deployment.environment": "test"})
    provider = LoggerProvider(resource=resource, shutdown_on_exit=False)
    exporter = OTLPLogExporter(endpoint=f"{server.url}/v1/logs", compression=compression, timeout=10)
    provider.add_log_record_processor(BatchLogRecordProcessor(exporter, schedule_delay_millis=50))
    return provider


@pytest.mark.parametrize("compression", [Compression.NoCompression, Compression.Gzip])
def test_sdk_logger_records_arrive_with_service_level_message_and_attributes(
    server: LiveServer, compression: Compression
) -> None:
    service = f"otel-sdk-{compression.value}"
    provider = provider_for(server, service, compression)
    logger = provider.get_logger("checkout.payments", "2.1.0")
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("pay") as span:
        logger.emit(
            severity_number=SeverityNumber.WARN,
            severity_text="WARN",
            body="card declined",
            attributes={"user.id": "u-42", "payment.amount": 19.99, "retry": 2, "tags": ("a", "b")},
        )
    logger.emit(severity_number=SeverityNumber.ERROR, body={"event": "refund", "ok": False})
    logger.emit(severity_number=SeverityNumber.DEBUG2, body="cache miss", event_name="cache.miss")
    assert provider.force_flush(10_000)
    provider.shutdown()

    found = server.recent_logs(service)
    assert [(r["level"], r["service"]) for r in found] == [(lvl, service) for lvl in ("WARNING", "ERROR", "DEBUG")]
    declined, refund, miss = found
    assert declined["message"] == "card declined" and declined["user_id"] == "u-42"
    meta = declined["metadata"]
    assert meta["payment.amount"] == 19.99 and meta["retry"] == 2 and meta["tags"] == ["a", "b"]
    assert meta["resource"]["deployment.environment"] == "test"
    assert meta["resource"]["telemetry.sdk.language"] == "python"
    assert meta["scope"] == {"name": "checkout.payments", "version": "2.1.0"}
    assert meta["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert meta["span_id"] == format(span.get_span_context().span_id, "016x")
    assert meta["severity_number"] == SeverityNumber.WARN.value and meta["severity_text"] == "WARN"  # kept as sent
    assert refund["message"] == '{"event":"refund","ok":false}'
    assert miss["metadata"]["event_name"] == "cache.miss"


def test_stdlib_logging_through_the_sdk_handler(server: LiveServer) -> None:
    provider = provider_for(server, "otel-stdlib", Compression.Gzip)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the SDK's handler is deprecated, still widely used
        handler = LoggingHandler(level=logging.INFO, logger_provider=provider)
    log = logging.getLogger("otel.stdlib")
    log.propagate = False
    log.setLevel(logging.INFO)
    log.addHandler(handler)
    try:
        log.info("user %s signed in", "bob", extra={"user.id": "bob"})
        try:
            raise KeyError("missing")
        except KeyError:
            log.exception("lookup failed")
        assert provider.force_flush(10_000)
    finally:
        log.removeHandler(handler)
        provider.shutdown()

    signed_in, failed = server.recent_logs("otel-stdlib")
    assert (signed_in["level"], signed_in["message"], signed_in["user_id"]) == ("INFO", "user bob signed in", "bob")
    assert signed_in["metadata"]["scope"]["name"] == "otel.stdlib"
    assert failed["level"] == "ERROR" and failed["metadata"]["exception.type"] == "KeyError"
    assert "Traceback" in failed["metadata"]["exception.stacktrace"]


def test_hand_built_otlp_json_per_the_spec(server: LiveServer) -> None:
    body = {
        "resourceLogs": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "otel-json"}}]},
                "scopeLogs": [
                    {
                        "scope": {"name": "json.scope", "version": "0.1"},
                        "logRecords": [
                            {
                                "timeUnixNano": "1767225600250000000",
                                "severityNumber": 13,
                                "severityText": "Warning",
                                "body": {"stringValue": "queue is long"},
                                "traceId": "5B8EFFF798038103D269B633813FC60C",
                                "spanId": "EEE19B7EC3C1B174",
                                "attributes": [
                                    {"key": "queue.depth", "value": {"intValue": "1200"}},
                                    {"key": "enduser.id", "value": {"stringValue": "carol"}},
                                ],
                            },
                            {"severityNumber": 9, "body": {"stringValue": ""}},
                        ],
                    }
                ],
            }
        ]
    }
    response = requests.post(f"{server.url}/v1/logs", json=body, timeout=5)

    assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
    partial = response.json()["partialSuccess"]
    assert partial["rejectedLogRecords"] == 1 and "record 1" in partial["errorMessage"]
    [row] = server.recent_logs("otel-json")
    assert row["timestamp"] == "2026-01-01T00:00:00.250Z" and row["level"] == "WARNING"
    assert row["user_id"] == "carol" and row["metadata"]["queue.depth"] == 1200
    assert row["metadata"]["trace_id"] == "5b8efff798038103d269b633813fc60c"
