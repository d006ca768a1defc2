"""A real `loglens serve` (Gunicorn) over HTTP: nothing acknowledged is lost, even across kill -9."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from tests.support.live import LiveServer
from tests.support.wait import wait_until
from tests.support.webhook import WebhookReceiver

pytestmark = pytest.mark.server


def entry(message: str, level: str = "INFO", service: str = "svc") -> dict[str, str]:
    return {"timestamp": datetime.now(UTC).isoformat(), "level": level, "service": service, "message": message}


def stored_messages(data_dir: Path) -> set[str]:
    conn = sqlite3.connect(data_dir / "loglens.db")
    try:
        return {row[0] for row in conn.execute("SELECT message FROM logs")}
    finally:
        conn.close()


def fired_alerts(data_dir: Path, rule: str) -> list[tuple[str, str]]:
    conn = sqlite3.connect(data_dir / "loglens.db")
    try:
        return list(conn.execute("SELECT rule, service FROM alerts WHERE rule = ? ORDER BY id", (rule,)))
    finally:
        conn.close()


def test_concurrent_posts_from_8_threads_lose_nothing(live_server: LiveServer) -> None:
    def worker(n: int) -> int:
        ok = 0
        with requests.Session() as session:
            for i in range(40):
                response = session.post(f"{live_server.url}/api/logs", json=entry(f"t{n}-{i}"), timeout=10)
                ok += response.status_code == 201
        return ok

    with ThreadPoolExecutor(8) as pool:
        assert sum(pool.map(worker, range(8))) == 320
    health = requests.get(f"{live_server.url}/health", timeout=5).json()
    assert health == {"status": "healthy", "total_logs": 320, "current_stored": 320}
    assert requests.get(f"{live_server.url}/api/validation-stats", timeout=5).json()["valid"] == 320


def test_kill_9_loses_no_acknowledged_entry(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "srv", {"alerting": {"min_events": 5, "handlers": []}}).start()
    acked: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def writer(n: int) -> None:
        i = 0
        with requests.Session() as session:
            while not stop.is_set() and i < 2000:
                message = f"w{n}-{i}"
                level = "ERROR" if n == 0 else "INFO"
                try:
                    response = session.post(f"{server.url}/api/logs", json=entry(message, level, f"svc{n}"), timeout=5)
                except requests.RequestException:
                    return
                if response.status_code == 201:
                    with lock:
                        acked.append(message)
                i += 1

    try:
        bad = requests.post(f"{server.url}/api/logs", json={"level": "INFO"}, timeout=5)
        assert bad.status_code == 400
        threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        wait_until(lambda: len(acked) >= 300, 60, "300 entries were acknowledged", interval=0.01)
        # the alert that must survive: checks run in the background after ingest
        wait_until(lambda: requests.get(f"{server.url}/api/alerts", timeout=5).json(), 10, "an alert fired")
        server.kill()  # SIGKILL mid-stream, while requests are in flight
        stop.set()
        for t in threads:
            t.join(10)
        assert not set(acked) - stored_messages(server.data_dir)

        server.start()
        health = requests.get(f"{server.url}/health", timeout=5).json()
        assert health["total_logs"] >= len(acked)
        stats = requests.get(f"{server.url}/api/validation-stats", timeout=5).json()
        assert stats["valid"] >= len(acked) and stats["invalid"] == 1 and stats["error_types"] == {"required": 1}
        alerts = requests.get(f"{server.url}/api/alerts?state=firing", timeout=5).json()
        assert ("error_rate", "svc0") in {(a["rule"], a["service"]) for a in alerts}
    finally:
        stop.set()
        server.kill()


def test_sigterm_drains_and_exits_cleanly(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "srv").start()
    try:
        for i in range(20):
            assert requests.post(f"{server.url}/api/logs", json=entry(f"m{i}"), timeout=5).status_code == 201
        assert server.stop() == 0
        assert "Shutting down" in server.output()
        server.start()
        assert requests.get(f"{server.url}/health", timeout=5).json()["total_logs"] == 20
    finally:
        server.kill()


def test_real_server_answers_bad_requests_with_json(live_server: LiveServer) -> None:
    url = live_server.url
    cases = [
        requests.post(f"{url}/api/logs", data=b"{oops", headers={"Content-Type": "application/json"}, timeout=5),
        requests.post(f"{url}/api/logs", data=b"x" * (11 * 1024 * 1024), headers={"Content-Type": "application/json"}),
        requests.get(f"{url}/missing", timeout=5),
        requests.put(f"{url}/api/logs", timeout=5),
        requests.get(f"{url}/api/time-series?minutes=abc", timeout=5),
    ]
    assert [r.status_code for r in cases] == [400, 413, 404, 405, 400]
    for response in cases:
        assert response.headers["Content-Type"].startswith("application/json")
        assert response.json().get("error") or response.json().get("errors")  # POST /api/logs: the seed's shape
    assert requests.get(f"{url}/health", timeout=5).json()["status"] == "healthy"


def test_serve_refuses_bad_config_naming_the_key(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("alerting:\n  cooldown_secs: 5\n")
    result = subprocess.run(
        [sys.executable, "-m", "loglens.cli", "serve", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "alerting.cooldown_secs" in result.stderr


def test_simulate_command_sends_traffic(live_server: LiveServer) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "loglens.cli", "simulate", "--url", live_server.url, "--count", "150"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert "accepted 150" in result.stdout
    assert requests.get(f"{live_server.url}/health", timeout=5).json()["total_logs"] == 150


def test_simulate_command_takes_the_server_url_from_loglens_url(live_server: LiveServer) -> None:
    env = {**os.environ, "LOGLENS_URL": live_server.url}
    result = subprocess.run(
        [sys.executable, "-m", "loglens.cli", "simulate", "--count", "20"],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert requests.get(f"{live_server.url}/health", timeout=5).json()["total_logs"] == 20


def test_background_job_fires_service_down_and_notifies_webhook(tmp_path: Path) -> None:
    receiver = WebhookReceiver()
    config = {
        "alerting": {
            "service_down_minutes": 0.02,
            "check_interval_seconds": 1,
            "handlers": [{"type": "log"}, {"type": "webhook", "url": receiver.url, "timeout_seconds": 2}],
        }
    }
    server = LiveServer(tmp_path / "srv", config).start()
    try:
        assert requests.post(f"{server.url}/api/logs", json=entry("hi", service="lonely"), timeout=5).status_code == 201
        notified = receiver.wait_for(bool, 15, "the service_down notification")
        assert [(b["rule"], b["service"], b["state"]) for _, b in notified] == [("service_down", "lonely", "firing")]
        firing = requests.get(f"{server.url}/api/alerts?state=firing", timeout=5).json()
        assert [(a["rule"], a["severity"]) for a in firing] == [("service_down", "CRITICAL")]
        assert "ALERT FIRING [CRITICAL] service_down lonely" in server.output()
    finally:
        server.kill()
        receiver.close()


def test_two_worker_processes_share_one_store_without_losing_or_duplicating(tmp_path: Path) -> None:
    config = {"server": {"workers": 2}, "alerting": {"handlers": [], "min_events": 5}}
    server = LiveServer(tmp_path / "srv", config).start()
    try:

        def worker(n: int) -> int:
            with requests.Session() as session:
                return sum(
                    session.post(
                        f"{server.url}/api/logs", json=entry(f"p{n}-{i}", "ERROR", "shared"), timeout=10
                    ).status_code
                    == 201
                    for i in range(30)
                )

        with ThreadPoolExecutor(6) as pool:
            assert sum(pool.map(worker, range(6))) == 180
        assert requests.get(f"{server.url}/health", timeout=5).json()["total_logs"] == 180
        # alert checks run in the background after ingest, in both workers
        wait_until(lambda: requests.get(f"{server.url}/api/alerts", timeout=5).json(), 10, "an alert fired")
        assert len(server.worker_pids()) == 2
        # A stopping worker runs the checks still pending before it exits (IngestChecks.close): once the server
        # has exited, every check that could have fired a duplicate has run, so the store's alerts are final.
        assert server.stop() == 0
    finally:
        server.kill()
    assert fired_alerts(tmp_path / "srv", "error_rate") == [("error_rate", "shared")]
