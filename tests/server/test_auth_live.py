"""Access control in a real `loglens serve`: the bind refusal, the startup line, and every client with a key."""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests

from loglens.auth.session import COOKIE
from loglens.client import LogLensHandler
from tests.support.keys_cli import CLEAN_ENV, create_key, loglens
from tests.support.live import LiveServer, free_port
from tests.support.wait import wait_until

pytestmark = pytest.mark.server


def serve_args(tmp_path: Path, host: str, port: int, config: str = "") -> list[str]:
    config_path = tmp_path / "config.yaml"
    config_path.write_text(config, encoding="utf-8")
    return ["serve", "--host", host, "--port", str(port), "--config", str(config_path), "--data-dir", str(tmp_path)]


def test_refuses_to_serve_every_interface_with_auth_off(tmp_path: Path) -> None:
    port = free_port()
    done = loglens(*serve_args(tmp_path, "0.0.0.0", port), timeout=30)
    assert done.returncode == 2
    assert "refusing to serve '0.0.0.0' with access control off" in done.stderr
    assert "auth.enabled: true" in done.stderr and "auth.allow_open: true" in done.stderr
    assert "LogLens listening" not in done.stdout


def test_allow_open_serves_every_interface_with_a_warning_and_prints_the_real_address(tmp_path: Path) -> None:
    port = free_port()
    log_path = tmp_path / "out.log"
    with log_path.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "loglens.cli", *serve_args(tmp_path, "0.0.0.0", port, "auth: {allow_open: true}")],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=CLEAN_ENV,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 20
        while True:
            assert proc.poll() is None, log_path.read_text()
            try:
                if requests.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.05)
        page = requests.get(f"http://127.0.0.1:{port}/", timeout=5)
        assert 'data-testid="open-banner"' in page.text
        output = log_path.read_text()
        assert f"LogLens listening on 0.0.0.0:{port} (every interface), access control OFF" in output
        assert "auth.allow_open: serving 0.0.0.0 without access control" in output
    finally:
        os.killpg(proc.pid, 9)
        proc.wait(10)


def test_the_startup_line_names_the_loopback_address_it_binds(live_server: LiveServer) -> None:
    assert f"LogLens listening on 127.0.0.1:{live_server.port}, access control OFF" in live_server.output()


@pytest.mark.parametrize("http_server", ["granian", "gunicorn"])
def test_serves_on_host_localhost(tmp_path: Path, http_server: str) -> None:
    # Granian binds IP addresses only: `--host localhost` ended in a traceback; now it binds what localhost names
    with LiveServer(tmp_path / http_server, {"server": {"http_server": http_server}}, host="localhost") as server:
        assert requests.get(f"http://localhost:{server.port}/health", timeout=5).status_code == 200
        assert f"LogLens listening on localhost:{server.port}, access control OFF" in server.output()
        assert "Traceback" not in server.output()


def test_a_host_that_does_not_resolve_is_one_line_and_exit_code_2(tmp_path: Path) -> None:
    args = serve_args(tmp_path, "no-such-host.invalid", free_port(), "auth: {allow_open: true}")
    done = loglens(*args, timeout=30)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("loglens: server.host 'no-such-host.invalid' is not an IP address")
    assert len(done.stderr.strip().splitlines()) == 1 and "LogLens listening" not in done.stdout


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    config = {"auth": {"enabled": True}, "simulator": {"enabled": True}}
    with LiveServer(tmp_path_factory.mktemp("guarded"), config) as live:
        yield live


def stored(server: LiveServer, read_key: str, service: str) -> int:
    health = requests.get(
        f"{server.url}/api/advanced-dashboard-data", headers={"X-API-Key": read_key}, timeout=5
    ).json()["service_health"]
    return int(health.get(service, {}).get("log_count", 0))


def test_a_key_created_beside_a_running_server_works_at_once(guarded: LiveServer) -> None:
    url = f"{guarded.url}/api/logs"
    entry = {"timestamp": "2026-01-01T00:00:00Z", "level": "INFO", "service": "live-auth", "message": "hi"}
    assert requests.post(url, json=entry, timeout=5).status_code == 401  # Granian's fast path
    key = create_key(guarded, "ingest")
    assert requests.post(url, json=entry, headers={"Authorization": f"Bearer {key}"}, timeout=5).status_code == 201
    assert requests.get(f"{guarded.url}/api/alerts", headers={"X-API-Key": key}, timeout=5).status_code == 403
    assert loglens("keys", "revoke", key, "--data-dir", str(guarded.data_dir)).returncode == 0
    wait_until(  # the server trusts a key it has read for KEY_CACHE_SECONDS
        lambda: requests.post(url, json=entry, headers={"X-API-Key": key}, timeout=5).status_code == 401,
        10,
        "the revoked key stopped working",
        interval=0.1,
    )


