"""Every decoder, fed arbitrary input by Hypothesis, answers a 2xx or a 4xx: never a 5xx, a hang, or runaway memory.

Through the Flask test client (and so the fast path too): JSON (`POST /api/logs`), NDJSON and JSON arrays
(`/api/logs/bulk`), OTLP JSON and protobuf (`/v1/logs`), each also gzip'd. Raw bytes find the framing bugs;
structured values (any JSON, OTLP envelopes with any AnyValue) reach the mapping and validation code that random
bytes rarely get past the parser to. Example counts are bounded so each test takes a few seconds.
"""

from __future__ import annotations

import gzip
import tracemalloc
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue, KeyValueList
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.resource.v1.resource_pb2 import Resource

from loglens.app import create_app

MAX_BODY = 64 * 1024
MEMORY_BOUND = 32 * 1024 * 1024  # what one request may allocate at its peak, for bodies of at most MAX_BODY
FUZZ = settings(
    max_examples=60,
    deadline=5000,  # ms per example: a hang fails here, long before pytest-timeout
    database=None,  # nothing written into the work tree
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
ENDPOINTS = [  # (path, content type, statuses a well-behaved server may answer)
    ("/api/logs", "application/json", {201, 400, 413}),
    ("/api/logs/bulk", "application/x-ndjson", {200, 400, 413}),
    ("/api/logs/bulk", "application/json", {200, 400, 413}),
    ("/v1/logs", "application/json", {200, 400, 413}),
    ("/v1/logs", "application/x-protobuf", {200, 400, 413}),
]


@pytest.fixture(scope="module")
def fuzz_app() -> Iterator[Flask]:
    app = create_app(
        {
            "storage": {"path": ":memory:"},
            "server": {"max_body_bytes": MAX_BODY},
            "ingest": {"max_batch_entries": 200},
        },
        start_jobs=False,
    )
    app.config["TESTING"] = True
    yield app
    app.extensions["loglens"].close()


def send(client: FlaskClient, path: str, content_type: str, data: bytes, *, gzipped: bool = False) -> Any:
    headers = {"Content-Encoding": "gzip"} if gzipped else {}
    tracemalloc.start()
    try:
        response = client.post(path, data=data, content_type=content_type, headers=headers)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_BOUND, f"{path} allocated {peak} bytes for a {len(data)}-byte body"
    return response


def check(response: Any, path: str, content_type: str, allowed: set[int]) -> None:
    assert response.status_code in allowed, (path, content_type, response.status_code, response.data[:300])
    if content_type == "application/x-protobuf":
        assert response.mimetype == "application/x-protobuf"
    else:
        assert response.mimetype == "application/json"
        body = orjson.loads(response.data)
        if response.status_code >= 400 and path != "/v1/logs":
            assert body.get("error") or body.get("errors")


@pytest.mark.parametrize(("path", "content_type", "allowed"), ENDPOINTS)
@FUZZ
@given(data=st.binary(max_size=2048), gzipped=st.booleans())
def test_arbitrary_bytes_get_a_2xx_or_4xx(
    fuzz_app: Flask, path: str, content_type: str, allowed: set[int], data: bytes, gzipped: bool
) -> None:
    client = fuzz_app.test_client()
    check(send(client, path, content_type, data, gzipped=gzipped), path, content_type, allowed)


@pytest.mark.parametrize(("path", "content_type", "allowed"), ENDPOINTS)
@FUZZ
@given(data=st.binary(max_size=2048))
def test_arbitrary_bytes_in_valid_gzip_get_a_2xx_or_4xx(
    fuzz_app: Flask, path: str, content_type: str, allowed: set[int], data: bytes
) -> None:
    client = fuzz_app.test_client()
    response = send(client, path, content_type, gzip.compress(data), gzipped=True)
    check(response, path, content_type, allowed)


@FUZZ
@given(size=st.integers(min_value=MAX_BODY - 10, max_value=MAX_BODY * 40), fill=st.sampled_from([b" ", b"{", b"\n"]))
def test_gzip_bombs_are_413_within_bounded_memory(fuzz_app: Flask, size: int, fill: bytes) -> None:
    client = fuzz_app.test_client()
    for path, content_type, allowed in ENDPOINTS:
        response = send(client, path, content_type, gzip.compress(fill * size), gzipped=True)
        check(response, path, content_type, allowed)
        if size > MAX_BODY:
            assert response.status_code == 413


BOUNDARIES = st.sampled_from([2**31, 2**32, 2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63) - 1, 2**70, 10**30, 1e30])
JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()  # any size: past 64 bits too
    | BOUNDARIES
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=30,
)
GOOD_ENTRY = {"timestamp": "2026-01-01T00:00:00Z", "level": "INFO", "service": "fuzz", "message": "m"}
ENTRY_LIKE = st.fixed_dictionaries(  # a valid entry with some fields replaced, so that more of them get stored
    {},
    optional={
        "timestamp": st.sampled_from(["2026-01-01T00:00:00Z", "2026-13-01T00:00:00Z", "9999-12-31T23:59:59+14:00"])
        | st.text(max_size=30),
        "level": st.sampled_from(["INFO", "ERROR", "info", ""]) | JSON_SCALARS,
        "service": st.text(max_size=20) | JSON_SCALARS,
        "message": st.text(max_size=60) | JSON_SCALARS,
        "user_id": st.text(max_size=20) | JSON_SCALARS,
        "metadata": JSON_VALUES,
        "extra": JSON_SCALARS,
    },
).map(lambda changes: {**GOOD_ENTRY, **changes})


