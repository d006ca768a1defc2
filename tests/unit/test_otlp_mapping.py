"""OTLP log record -> log entry mapping, for both encodings."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, InstrumentationScope, KeyValue, KeyValueList
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.resource.v1.resource_pb2 import Resource

from loglens.ingest import TooManyEntries
from loglens.ingest.otlp import level_for, rfc3339_from_ns
from loglens.ingest.otlp_json import decode_json
from loglens.ingest.otlp_protobuf import decode_protobuf
from loglens.validation import Undecodable, Validator

ARRIVAL_NS = 1_767_225_600_000_000_000  # 2026-01-01T00:00:00Z


def value(v: Any) -> AnyValue:
    if isinstance(v, bool):
        return AnyValue(bool_value=v)
    if isinstance(v, int):
        return AnyValue(int_value=v)
    if isinstance(v, float):
        return AnyValue(double_value=v)
    if isinstance(v, bytes):
        return AnyValue(bytes_value=v)
    if isinstance(v, dict):
        return AnyValue(kvlist_value=KeyValueList(values=attrs(v)))
    if isinstance(v, list):
        return AnyValue(array_value=ArrayValue(values=[value(x) for x in v]))
    return AnyValue(string_value=v)


def attrs(mapping: dict[str, Any]) -> list[KeyValue]:
    return [KeyValue(key=k, value=value(v)) for k, v in mapping.items()]


def request(*records: LogRecord, resource: dict[str, Any] | None = None, scope: dict[str, Any] | None = None) -> bytes:
    resource = {"service.name": "svc"} if resource is None else resource
    message = ExportLogsServiceRequest(
        resource_logs=[
            ResourceLogs(
                resource=Resource(attributes=attrs(resource)),
                scope_logs=[ScopeLogs(scope=InstrumentationScope(**(scope or {})), log_records=list(records))],
            )
        ]
    )
    return message.SerializeToString()


def one(data: bytes) -> Any:
    [item] = decode_protobuf(data, max_entries=100, received_ns=ARRIVAL_NS).items
    return item


def rec(body: Any = "hello", **fields: Any) -> LogRecord:
    extra = fields.pop("attributes", None)
    record = LogRecord(**fields)
    if body is not None:
        record.body.CopyFrom(value(body))
    if extra:
        record.attributes.extend(attrs(extra))
    return record


@pytest.mark.parametrize(
    ("text", "number", "level"),
    [
        ("ERROR", 0, "ERROR"),
        ("warn", 0, "WARNING"),
        ("Fatal", 0, "CRITICAL"),
        ("trace", 0, "DEBUG"),
        ("critical", 9, "CRITICAL"),
        ("NOTICE", 10, "INFO"),
        ("", 1, "DEBUG"),
        ("", 8, "DEBUG"),
        ("", 9, "INFO"),
        ("", 13, "WARNING"),
        ("", 17, "ERROR"),
        ("", 20, "ERROR"),
        ("", 21, "CRITICAL"),
        ("", 24, "CRITICAL"),
        ("", 0, "INFO"),
        ("", 99, "INFO"),
    ],
)
def test_level_from_severity_text_else_number_band(text: str, number: int, level: str) -> None:
    assert level_for(text, number) == level


def test_timestamps_are_rfc3339_utc_with_the_precision_sent() -> None:
    assert rfc3339_from_ns(ARRIVAL_NS) == "2026-01-01T00:00:00Z"
    assert rfc3339_from_ns(ARRIVAL_NS + 120_000_000) == "2026-01-01T00:00:00.120Z"
    assert rfc3339_from_ns(ARRIVAL_NS + 1_500) == "2026-01-01T00:00:00.000001500Z"
    assert rfc3339_from_ns(ARRIVAL_NS + 7_000) == "2026-01-01T00:00:00.000007Z"


def test_time_falls_back_to_observed_time_then_arrival() -> None:
    both = one(request(rec(time_unix_nano=ARRIVAL_NS + 10**9, observed_time_unix_nano=ARRIVAL_NS + 2 * 10**9)))
    assert both["timestamp"] == "2026-01-01T00:00:01Z"
    assert both["metadata"]["observed_time"] == "2026-01-01T00:00:02Z"
    assert one(request(rec(observed_time_unix_nano=ARRIVAL_NS + 3 * 10**9)))["timestamp"] == "2026-01-01T00:00:03Z"
    assert one(request(rec()))["timestamp"] == "2026-01-01T00:00:00Z"


def test_service_from_resource_with_fallback() -> None:
    assert one(request(rec(), resource={"service.name": "pay", "k8s.pod": "p1"}))["service"] == "pay"
    unnamed = one(request(rec(), resource={"host": "h"}))
    assert unnamed["service"] == "unknown_service" and unnamed["metadata"]["resource"] == {"host": "h"}
    odd = one(request(rec(), resource={"service.name": 5}))
    assert odd["service"] == "unknown_service" and odd["metadata"]["resource"] == {"service.name": 5}


def test_body_string_or_any_value_as_json_text() -> None:
    assert one(request(rec("plain")))["message"] == "plain"
    structured = one(request(rec({"event": "login", "ok": True, "n": [1, 2.5]})))
    assert orjson.loads(structured["message"]) == {"event": "login", "ok": True, "n": [1, 2.5]}
    assert one(request(rec(42)))["message"] == "42"
    assert one(request(rec(None, event_name="user.login")))["message"] == "user.login"


def test_user_id_from_user_id_then_enduser_id() -> None:
    first = one(request(rec(attributes={"user.id": "u1", "enduser.id": "e1"})))
    assert first["user_id"] == "u1" and first["metadata"]["enduser.id"] == "e1"
    assert one(request(rec(attributes={"enduser.id": "e2"})))["user_id"] == "e2"
    assert one(request(rec(attributes={"user.id": 7})))["user_id"] == "7"
    structured = one(request(rec(attributes={"user.id": ["a"]})))
    assert "user_id" not in structured and structured["metadata"]["user.id"] == ["a"]


def test_everything_else_goes_into_metadata() -> None:
    record = rec(
        time_unix_nano=ARRIVAL_NS,
        severity_number=13,
        severity_text="Warning!",
        trace_id=bytes(range(16)),
        span_id=bytes(range(8)),
        flags=1,
        dropped_attributes_count=2,
        attributes={"http.status": 503, "ratio": 0.5, "raw": b"\x00\x01", "tags": ["a", "b"]},
    )
    entry = one(request(record, resource={"service.name": "s", "region": "eu"}, scope={"name": "lib", "version": "2"}))
    assert entry["level"] == "WARNING"
    assert entry["metadata"] == {
        "http.status": 503,
        "ratio": 0.5,
        "raw": "AAE=",
        "tags": ["a", "b"],
        "resource": {"region": "eu"},
        "scope": {"name": "lib", "version": "2"},
        "trace_id": "000102030405060708090a0b0c0d0e0f",
        "span_id": "0001020304050607",
        "flags": 1,
        "severity_number": 13,
        "severity_text": "Warning!",
        "dropped_attributes_count": 2,
    }


def test_attributes_named_like_envelope_keys_move_under_attributes() -> None:
    entry = one(request(rec(attributes={"resource": "mine", "trace_id": "t", "other": 1}), resource={"a": "b"}))
    assert entry["metadata"]["resource"] == {"a": "b"}
    assert entry["metadata"]["attributes"] == {"resource": "mine", "trace_id": "t"}
    assert entry["metadata"]["other"] == 1


def test_mapped_entries_pass_schema_validation() -> None:
    entry = one(request(rec(time_unix_nano=ARRIVAL_NS + 123_456_789, attributes={"user.id": "u"})))
    assert Validator().problems(entry) == []


def test_json_and_protobuf_encodings_map_identically() -> None:
    data = request(
        rec(
            {"k": [1, "two"]},
            time_unix_nano=ARRIVAL_NS + 1,
            severity_number=17,
            trace_id=b"\xab" * 16,
            span_id=b"\xcd" * 8,
            attributes={"big": 2**62, "neg": -5, "f": 1.25, "flag": False, "b": b"\xff"},
        ),
        scope={"name": "s", "version": "1"},
    )
    as_json = MessageToDict(ExportLogsServiceRequest.FromString(data))  # base64 ids, int64 as strings, enum names
    from_json = decode_json(orjson.dumps(as_json), max_entries=10, received_ns=ARRIVAL_NS).items
    assert from_json == decode_protobuf(data, max_entries=10, received_ns=ARRIVAL_NS).items


def test_json_accepts_hex_ids_in_any_case_and_int64_as_numbers_or_strings() -> None:
    body = {
        "resourceLogs": [
            {
                "scopeLogs": [
                    {
                        "logRecords": [
                            {
                                "timeUnixNano": ARRIVAL_NS,
                                "observedTimeUnixNano": str(ARRIVAL_NS),
                                "severityNumber": 21,
                                "traceId": "ABCDEF00ABCDEF00ABCDEF00ABCDEF00",
                                "body": {"intValue": "12"},
                                "attributes": [{"key": "d", "value": {"doubleValue": "NaN"}}, {"key": "empty"}],
                            }
                        ]
                    }
                ]
            }
        ]
    }
    [entry] = decode_json(orjson.dumps(body), max_entries=10, received_ns=0).items
    assert entry["level"] == "CRITICAL" and entry["message"] == "12" and entry["service"] == "unknown_service"
    assert entry["metadata"]["trace_id"] == "abcdef00" * 4
    assert entry["metadata"]["d"] == "NaN" and entry["metadata"]["empty"] is None


def test_json_bad_field_rejects_only_its_record() -> None:
    records = [
        {"body": {"stringValue": "ok"}},
        {"timeUnixNano": "soon", "body": {"stringValue": "x"}},
        {"spanId": "abcd", "body": {"stringValue": "x"}},
        {"attributes": [{"value": {"stringValue": "no key"}}]},
        "not an object",
    ]
    body = {"resourceLogs": [{"scopeLogs": [{"logRecords": records}]}]}
    items = decode_json(orjson.dumps(body), max_entries=10, received_ns=ARRIVAL_NS).items

    assert items[0]["message"] == "ok"
    assert all(isinstance(item, Undecodable) for item in items[1:])
    reasons = [item.reason for item in items[1:]]
    assert "logRecords[1]: timeUnixNano" in reasons[0] and "spanId" in reasons[1]
    assert "key" in reasons[2] and "JSON object" in reasons[3]


def test_json_bad_scope_rejects_the_scopes_records() -> None:
    body = {"resourceLogs": [{"scopeLogs": [{"scope": {"attributes": 5}, "logRecords": [{}, {}]}]}]}
    items = decode_json(orjson.dumps(body), max_entries=10, received_ns=ARRIVAL_NS).items
    assert len(items) == 2 and all(isinstance(item, Undecodable) for item in items)


def test_record_count_limit() -> None:
    data = request(rec(), rec(), rec())
    with pytest.raises(TooManyEntries):
        decode_protobuf(data, max_entries=2, received_ns=0)
    as_json = orjson.dumps(MessageToDict(ExportLogsServiceRequest.FromString(data)))
    with pytest.raises(TooManyEntries):
        decode_json(as_json, max_entries=2, received_ns=0)
    assert len(decode_protobuf(data, max_entries=3, received_ns=0).items) == 3
