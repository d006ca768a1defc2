"""Paths and headers a hostile client sends get the same answers from both production servers: an unknown path is a
JSON 404 (`/%E2%82%AC`, `//api/logs`) with nothing in the server log, and only `X-API-Key` names the API key."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from tests.support.keys_cli import create_key
from tests.support.live import LiveServer

pytestmark = pytest.mark.server


@pytest.fixture(scope="module", params=["granian", "gunicorn"])
def guarded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    config = {"server": {"http_server": request.param}, "auth": {"enabled": True}}
    with LiveServer(tmp_path_factory.mktemp(request.param), config) as live:
        yield live


@pytest.fixture(scope="module")
def read_key(guarded: LiveServer) -> str:
    return create_key(guarded, "read")


def get(server: LiveServer, path: str, headers: dict[str, str] | None = None) -> tuple[int, str, bytes]:
    """GET `path` exactly as written (no client normalises it): status, Content-Type and body."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.getheader("Content-Type") or "", response.read()
    finally:
        conn.close()


NOT_FOUND = {"status": "error", "error": "no such endpoint"}


@pytest.mark.parametrize("path", ["/%E2%82%AC", "/api/logs/%E2%82%AC", "/%F0%9F%92%A5?q=1", "/%FF"])
def test_a_path_outside_latin_1_is_a_json_404_and_logs_no_traceback(
    guarded: LiveServer, read_key: str, path: str
) -> None:
    for headers in ({}, {"X-API-Key": read_key}):
        status, content_type, body = get(guarded, path, headers)
        assert (status, content_type, json.loads(body)) == (404, "application/json", NOT_FOUND)
    assert get(guarded, "/health")[0] == 200  # the worker still serves
    assert "Traceback" not in guarded.output()


@pytest.mark.parametrize("path", ["//api/logs", "//health", "///api/logs?q=x", "//"])
def test_a_path_starting_with_two_slashes_is_a_json_404(guarded: LiveServer, read_key: str, path: str) -> None:
    for headers in ({}, {"X-API-Key": read_key}):
        status, content_type, body = get(guarded, path, headers)
        assert (status, content_type, json.loads(body)) == (404, "application/json", NOT_FOUND)
    assert get(guarded, "/api/logs", {"X-API-Key": read_key})[0] == 200


def test_only_x_api_key_names_the_key_not_x_api_underscore_key(guarded: LiveServer, read_key: str) -> None:
    assert get(guarded, "/api/logs", {"X-API-Key": read_key})[0] == 200
    for name in ("X-API_Key", "X_API_KEY", "x-api_key"):
        status, _, body = get(guarded, "/api/logs", {name: read_key})
        assert status == 401 and b"this endpoint needs an API key" in body, name


def get_raw_header(server: LiveServer, path: str, name: str, value: bytes, key: str) -> tuple[int, dict[str, Any]]:
    """GET `path` with the key and one header whose value is sent as these exact bytes: status and JSON body."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        conn.putrequest("GET", path)
        conn.putheader("X-API-Key", key)
        conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        status = response.status
        if (response.getheader("Content-Type") or "").startswith("text/event-stream"):
            return status, {}  # an endless stream: its status says enough
        return status, json.loads(response.read())
    finally:
        conn.close()


@pytest.mark.parametrize("value", ["é".encode(), "é".encode("latin-1"), b"12\xff"])
def test_a_header_value_outside_visible_ascii_is_a_400_never_a_header_taken_as_absent(
    guarded: LiveServer, read_key: str, value: bytes
) -> None:
    """Granian hands no such value on (it keeps only visible ASCII, emmett-framework/granian#335, wontfix), which
    made a Last-Event-ID of "é" a tail from now instead of a 400: the bridge answers 400 naming the header. Gunicorn
    passes the bytes on as Latin-1, and the app judges the value."""
    status, body = get_raw_header(guarded, "/api/logs/stream", "Last-Event-ID", value, read_key)
    assert status == 400 and body["status"] == "error", body
    granian = yaml.safe_load(guarded.config_path.read_text())["server"]["http_server"] == "granian"
    if granian:
        assert body["error"].startswith("request header last-event-id: its value has bytes outside visible ASCII")
    else:
        assert "Last-Event-ID must be an entry id" in body["error"]
    # a header the app does not read: Granian cannot tell that, so it is refused alike; Gunicorn ignores it
    status, body = get_raw_header(guarded, "/api/logs", "X-Note", value, read_key)
    assert (status, "x-note" in body.get("error", "")) == ((400, True) if granian else (200, False)), body
    assert get_raw_header(guarded, "/api/logs/stream", "Last-Event-ID", b"0", read_key)[0] == 200
    assert "Traceback" not in guarded.output()
