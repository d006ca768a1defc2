"""Hostile input gets a 4xx (or a rejected entry in bulk and OTLP), never a 500, never a silent change."""

from __future__ import annotations

import gzip
import json
from typing import Any

import orjson
import pytest
from flask import Flask
from flask.testing import FlaskClient
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue, KeyValueList

from tests.conftest import FakeClock
from tests.support.bulk import NDJSON, entry, ndjson, stats, stored_messages
from tests.support.json_entry import log
from tests.support.otlp import PROTOBUF, T0_NS, json_request, pb_record, pb_request


def deep_entry(depth: int, **changes: Any) -> bytes:
    """An entry whose metadata nests `depth` objects (too deep for orjson.dumps, so written by hand)."""
    head = orjson.dumps(changes or log())[:-1]
    return head + b',"metadata":' + b'{"k":' * depth + b"1" + b"}" * depth + b"}"


def post_json(client: FlaskClient, body: Any, *, gzipped: bool = False) -> Any:
    data = body if isinstance(body, bytes) else orjson.dumps(body)
    headers = {"Content-Encoding": "gzip"} if gzipped else {}
    return client.post(
        "/api/logs", data=gzip.compress(data) if gzipped else data, content_type="application/json", headers=headers
    )


# -- deep metadata and out-of-range numbers ----------------------------------------------------------------


@pytest.mark.parametrize("gzipped", [False, True])  # the fast path, and the Flask view
def test_metadata_nested_300_levels_is_400_naming_the_limit(client: FlaskClient, gzipped: bool) -> None:
    response = post_json(client, deep_entry(300), gzipped=gzipped)
    assert response.status_code == 400 and response.json["status"] == "invalid"
    assert "ingest.max_metadata_depth (16" in response.json["errors"][0]
    assert stats(client)["error_types"] == {"max_metadata_depth": 1}
    assert stored_messages(client) == []


def test_one_deep_entry_is_one_rejected_line_in_a_bulk_request(client: FlaskClient) -> None:
    body = ndjson(entry(0), deep_entry(300, **entry(1)), entry(2))
    response = client.post("/api/logs/bulk", data=body, content_type=NDJSON)
    assert response.status_code == 200
    assert response.json["accepted"] == 2 and response.json["rejected"] == 1
    assert response.json["errors"][0]["line"] == 2
    assert "max_metadata_depth" in response.json["errors"][0]["errors"][0]
    array_body = b"[" + deep_entry(300, **entry(3)) + b"," + orjson.dumps(entry(4)) + b"]"
    array = client.post("/api/logs/bulk", data=array_body, content_type="application/json")
    assert array.status_code == 200 and array.json["errors"][0]["index"] == 0 and array.json["accepted"] == 1
    assert stored_messages(client) == ["entry 0", "entry 2", "entry 4"]


DEEP_LIST = b"[" * 1000 + b"]" * 1000  # as deep as the JSON parser allows


@pytest.mark.parametrize(
    "body",
    [DEEP_LIST, orjson.dumps(log())[:-1] + b',"message":' + DEEP_LIST + b"}", b'{"x":' + DEEP_LIST + b"}"],
)
def test_values_nested_1000_levels_anywhere_are_rejected(client: FlaskClient, body: bytes) -> None:
    response = post_json(client, body)
    assert response.status_code == 400 and "nested too deeply" in response.json["errors"][-1]
    bulk = client.post("/api/logs/bulk", data=body, content_type=NDJSON)
    assert bulk.status_code == 200 and bulk.json["rejected"] == 1
    assert stats(client)["error_types"]["depth"] == 2


OUT_OF_RANGE = [
    {"attributes": [{"key": "big", "value": {"intValue": str(2**70)}}]},
    {"attributes": [{"key": "big", "value": {"intValue": 2**70}}]},
    {"severityNumber": 1e30},
    {"flags": 2**80},
    {"timeUnixNano": "1" * 30},
    {"observedTimeUnixNano": 2**64},
    {"droppedAttributesCount": 2**33},
]


