"""Paths and headers a hostile client sends get the same answers from both production servers: an unknown path is a
JSON 404 (`/%E2%82%AC`, `//api/logs`) with nothing in the server log, and only `X-API-Key` names the API key."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator

import pytest

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
