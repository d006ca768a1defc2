"""POST /v1/logs through the Flask test client: OTLP/HTTP protobuf and JSON, per the OTLP specification."""

from __future__ import annotations

import gzip
from typing import Any

import orjson
from flask.testing import FlaskClient
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceResponse,
)
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord

from tests.support.otlp import PROTOBUF, T0_NS, json_request, pb_record, pb_request


def recent(client: FlaskClient) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = client.get("/api/advanced-dashboard-data").get_json()["recent_logs"]
    return list(reversed(rows))


def test_protobuf_export_is_stored_and_answered_in_protobuf(client: FlaskClient) -> None:
    request = pb_request(pb_record("paid", severity=17, user_id="u-9", order_id=77))
    response = client.post("/v1/logs", data=request.SerializeToString(), content_type=PROTOBUF)

    assert response.status_code == 200 and response.mimetype == PROTOBUF
    answer = ExportLogsServiceResponse.FromString(response.data)
    assert not answer.HasField("partial_success")
    [row] = recent(client)
    assert row["service"] == "checkout" and row["level"] == "ERROR" and row["message"] == "paid"
    assert row["user_id"] == "u-9" and row["timestamp"] == "2026-01-01T00:00:00.005Z"
    assert row["metadata"]["order.id"] == 77
    assert row["metadata"]["resource"] == {"host.name": "web-1"}
    assert row["metadata"]["severity_number"] == 17


def test_protobuf_partial_success_counts_rejected_records(client: FlaskClient) -> None:
    request = pb_request(pb_record("ok"), pb_record(""), pb_record("fine"), LogRecord())
    response = client.post("/v1/logs", data=request.SerializeToString(), content_type=PROTOBUF)

    assert response.status_code == 200
    partial = ExportLogsServiceResponse.FromString(response.data).partial_success
    assert partial.rejected_log_records == 2
    assert "2 of 4 log records rejected" in partial.error_message and "record 1" in partial.error_message
    assert [row["message"] for row in recent(client)] == ["ok", "fine"]
    stats = client.get("/api/validation-stats").get_json()
    assert stats["total"] == 4 and stats["invalid"] == 2


def test_gzip_protobuf_is_accepted(client: FlaskClient) -> None:
    body = gzip.compress(pb_request(pb_record("zipped")).SerializeToString())
    response = client.post("/v1/logs", data=body, content_type=PROTOBUF, headers={"Content-Encoding": "gzip"})
    assert response.status_code == 200
    assert [row["message"] for row in recent(client)] == ["zipped"]


def test_json_export_full_success_answers_empty_object(client: FlaskClient) -> None:
    record = {
        "timeUnixNano": str(T0_NS),
        "severityText": "warn",
        "body": {"stringValue": "disk at 91%"},
        "traceId": "5B8EFFF798038103D269B633813FC60C",
        "spanId": "EEE19B7EC3C1B174",
        "attributes": [{"key": "enduser.id", "value": {"stringValue": "alice"}}],
    }
    response = client.post("/v1/logs", json=json_request(record))

    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_json() == {}
    [row] = recent(client)
    assert row["level"] == "WARNING" and row["service"] == "json-svc" and row["user_id"] == "alice"
    assert row["metadata"]["trace_id"] == "5b8efff798038103d269b633813fc60c"
    assert row["metadata"]["span_id"] == "eee19b7ec3c1b174"
    assert row["metadata"]["scope"] == {"name": "app.module"}
    assert row["metadata"]["severity_text"] == "warn"


def test_json_partial_success(client: FlaskClient) -> None:
    good = {"body": {"stringValue": "fine"}}
    bad_id = {"body": {"stringValue": "x"}, "traceId": "not-hex"}
    no_body = {"severityNumber": 9}
    response = client.post("/v1/logs", json=json_request(good, bad_id, no_body))

    partial = response.get_json()["partialSuccess"]
    assert response.status_code == 200
    assert partial["rejectedLogRecords"] == 2
    assert "traceId" in partial["errorMessage"] and "record 2" in partial["errorMessage"]
    [row] = recent(client)
    assert row["timestamp"] == "2026-01-01T00:00:00Z"  # no time sent: arrival time


def test_protobuf_garbage_is_400_with_a_protobuf_status(client: FlaskClient) -> None:
    response = client.post("/v1/logs", data=b"\xff\xff\xff\xffnot protobuf", content_type=PROTOBUF)

    assert response.status_code == 400 and response.mimetype == PROTOBUF
    status = Status.FromString(response.data)
    assert "ExportLogsServiceRequest" in status.message and status.code == 3


def test_malformed_json_is_400_with_a_json_status(client: FlaskClient) -> None:
    response = client.post("/v1/logs", data=b"{nope", content_type="application/json")
    assert response.status_code == 400
    assert "malformed JSON" in response.get_json()["message"]

    wrong_shape = client.post("/v1/logs", json={"resourceLogs": {"not": "a list"}})
    assert wrong_shape.status_code == 400 and "resourceLogs" in wrong_shape.get_json()["message"]


def test_empty_request_is_a_success(client: FlaskClient) -> None:
    response = client.post("/v1/logs", data=b"", content_type=PROTOBUF)
    assert response.status_code == 200 and response.data == b""
    assert client.post("/v1/logs", json={}).get_json() == {}


def test_other_content_types_are_415(client: FlaskClient) -> None:
    response = client.post("/v1/logs", data=b"{}", content_type="text/plain")
    assert response.status_code == 415 and "application/x-protobuf" in response.get_json()["message"]


def test_too_many_records_is_413(make_app: Any) -> None:
    client = make_app({"ingest": {"max_batch_entries": 3}}).test_client()
    request = pb_request(*(pb_record(f"r{i}") for i in range(4)))
    response = client.post("/v1/logs", data=request.SerializeToString(), content_type=PROTOBUF)

    assert response.status_code == 413
    assert "ingest.max_batch_entries" in Status.FromString(response.data).message


def test_gzip_bomb_is_413_with_a_status(make_app: Any) -> None:
    client = make_app({"server": {"max_body_bytes": 32 * 1024}}).test_client()
    bomb = gzip.compress(b"\x00" * (4 * 1024 * 1024))
    response = client.post("/v1/logs", data=bomb, content_type=PROTOBUF, headers={"Content-Encoding": "gzip"})

    assert response.status_code == 413
    assert "server.max_body_bytes" in Status.FromString(response.data).message


def test_oversized_raw_body_is_413_with_a_json_status(make_app: Any) -> None:
    client = make_app({"server": {"max_body_bytes": 100}}).test_client()
    response = client.post("/v1/logs", data=orjson.dumps(json_request(*([{}] * 20))), content_type="application/json")
    assert response.status_code == 413 and "server.max_body_bytes" in response.get_json()["message"]
