"""One server per store and per port: a second `loglens serve` on the same data directory, or on a port in use,
stops at start with one line and exit code 2, and the first keeps serving. `loglens keys` still works beside a
running server (the lock is the server's, not the store's)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from tests.support.live import LiveServer, free_port

pytestmark = pytest.mark.server
SERVERS = ["granian", "gunicorn"]
REFUSAL_SECONDS = 20.0  # a refused second server exits at once; past this it is taken to be serving


def healthy(server: LiveServer) -> bool:
    with urllib.request.urlopen(server.url + "/health", timeout=5) as response:
        return int(response.status) == 200


def ingest(server: LiveServer, service: str) -> None:
    entry = {"timestamp": "2026-01-01T00:00:00Z", "level": "INFO", "service": service, "message": "still here"}
    request = urllib.request.Request(
        server.url + "/api/logs", data=orjson.dumps(entry), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status in (200, 201, 202)


@pytest.fixture(params=SERVERS)
def http_server(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def first(http_server: str, tmp_path: Path) -> Iterator[LiveServer]:
    with LiveServer(tmp_path / "data", {"server": {"http_server": http_server}}) as server:
        yield server


def assert_keeps_serving(server: LiveServer, service: str) -> None:
    assert server.proc is not None and server.proc.poll() is None
    assert healthy(server)
    ingest(server, service)
    assert [e["message"] for e in server.recent_logs(service)] == ["still here"]


def test_second_server_on_the_same_data_dir_exits_2_naming_the_directory_and_the_pid(
    first: LiveServer, http_server: str, tmp_path: Path
) -> None:
    config = {"server": {"http_server": http_server}}
    second = LiveServer(first.data_dir, config, state_dir=tmp_path / "second")  # another port, the same store

    done = second.run_to_exit(REFUSAL_SECONDS)

    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert first.proc is not None
    assert str(first.data_dir.resolve()) in done.stderr and f"pid {first.proc.pid}" in done.stderr, done.stderr
    assert "already serving" in done.stderr and "listening" not in done.stdout
    assert_keeps_serving(first, "same-dir")


def test_second_server_on_a_port_in_use_exits_2_naming_the_address(
    first: LiveServer, http_server: str, tmp_path: Path
) -> None:
    second = LiveServer(tmp_path / "other-data", {"server": {"http_server": http_server}}, port=first.port)

    done = second.run_to_exit(REFUSAL_SECONDS)

    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert f"127.0.0.1:{first.port} is already in use" in done.stderr, done.stderr
    assert_keeps_serving(first, "same-port")


def test_port_held_by_another_program_stops_serve_with_exit_2(http_server: str, tmp_path: Path) -> None:
    port = free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other:
        other.bind(("127.0.0.1", port))
        other.listen(1)
        server = LiveServer(tmp_path / "data", {"server": {"http_server": http_server}}, port=port)
        done = server.run_to_exit(REFUSAL_SECONDS)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.count("\n") == 1 and f"127.0.0.1:{port} is already in use" in done.stderr, done.stderr


def test_a_server_can_start_on_the_store_once_the_first_has_stopped(first: LiveServer, tmp_path: Path) -> None:
    assert first.stop() == 0
    with LiveServer(first.data_dir, state_dir=tmp_path / "next") as following:
        assert healthy(following)


def test_keys_create_and_list_work_while_a_server_runs_on_the_store(first: LiveServer) -> None:
    def keys(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "loglens.cli", "keys", *args, "--config", str(first.config_path)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("LOGLENS_") and k != "CONFIG_PATH"}
        return subprocess.run(
            cmd + ["--data-dir", str(first.data_dir)], capture_output=True, text=True, env=env, timeout=30, check=False
        )

    created = keys("create", "--role", "read", "--name", "beside-the-server")
    listed = keys("list")

    assert created.returncode == 0, created.stderr
    assert listed.returncode == 0 and "beside-the-server" in listed.stdout, listed.stdout + listed.stderr
    assert healthy(first)