@pytest.mark.parametrize("change", OUT_OF_RANGE)
def test_otlp_json_values_out_of_range_reject_only_their_record(client: FlaskClient, change: dict[str, Any]) -> None:
    good = {"timeUnixNano": str(T0_NS), "body": {"stringValue": "kept"}}
    bad = {"timeUnixNano": str(T0_NS), "body": {"stringValue": "out of range"}, **change}
    body = json.dumps(json_request(good, bad))  # the standard library writes integers of any size
    response = client.post("/v1/logs", data=body, content_type="application/json")
    assert response.status_code == 200
    partial = response.json["partialSuccess"]
    assert partial["rejectedLogRecords"] == 1 and "out of range" in partial["errorMessage"]
    assert stored_messages(client) == ["kept"]


def test_otlp_json_values_nested_too_deep_are_a_rejected_record(client: FlaskClient) -> None:
    value: dict[str, Any] = {"stringValue": "leaf"}
    for _ in range(240):  # ~960 JSON levels: within what the JSON parser accepts, past what the decoder walks
        value = {"arrayValue": {"values": [value]}}
    record = {"timeUnixNano": str(T0_NS), "body": value}
    response = client.post("/v1/logs", data=json.dumps(json_request(record)), content_type="application/json")
    assert response.status_code == 200 and response.json["partialSuccess"]["rejectedLogRecords"] == 1


# -- size, key and string limits, configurable ------------------------------------------------------------


def test_single_entry_over_max_entry_bytes_is_413_and_echoes_nothing(client: FlaskClient) -> None:
    for gzipped in (False, True):
        response = post_json(client, log(message="x" * 200_000), gzipped=gzipped)
        assert response.status_code == 413 and len(response.data) < 300
        assert "over ingest.max_entry_bytes (65536)" in response.json["error"]
    assert stored_messages(client) == [] and stats(client)["total"] == 0


def test_bulk_lines_over_max_entry_bytes_are_rejected_unparsed(client: FlaskClient) -> None:
    body = ndjson(entry(0), entry(1, message="y" * 70_000), entry(2)) + b"{" + b" " * 70_000 + b"\n"
    response = client.post("/api/logs/bulk", data=body, content_type=NDJSON)
    assert response.status_code == 200 and response.json["accepted"] == 2 and len(response.data) < 1000
    assert [e["line"] for e in response.json["errors"]] == [2, 4]
    assert all("over ingest.max_entry_bytes" in e["errors"][0] for e in response.json["errors"])
    assert stats(client)["error_types"] == {"max_entry_bytes": 2}


def test_array_entries_over_max_entry_bytes_are_measured_and_rejected(client: FlaskClient) -> None:
    wide = entry(1, metadata={f"key-{i}": "v" * 1000 for i in range(100)})  # each string and key count is fine
    response = client.post("/api/logs/bulk", json=[entry(0), wide])
    assert response.status_code == 200 and response.json["accepted"] == 1
    assert "over ingest.max_entry_bytes" in response.json["errors"][0]["errors"][0]


def test_otlp_records_over_the_limits_are_rejected_records(client: FlaskClient) -> None:
    request = pb_request(pb_record("fine"), pb_record("z" * 40_000), pb_record("also fine"))
    response = client.post("/v1/logs", data=request.SerializeToString(), content_type=PROTOBUF)
    assert response.status_code == 200
    partial = ExportLogsServiceResponse.FromString(response.data).partial_success
    assert partial.rejected_log_records == 1 and "ingest.max_string_chars" in partial.error_message
    assert len(partial.error_message) < 1000
    assert stored_messages(client) == ["fine", "also fine"]


def test_limits_are_configurable(make_app: Any) -> None:
    app: Flask = make_app(
        {"ingest": {"max_entry_bytes": 400, "max_metadata_depth": 2, "max_metadata_keys": 3, "max_string_chars": 30}}
    )
    client = app.test_client()
    assert post_json(client, log(metadata={"a": {"b": 1}})).status_code == 201
    cases = {
        "max_metadata_depth (2": log(metadata={"a": {"b": {"c": 1}}}),
        "max_metadata_keys (3)": log(metadata={"a": 1, "b": 2, "c": 3, "d": 4}),
        "max_string_chars (30)": log(message="m" * 31),
    }
    for fragment, body in cases.items():
        response = post_json(client, body)
        assert response.status_code == 400 and fragment in response.json["errors"][0], fragment
    fits = log(metadata={str(i): {"a": "x" * 30, "b": "y" * 30} for i in range(3)}, message="m" * 30, service="s" * 27)
    assert 380 < len(orjson.dumps(fits)) <= 400 and post_json(client, fits).status_code == 201
    over = log(
        metadata={str(i): {"a": "x" * 30, "b": "y" * 30} for i in range(3)}, message="m" * 30 + "!" * 20, user_id="u"
    )
    assert len(orjson.dumps(over)) > 400 and post_json(client, over).status_code == 413


