"""Hostile input against a real `loglens serve` (Granian): forged log lines, NUL round trip, no redirects."""

from __future__ import annotations

import http.client
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from tests.support.live import LiveServer
from tests.support.wait import wait_until

pytestmark = pytest.mark.server

FORGED = "2026-01-01 00:00:00,000 CRITICAL loglens.store: disk failing"


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def test_client_text_never_forges_a_line_in_the_server_log(tmp_path: Path) -> None:
    config = {"alerting": {"high_volume_threshold": 2, "ingest_check_seconds": 0.0}}
    with LiveServer(tmp_path / "forge", config) as server:
        service = f"api\n{FORGED}\r\nend"
        for i in range(4):
            entry = {"timestamp": now_iso(), "level": "INFO", "service": service, "message": f"m{i}\n{FORGED}"}
            assert requests.post(f"{server.url}/api/logs", json=entry, timeout=5).status_code == 201
        wait_until(lambda: "ALERT FIRING" in server.output(), 20, "an alert was logged", interval=0.1)
        output = server.output()
    assert f"api\\n{FORGED}\\r\\nend" in output  # the service name, escaped, inside the alert line
    assert not [line for line in output.splitlines() if line.startswith((FORGED, "end"))]


def test_nul_in_a_message_survives_the_real_server_and_the_dashboard_api(server: LiveServer) -> None:
    entry = {"timestamp": now_iso(), "level": "INFO", "service": "nul-live", "message": "before\u0000after"}
    entry["metadata"] = {"k": "a\u0000b"}
    assert requests.post(f"{server.url}/api/logs", json=entry, timeout=5).status_code == 201  # the fast path
    [row] = server.recent_logs("nul-live")
    assert row["message"] == "before\u0000after" and row["metadata"] == {"k": "a\u0000b"}


def _get(server: LiveServer, path: str, host: str) -> tuple[http.client.HTTPResponse, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        conn.request("GET", path, headers={"Host": host})
        response = conn.getresponse()
        return response, response.read()
    finally:
        conn.close()


def test_double_slash_is_a_json_404_not_a_redirect_to_the_host_header(server: LiveServer) -> None:
    response, body = _get(server, "/static//x", f"127.0.0.1:{server.port}")
    assert response.status == 404 and response.getheader("Location") is None
    assert response.getheader("Content-Type") == "application/json" and b"no such endpoint" in body
    # a Host the server does not answer is refused before routing (server.allowed_hosts), never redirected to
    response, body = _get(server, "/static//x", "attacker.example")
    assert response.status == 400 and response.getheader("Location") is None
    assert response.getheader("Content-Type") == "application/json"