def dumps(value: Any) -> bytes:
    """JSON for any generated value, integers past 64 bits included (orjson refuses those)."""
    import json

    return json.dumps(value).encode()


@FUZZ
@given(value=ENTRY_LIKE | JSON_VALUES, gzipped=st.booleans())
def test_any_json_value_as_one_entry(fuzz_app: Flask, value: Any, gzipped: bool) -> None:
    client = fuzz_app.test_client()
    data = dumps(value)
    data = gzip.compress(data) if gzipped else data
    response = send(client, "/api/logs", "application/json", data, gzipped=gzipped)
    check(response, "/api/logs", "application/json", {201, 400, 413})
    if response.status_code == 400:
        assert response.json["status"] == "invalid" and response.json["errors"]


@FUZZ
@given(values=st.lists(ENTRY_LIKE | JSON_VALUES, max_size=8), as_array=st.booleans())
def test_any_json_values_in_bulk(fuzz_app: Flask, values: list[Any], as_array: bool) -> None:
    client = fuzz_app.test_client()
    if as_array:
        response = send(client, "/api/logs/bulk", "application/json", dumps(values))
    else:
        body = b"\n".join(dumps(v) for v in values)
        response = send(client, "/api/logs/bulk", "application/x-ndjson", body)
    check(response, "/api/logs/bulk", "application/json", {200, 400, 413})
    if response.status_code == 200:
        assert response.json["accepted"] + response.json["rejected"] == len(values)


NUMBERISH = BOUNDARIES | BOUNDARIES.map(str) | st.integers() | st.floats(allow_nan=False) | st.text(max_size=32)
ANY_VALUE_JSON = st.recursive(
    st.fixed_dictionaries({}, optional={"stringValue": JSON_SCALARS})
    | st.fixed_dictionaries({"intValue": NUMBERISH | JSON_SCALARS})
    | st.fixed_dictionaries({"doubleValue": JSON_SCALARS})
    | st.fixed_dictionaries({"boolValue": JSON_SCALARS})
    | st.fixed_dictionaries({"bytesValue": JSON_SCALARS})
    | JSON_SCALARS,
    lambda inner: (
        st.fixed_dictionaries({"arrayValue": st.fixed_dictionaries({"values": st.lists(inner, max_size=3)})})
        | st.fixed_dictionaries(
            {
                "kvlistValue": st.fixed_dictionaries(
                    {
                        "values": st.lists(
                            st.fixed_dictionaries({"key": st.text(max_size=8), "value": inner}), max_size=3
                        )
                    }
                )
            }
        )
    ),
    max_leaves=20,
)
GOOD_RECORD = {"timeUnixNano": "1767225600000000000", "body": {"stringValue": "m"}}
OTLP_RECORD = st.fixed_dictionaries(  # a valid record with some fields replaced, so that more of them get stored
    {},
    optional={
        "timeUnixNano": NUMBERISH,
        "observedTimeUnixNano": NUMBERISH,
        "severityNumber": NUMBERISH,
        "severityText": JSON_SCALARS,
        "body": ANY_VALUE_JSON,
        "attributes": st.lists(st.fixed_dictionaries({"key": st.text(max_size=8), "value": ANY_VALUE_JSON}), max_size=3)
        | JSON_SCALARS,
        "traceId": st.text(alphabet="0123456789abcdefXYZ=", max_size=34) | JSON_SCALARS,
        "spanId": st.text(alphabet="0123456789abcdef", max_size=18) | JSON_SCALARS,
        "flags": NUMBERISH,
        "droppedAttributesCount": NUMBERISH,
        "eventName": JSON_SCALARS,
    },
).map(lambda changes: {**GOOD_RECORD, **changes})


