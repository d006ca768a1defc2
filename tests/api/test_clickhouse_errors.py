"""ClickHouse going away while the app runs: every endpoint answers the documented 503, never a 500."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import require
from tests.support import clickhouse
from tests.support.clickhouse import ClickHouseServer

ENTRY = {"timestamp": "2026-01-01T00:00:00Z", "level": "INFO", "service": "api", "message": "hello"}


def test_store_errors_answer_503_with_a_json_error(tmp_path: Path, make_app: Any) -> None:
    require(clickhouse.available(), "clickhouse-server is not installed (make system-deps)")
    server = ClickHouseServer(tmp_path / "ch").start()
    try:
        storage = {"backend": "clickhouse", "clickhouse": {"port": server.tcp_port, "database": "gone"}}
        client = make_app({"storage": storage}).test_client()
        assert client.post("/api/logs", json=ENTRY).status_code == 201
        server.stop()
        for response in (
            client.post("/api/logs", json=ENTRY),  # the fast path
            client.post("/api/logs/bulk", data=b'{"level": "INFO"}\n', content_type="application/x-ndjson"),
            client.get("/api/advanced-dashboard-data"),
            client.get("/health"),
            client.get("/api/logs?q=hello"),
        ):
            assert response.status_code == 503, (response.request.path, response.status_code, response.data)
            body = response.get_json()
            if response.request.path == "/health":  # the health document: unhealthy, and why the store fails
                assert body["status"] == "unhealthy" and "ClickHouse" in body["store"]["error"]
            else:
                assert body["status"] == "error" and "ClickHouse" in body["error"]
    finally:
        server.stop()