# -- NUL ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/logs", "/api/logs/bulk"])
def test_nul_in_message_and_metadata_is_stored_faithfully(client: FlaskClient, path: str) -> None:
    body = log(message="before\u0000after\u0000", metadata={"k": "a\u0000b", "n\u0000k": 1})
    data = orjson.dumps(body) if path == "/api/logs" else ndjson(body)
    response = client.post(path, data=data, content_type="application/json" if path == "/api/logs" else NDJSON)
    assert response.status_code in (200, 201) and response.json.get("accepted", 1) == 1
    [row] = client.get("/api/advanced-dashboard-data").json["recent_logs"]
    assert row["message"] == "before\u0000after\u0000"
    assert row["metadata"] == {"k": "a\u0000b", "n\u0000k": 1}


@pytest.mark.parametrize("field", ["service", "user_id"])
def test_nul_in_service_or_user_id_is_400(client: FlaskClient, field: str) -> None:
    response = post_json(client, log(**{field: "svc\u0000evil"}))
    assert response.status_code == 400 and f"{field}: must not contain NUL" in response.json["errors"][0]
    assert stored_messages(client) == []


# -- too many services -------------------------------------------------------------------------------------


def test_services_past_max_services_are_rejected_per_entry(make_app: Any, clock: FakeClock) -> None:
    app: Flask = make_app({"ingest": {"max_services": 3}}, clock=clock)
    client = app.test_client()
    items = [entry(i, service=f"svc-{i % 5}") for i in range(10)]
    response = client.post("/api/logs/bulk", data=ndjson(*items), content_type=NDJSON)
    assert response.json["accepted"] == 6 and response.json["rejected"] == 4
    assert [e["line"] for e in response.json["errors"]] == [4, 5, 9, 10]
    assert "ingest.max_services (3)" in response.json["errors"][0]["errors"][0]
    single = post_json(client, log(service="svc-new"))
    assert single.status_code == 400 and "ingest.max_services (3)" in single.json["errors"][0]
    assert post_json(client, log(service="svc-1")).status_code == 201
    assert stats(client)["error_types"] == {"max_services": 5}
    app.extensions["loglens"].close()
    again = make_app({"ingest": {"max_services": 3}}, clock=clock).test_client()  # the cap survives a restart
    assert post_json(again, log(service="svc-other")).status_code == 400
    assert sorted(again.get("/api/advanced-dashboard-data").json["service_health"]) == ["svc-0", "svc-1", "svc-2"]


def test_dashboard_lists_at_most_max_health_services(make_app: Any, clock: FakeClock) -> None:
    # min_events 1: one ERROR entry makes its service degraded (health.py's one definition)
    app: Flask = make_app({"analytics": {"max_health_services": 3}, "alerting": {"min_events": 1}}, clock=clock)
    client = app.test_client()
    items = [entry(i, service=f"svc-{i:02d}", level="ERROR" if i == 7 else "INFO") for i in range(12)]
    items += [entry(100 + i, service="svc-05") for i in range(3)]
    assert client.post("/api/logs/bulk", data=ndjson(*items), content_type=NDJSON).json["accepted"] == 15
    data = client.get("/api/advanced-dashboard-data").json
    assert data["summary"]["active_services"] == 12
    assert list(data["service_health"]) == ["svc-00", "svc-05", "svc-07"]  # degraded first, then the busiest
    assert data["service_health"]["svc-07"]["status"] == "degraded"
    assert data["service_health_omitted"] == 9
    filtered = client.get("/api/advanced-dashboard-data?service=svc-11").json
    assert "svc-11" in filtered["service_health"] and filtered["service_health_omitted"] == 8


# -- every error is JSON; the seed's 400 shape -------------------------------------------------------------


@pytest.mark.parametrize("path", ["/static//x", "//api/logs", "/api//alerts", "/static//js/main.js"])
def test_double_slashes_are_a_json_404_never_a_redirect(client: FlaskClient, path: str) -> None:
    # an allowed Host: routing itself must not redirect (another Host is refused earlier, by server.allowed_hosts)
    response = client.get(path, headers={"Host": "localhost"})
    assert response.status_code == 404 and response.json == {"status": "error", "error": "no such endpoint"}
    assert "Location" not in response.headers