def test_handler_ship_and_simulate_send_their_key(guarded: LiveServer, tmp_path: Path) -> None:
    ingest, admin, read = (create_key(guarded, role) for role in ("ingest", "admin", "read"))
    handler = LogLensHandler(guarded.url, service="live-auth-handler", flush_interval=0.05, api_key=ingest)
    log = logging.getLogger("live.auth.handler")
    log.propagate = False
    log.addHandler(handler)
    try:
        log.warning("with a key")
        assert handler.drain(10) and handler.sent == 1
    finally:
        log.removeHandler(handler)
        handler.close()
    keyless = LogLensHandler(guarded.url, service="live-auth-handler", flush_interval=0.05)
    try:
        keyless.emit(logging.makeLogRecord({"msg": "no key", "levelno": logging.INFO, "levelname": "INFO"}))
        assert keyless.drain(10) and keyless.sent == 0 and keyless.dropped == 1
        assert keyless.last_error is not None and "401" in keyless.last_error
    finally:
        keyless.close()

    path = tmp_path / "a.ndjson"
    line = {"timestamp": "2026-01-01T00:00:00Z", "level": "INFO", "service": "live-auth-ship", "message": "m"}
    path.write_bytes(orjson.dumps(line) + b"\n")
    assert loglens("ship", str(path), "--url", guarded.url, "--api-key", ingest).returncode == 0
    assert loglens("ship", str(path), "--url", guarded.url, env={"LOGLENS_API_KEY": ingest}).returncode == 0
    refused = loglens("ship", str(path), "--url", guarded.url, "--retry-seconds", "1")
    assert refused.returncode == 1 and "401" in refused.stderr

    simulate = ["simulate", "--url", guarded.url, "--count", "3"]
    assert loglens(*simulate, env={"LOGLENS_API_KEY": admin}).returncode == 0
    denied = loglens(*simulate, "--api-key", read)
    assert denied.returncode == 1 and "403" in denied.stderr

    assert stored(guarded, read, "live-auth-handler") == 1
    assert stored(guarded, read, "live-auth-ship") == 2


def test_an_otlp_exporter_sends_its_key_as_the_readme_says(
    guarded: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
    from opentelemetry.sdk.resources import Resource

    ingest, read = create_key(guarded, "ingest"), create_key(guarded, "read")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_LOGS_HEADERS", f"Authorization=Bearer%20{ingest}")
    provider = LoggerProvider(resource=Resource.create({"service.name": "live-auth-otlp"}), shutdown_on_exit=False)
    provider.add_log_record_processor(SimpleLogRecordProcessor(OTLPLogExporter(endpoint=f"{guarded.url}/v1/logs")))
    provider.get_logger("t").emit(body="through OTLP with a key")
    provider.shutdown()
    assert stored(guarded, read, "live-auth-otlp") == 1


def test_logout_refuses_the_copied_cookie_in_every_worker_and_after_a_restart_on_another_server(
    tmp_path: Path,
) -> None:
    # two worker processes share the store (one server per store: a second server on it is refused at start); the
    # worker that did not take the logout reads it within SESSION_CACHE_SECONDS, and a Gunicorn server started on
    # the same store afterwards refuses the cookie too
    config: dict[str, Any] = {"auth": {"enabled": True}, "simulator": {"enabled": True}}
    data = tmp_path / "a"
    first = LiveServer(data, {**config, "server": {"workers": 2}}).start()
    try:
        admin = create_key(first, "admin")
        browser = requests.Session()
        assert browser.post(f"{first.url}/login", data={"key": admin}, timeout=5).status_code == 200
        page = browser.get(f"{first.url}/", timeout=5).text
        start = page.index('name="loglens-csrf" content="') + len('name="loglens-csrf" content="')
        token = page[start : page.index('"', start)]
        copied = {"Cookie": f"{COOKIE}={browser.cookies[COOKIE]}", "X-CSRF-Token": token}

        def answers(server: LiveServer) -> tuple[int, int, int]:
            """(a read, a write with the CSRF token, the dashboard page) with the copied cookie, each on a new
            connection (so the kernel spreads them over the workers)."""
            read = requests.get(f"{server.url}/api/alerts", headers=copied, timeout=5)
            write = requests.post(f"{server.url}/api/simulate-logs", json={"count": 1}, headers=copied, timeout=5)
            dashboard = requests.get(f"{server.url}/", headers=copied, allow_redirects=False, timeout=5)
            return read.status_code, write.status_code, dashboard.status_code

        assert answers(first) == (200, 200, 200)
        out = browser.post(f"{first.url}/logout", data={"csrf_token": token}, allow_redirects=False, timeout=5)
        assert out.status_code == 303
        wait_until(  # 30 requests over both workers
            lambda: {answers(first) for _ in range(10)} == {(401, 401, 302)},
            10,
            "no worker takes the logged-out cookie",
            interval=0.1,
        )
        assert len(first.worker_pids()) == 2
    finally:
        first.stop()
    with LiveServer(data, {**config, "server": {"http_server": "gunicorn"}}) as second:
        assert answers(second) == (401, 401, 302)  # it stays ended after a restart, on the other server too


@pytest.mark.parametrize("http_server", ["granian", "gunicorn"])
def test_a_failing_key_store_answers_single_posts_with_a_json_503(tmp_path: Path, http_server: str) -> None:
    # the fast ingest path (the event loop's on Granian, the WSGI one on Gunicorn) let the key lookup's StoreError
    # escape: a bare 500. Now Flask's gate checks again and answers its 503, as /api/logs/bulk always did.
    path = tmp_path / "loglens.db"
    config = {"auth": {"enabled": True}, "storage": {"path": str(path)}, "server": {"http_server": http_server}}
    with LiveServer(tmp_path / "srv", config) as server:
        key = create_key(server, "ingest")
        outside = sqlite3.connect(path)
        outside.execute("DROP TABLE api_keys")  # something outside LogLens broke the key store
        outside.close()
        entry = {"timestamp": "2026-01-01T00:00:00Z", "level": "INFO", "service": "s", "message": "m"}
        response = requests.post(f"{server.url}/api/logs", json=entry, headers={"X-API-Key": key}, timeout=10)
        assert response.status_code == 503, response.text
        assert response.headers["Content-Type"].startswith("application/json")
        assert "api_keys" in response.json()["error"]