@FUZZ
@given(records=st.lists(OTLP_RECORD | JSON_VALUES, max_size=5), resource=st.lists(ANY_VALUE_JSON, max_size=2))
def test_any_otlp_json_envelope(fuzz_app: Flask, records: list[Any], resource: list[Any]) -> None:
    attributes = [{"key": "service.name", "value": v} for v in resource]
    body = {"resourceLogs": [{"resource": {"attributes": attributes}, "scopeLogs": [{"logRecords": records}]}]}
    response = send(fuzz_app.test_client(), "/v1/logs", "application/json", dumps(body))
    check(response, "/v1/logs", "application/json", {200, 400, 413})


def any_value(depth: int = 0) -> st.SearchStrategy[AnyValue]:
    leaves = st.one_of(
        st.text(max_size=40).map(lambda v: AnyValue(string_value=v)),
        st.integers(-(2**63), 2**63 - 1).map(lambda v: AnyValue(int_value=v)),
        st.floats().map(lambda v: AnyValue(double_value=v)),
        st.booleans().map(lambda v: AnyValue(bool_value=v)),
        st.binary(max_size=20).map(lambda v: AnyValue(bytes_value=v)),
        st.just(AnyValue()),
    )
    if depth >= 3:
        return leaves
    inner = st.deferred(lambda: any_value(depth + 1))
    return st.one_of(
        leaves,
        st.lists(inner, max_size=3).map(lambda vs: AnyValue(array_value=ArrayValue(values=vs))),
        st.lists(st.tuples(st.text(max_size=8), inner), max_size=3).map(
            lambda kvs: AnyValue(kvlist_value=KeyValueList(values=[KeyValue(key=k, value=v) for k, v in kvs]))
        ),
    )


PB_RECORD = st.builds(
    LogRecord,
    time_unix_nano=st.integers(0, 2**64 - 1),
    observed_time_unix_nano=st.integers(0, 2**64 - 1),
    severity_number=st.integers(-(2**31), 2**31 - 1),
    severity_text=st.text(max_size=10),
    body=any_value(),
    attributes=st.lists(st.builds(KeyValue, key=st.text(max_size=10), value=any_value()), max_size=3),
    trace_id=st.binary(max_size=17),
    span_id=st.binary(max_size=9),
    flags=st.integers(0, 2**32 - 1),
    event_name=st.text(max_size=10),
)


@FUZZ
@given(
    records=st.lists(PB_RECORD, max_size=5),
    service=st.builds(KeyValue, key=st.sampled_from(["service.name", "x"]), value=any_value()),
    gzipped=st.booleans(),
)
def test_any_otlp_protobuf_request(fuzz_app: Flask, records: list[LogRecord], service: KeyValue, gzipped: bool) -> None:
    request = ExportLogsServiceRequest(
        resource_logs=[
            ResourceLogs(resource=Resource(attributes=[service]), scope_logs=[ScopeLogs(log_records=records)])
        ]
    )
    data = request.SerializeToString()
    data = gzip.compress(data) if gzipped else data
    response = send(fuzz_app.test_client(), "/v1/logs", "application/x-protobuf", data, gzipped=gzipped)
    check(response, "/v1/logs", "application/x-protobuf", {200, 400, 413})


def test_the_app_is_healthy_after_the_fuzzing(fuzz_app: Flask) -> None:
    assert fuzz_app.test_client().get("/health").status_code == 200
