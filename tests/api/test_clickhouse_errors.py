"""ClickHouse going away while the app runs: every endpoint answers the documented 503, never a 500."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

from loglens.health_probe import STALE_AFTER
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


def test_health_answers_at_once_and_reports_a_clickhouse_that_stopped_answering(tmp_path: Path, make_app: Any) -> None:
    require(clickhouse.available(), "clickhouse-server is not installed (make system-deps)")
    server = ClickHouseServer(tmp_path / "ch").start()
    assert server.proc is not None
    try:
        storage = {"backend": "clickhouse", "clickhouse": {"port": server.tcp_port, "database": "frozen"}}
        client = make_app({"storage": storage}).test_client()
        assert client.post("/api/logs", json=ENTRY).status_code == 201
        assert client.get("/health").get_json() == {"status": "healthy", "total_logs": 1, "current_stored": 1}
        os.kill(server.proc.pid, signal.SIGSTOP)  # there, but answering nothing
        stopped = time.monotonic()
        answers: list[tuple[float, int]] = []
        while not answers or answers[-1][1] != 503:
            assert time.monotonic() - stopped < STALE_AFTER + 10, answers
            started = time.monotonic()
            response = client.get("/health")
            answers.append((time.monotonic() - started, response.status_code))
            time.sleep(0.1)
        assert max(took for took, _ in answers) < 0.5, answers  # never waiting for the store
        assert time.monotonic() - stopped >= STALE_AFTER  # not before it had its time to answer
        body = response.get_json()
        assert body["status"] == "unhealthy" and "has not answered" in body["store"]["error"], body
        os.kill(server.proc.pid, signal.SIGCONT)
        deadline = time.monotonic() + 30
        while (response := client.get("/health")).status_code != 200:
            assert time.monotonic() < deadline, response.get_json()
            time.sleep(0.2)
        assert response.get_json() == {"status": "healthy", "total_logs": 1, "current_stored": 1}
    finally:
        os.kill(server.proc.pid, signal.SIGCONT)
        server.stop()