@pytest.mark.parametrize("method", ["GET", "POST"])  # POST: not the fast path's /api/logs either
@pytest.mark.parametrize("path", ["//api/logs", "///api/logs", "//health", "//"])
def test_a_path_starting_with_two_slashes_is_not_found(client: FlaskClient, path: str, method: str) -> None:
    # PATH_INFO as a server gives it (the test client would read `//api` as a host); werkzeug strips leading slashes
    response = client.open("/", method=method, data=b"{}", environ_overrides={"PATH_INFO": path})
    assert response.status_code == 404 and response.json == {"status": "error", "error": "no such endpoint"}


def test_no_route_can_redirect_to_add_a_trailing_slash(app: Flask) -> None:
    # a rule ending in "/" redirects a path without it, unless it matches both (strict_slashes off: /elasticsearch/)
    redirecting = [
        r.rule for r in app.url_map.iter_rules() if r.rule.endswith("/") and r.rule != "/" and r.strict_slashes
    ]
    assert redirecting == []
    client = app.test_client()
    assert client.get("/elasticsearch").status_code == client.get("/elasticsearch/").status_code == 200


BAD_BODIES = [b'{"level": ', b"", b"   ", b"[1, 2]", b'"text"', b"42", b"null", b"\xff\xfe"]


@pytest.mark.parametrize("gzipped", [False, True])
@pytest.mark.parametrize("body", BAD_BODIES)
def test_every_400_of_post_api_logs_has_the_seed_shape(client: FlaskClient, body: bytes, gzipped: bool) -> None:
    data = gzip.compress(body) if gzipped else body
    headers = {"Content-Encoding": "gzip"} if gzipped else {}
    response = client.post("/api/logs", data=data, content_type="application/json", headers=headers)
    assert response.status_code == 400 and response.mimetype == "application/json"
    assert set(response.json) == {"status", "errors"} and response.json["status"] == "invalid"
    assert response.json["errors"] and all(isinstance(e, str) and e for e in response.json["errors"])


@pytest.mark.parametrize("gzipped", [False, True])
def test_a_body_shorter_than_its_content_length_is_a_400_in_the_seed_shape(client: FlaskClient, gzipped: bool) -> None:
    headers = {"Content-Encoding": "gzip"} if gzipped else {}
    response = client.post(
        "/api/logs",
        data=orjson.dumps(log()),
        content_type="application/json",
        headers=headers,
        environ_overrides={"CONTENT_LENGTH": "1000"},  # werkzeug's own 400: the client went away mid-body
    )
    assert response.status_code == 400 and response.json["status"] == "invalid" and response.json["errors"]
    assert stored_messages(client) == []


def test_a_huge_rejected_value_is_quoted_only_as_an_excerpt(client: FlaskClient) -> None:
    huge = "x" * 2_000_000  # under server.max_body_bytes, far over every ingest limit
    for path, body in [
        ("/api/logs/bulk", [entry(0, message=huge)]),
        ("/v1/logs", json_request({"body": {"stringValue": huge}})),
    ]:
        response = client.post(path, data=orjson.dumps(body), content_type="application/json")
        assert response.status_code == 200 and len(response.data) < 2000, path
        assert "ingest.max_string_chars (32768)" in response.get_data(as_text=True)


def test_otlp_protobuf_attributes_nested_past_the_depth_limit_reject_their_record(client: FlaskClient) -> None:
    value = AnyValue(string_value="leaf")
    for _ in range(20):  # metadata depth 21: past ingest.max_metadata_depth, within protobuf's own nesting limit
        value = AnyValue(kvlist_value=KeyValueList(values=[KeyValue(key="k", value=value)]))
    deep = pb_record("deep")
    deep.attributes.append(KeyValue(key="nested", value=value))
    request = pb_request(pb_record("kept"), deep)
    response = client.post("/v1/logs", data=request.SerializeToString(), content_type=PROTOBUF)
    assert response.status_code == 200
    partial = ExportLogsServiceResponse.FromString(response.data).partial_success
    assert partial.rejected_log_records == 1 and "ingest.max_metadata_depth" in partial.error_message
    assert stored_messages(client) == ["kept"]
