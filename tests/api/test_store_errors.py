"""Store failures reach clients as JSON 503s (with Retry-After when a retry can help), never as raw sqlite3 500s."""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson
import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.auth import bearer, make_keys
from tests.support.full_store import cap_store_size, post_until_not_accepted
from tests.support.json_entry import log


@pytest.mark.sqlite_only  # SQLite's own faults; ClickHouse's: tests/api/test_clickhouse_errors.py
def test_single_post_answers_503_with_retry_after_when_the_store_is_full(client: FlaskClient, app: Flask) -> None:
    cap_store_size(app)
    big = log(message="x" * 2000)
    accepted, response = post_until_not_accepted(client, "/api/logs", json=big)
    assert response.status_code == 503, response.data
    assert response.mimetype == "application/json"
    assert response.headers["Retry-After"] == "10"
    assert "disk holding the store is full" in response.json["error"]
    assert "nothing was stored" in response.json["error"]
    assert client.get("/health").json["total_logs"] == accepted  # every 201 stored, nothing of the 503


@pytest.mark.sqlite_only  # SQLite's own faults; ClickHouse's: tests/api/test_clickhouse_errors.py
def test_bulk_and_otlp_answer_503_when_the_store_is_full(client: FlaskClient, app: Flask) -> None:
    cap_store_size(app)
    body = b"\n".join(orjson.dumps(log(message="y" * 500)) for _ in range(50))
    accepted, response = post_until_not_accepted(
        client, "/api/logs/bulk", data=body, content_type="application/x-ndjson"
    )
    assert response.status_code == 503 and response.headers["Retry-After"] == "10"
    assert "full" in response.json["error"]
    assert client.get("/health").json["total_logs"] == accepted * 50
    otlp = {"resourceLogs": [{"scopeLogs": [{"logRecords": [{"body": {"stringValue": "z" * 3000}}] * 20}]}]}
    response = client.post("/v1/logs", json=otlp)
    assert response.status_code == 503 and response.headers["Retry-After"] == "10"
    assert "full" in response.json["message"]


@pytest.mark.sqlite_only  # SQLite's own faults; ClickHouse's: tests/api/test_clickhouse_errors.py
def test_a_broken_store_read_is_a_json_503_not_a_500(client: FlaskClient, app: Flask) -> None:
    store = app.extensions["loglens"].store
    outside = sqlite3.connect(store.path)
    outside.execute("DROP TABLE alerts")  # something outside LogLens broke the schema
    outside.close()
    response = client.get("/api/alerts")
    assert response.status_code == 503
    assert response.mimetype == "application/json"
    assert "no such table: alerts" in response.json["error"]


@pytest.mark.sqlite_only  # SQLite's own faults; ClickHouse's: tests/api/test_clickhouse_errors.py
def test_a_failing_key_store_is_a_json_503_on_every_ingest_path(make_app: Any) -> None:
    app = make_app({"auth": {"enabled": True}})
    keys = make_keys(app)
    store = app.extensions["loglens"].store
    outside = sqlite3.connect(store.path)
    outside.execute("DROP TABLE api_keys")  # something outside LogLens broke the key store
    outside.close()
    client = app.test_client()
    for path, body in (("/api/logs", orjson.dumps(log())), ("/api/logs/bulk", orjson.dumps(log()) + b"\n")):
        response = client.post(path, data=body, headers={**bearer(keys["ingest"]), "Content-Type": "application/json"})
        assert response.status_code == 503, (path, response.status_code, response.data[:200])
        assert response.mimetype == "application/json" and "api_keys" in response.json["error"]
