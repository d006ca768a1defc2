"""The app's own guard on request bodies (behind any server, the dev server included): a chunked body over
server.max_body_bytes is a 413, not silently cut; a body shorter than its Content-Length is a 400."""

from __future__ import annotations

import io
from typing import Any

import orjson
import pytest

LINE = orjson.dumps({"timestamp": "2026-01-01T00:00:00Z", "level": "INFO", "service": "s", "message": "m"}) + b"\n"
ENDPOINTS = [
    ("/api/logs", "application/json", LINE),
    ("/api/logs/bulk", "application/x-ndjson", LINE * 3),
    ("/v1/logs", "application/json", b'{"resourceLogs": []}'),
]


def totals(app: Any) -> int:
    return int(app.extensions["loglens"].store.totals().stored)


@pytest.mark.parametrize(("path", "content_type", "body"), ENDPOINTS, ids=["single", "bulk", "otlp"])
def test_chunked_body_over_the_limit_is_a_413_and_stores_nothing(
    make_app: Any, path: str, content_type: str, body: bytes
) -> None:
    app = make_app({"server": {"max_body_bytes": 1000}})
    big = LINE * 30 if path != "/v1/logs" else b'{"resourceLogs": [], "x": "' + b"y" * 1000 + b'"}'
    response = app.test_client().post(
        path,
        data=io.BytesIO(big),  # a stream without a length: sent as if chunked
        headers={"Content-Type": content_type, "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413
    assert "server.max_body_bytes (1000 bytes)" in response.get_data(as_text=True)
    assert totals(app) == 0


@pytest.mark.parametrize(("path", "content_type", "body"), ENDPOINTS, ids=["single", "bulk", "otlp"])
def test_body_shorter_than_its_content_length_is_a_400_and_stores_nothing(
    make_app: Any, path: str, content_type: str, body: bytes
) -> None:
    app = make_app()
    response = app.test_client().post(
        path,
        data=io.BytesIO(body),
        headers={"Content-Type": content_type},
        environ_overrides={"wsgi.input_terminated": True, "CONTENT_LENGTH": str(len(body) + 7)},
    )
    assert response.status_code == 400
    assert f"ended after {len(body)} of its Content-Length {len(body) + 7} bytes" in response.get_data(as_text=True)
    assert totals(app) == 0


def test_chunked_body_within_the_limit_is_read_whole(make_app: Any) -> None:
    app = make_app({"server": {"max_body_bytes": 1000}})
    response = app.test_client().post(
        "/api/logs/bulk",
        data=io.BytesIO(LINE * 10),
        headers={"Content-Type": "application/x-ndjson", "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 200 and response.get_json()["accepted"] == 10
