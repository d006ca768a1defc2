"""Bad input gets a clear JSON 4xx, never a 500 or an HTML page, and the server stays healthy."""

from __future__ import annotations

import gzip

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.json_entry import log


def assert_json_error(response: object, status: int, fragment: str) -> None:
    assert response.status_code == status  # type: ignore[attr-defined]
    assert response.mimetype == "application/json"  # type: ignore[attr-defined]
    body = response.json  # type: ignore[attr-defined]
    assert body["status"] in ("error", "invalid")
    assert fragment.lower() in str(body).lower()


def test_malformed_json_is_400(client: FlaskClient) -> None:
    response = client.post("/api/logs", data=b'{"level": ', content_type="application/json")
    assert_json_error(response, 400, "malformed JSON")


def test_empty_body_is_400(client: FlaskClient) -> None:
    assert_json_error(client.post("/api/logs", data=b"", content_type="application/json"), 400, "empty")
    assert_json_error(client.post("/api/logs", data=b"  \n", content_type="application/json"), 400, "empty")


def test_wrong_content_type_is_415(client: FlaskClient) -> None:
    response = client.post("/api/logs", data=b"{}", content_type="text/plain")
    assert_json_error(response, 415, "Content-Type must be application/json")


def test_unsupported_content_encoding_is_415(client: FlaskClient) -> None:
    response = client.post("/api/logs", data=b"{}", content_type="application/json", headers={"Content-Encoding": "br"})
    assert_json_error(response, 415, "Content-Encoding")


def test_gzip_body_is_accepted(client: FlaskClient) -> None:
    import orjson

    response = client.post(
        "/api/logs",
        data=gzip.compress(orjson.dumps(log())),
        content_type="application/json",
        headers={"Content-Encoding": "gzip"},
    )
    assert response.status_code == 201


def test_corrupt_gzip_is_400(client: FlaskClient) -> None:
    response = client.post(
        "/api/logs", data=b"\x1f\x8bnot gzip", content_type="application/json", headers={"Content-Encoding": "gzip"}
    )
    assert_json_error(response, 400, "gzip")


def test_oversized_body_is_413(make_app: object) -> None:
    app: Flask = make_app({"server": {"max_body_bytes": 1000}})  # type: ignore[operator]
    client = app.test_client()
    response = client.post("/api/logs", json=log(message="x" * 2000))
    assert_json_error(response, 413, "max_body_bytes")
    bomb = gzip.compress(b" " * 100_000)
    response = client.post(
        "/api/logs", data=bomb, content_type="application/json", headers={"Content-Encoding": "gzip"}
    )
    assert_json_error(response, 413, "decompressed")
    assert client.get("/health").status_code == 200


def test_unknown_route_is_json_404(client: FlaskClient) -> None:
    assert_json_error(client.get("/api/nothing"), 404, "no such endpoint")


def test_wrong_method_is_json_405_with_allow(client: FlaskClient) -> None:
    response = client.put("/api/logs")  # GET searches, POST ingests
    assert_json_error(response, 405, "method not allowed")
    assert "POST" in response.headers["Allow"] and "GET" in response.headers["Allow"]
    assert_json_error(client.delete("/health"), 405, "GET")


@pytest.mark.parametrize("query", ["minutes=abc", "minutes=0", "minutes=-5", "minutes=99999999", "minutes=1.5"])
def test_bad_minutes_is_400(client: FlaskClient, query: str) -> None:
    assert_json_error(client.get(f"/api/time-series?{query}"), 400, "minutes")
    assert_json_error(client.get(f"/api/advanced-dashboard-data?{query}"), 400, "minutes")


def test_overlong_service_filter_is_400(client: FlaskClient) -> None:
    assert_json_error(client.get("/api/advanced-dashboard-data?service=" + "s" * 500), 400, "service")


@pytest.mark.parametrize(
    "payload",
    [b"null", b"42", b'"text"', b"[]", b"{}", b'{"timestamp": 1e999}', b"\xff\xfe", b'{"a":' * 2000],
)
def test_hostile_bodies_never_500(client: FlaskClient, payload: bytes) -> None:
    response = client.post("/api/logs", data=payload, content_type="application/json")
    assert 400 <= response.status_code < 500
    assert response.mimetype == "application/json"
    assert client.get("/health").json["status"] == "healthy"


def test_huge_numbers_and_deep_metadata_are_handled(client: FlaskClient) -> None:
    deep: dict[str, object] = {}
    node = deep
    for _ in range(200):
        node["d"] = {}
        node = node["d"]  # type: ignore[assignment]
    response = client.post("/api/logs", json=log(metadata={"big": 10**30, "deep": deep}))
    assert response.status_code in (201, 400)
    assert client.get("/api/advanced-dashboard-data").status_code == 200
