"""Faults of the machine against a real `loglens serve`: a full disk (a small tmpfs) and a damaged store file."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from tests.conftest import require
from tests.support.live import LiveServer, free_port
from tests.support.smallfs import can_mount, fill, small_filesystem
from tests.support.store_files import make_store, overwrite
from tests.support.wait import wait_until

pytestmark = pytest.mark.server


def request(url: str, body: bytes | None = None, content_type: str = "application/json") -> tuple[int, Any, Any]:
    """(status, JSON body, headers) of a GET, or of a POST when `body` is given."""
    req = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET")
    if body is not None:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, json.loads(response.read()), response.headers
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read()), exc.headers


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    require(can_mount(), "mounting a small tmpfs needs root")
    with small_filesystem(tmp_path / "fs", 8 << 20) as path:
        yield path


LINE = {"timestamp": "2026-01-01T00:00:00Z", "level": "INFO", "service": "disk", "message": "x" * 500}


def write_until_full(server: LiveServer) -> tuple[int, tuple[int, Any, Any]]:
    """Bulk requests until one is refused: (entries acknowledged, the refusal)."""
    bulk = b"\n".join(orjson.dumps(LINE) for _ in range(50))
    acknowledged = 0
    for _ in range(2000):
        status, body, headers = request(server.url + "/api/logs/bulk", bulk, "application/x-ndjson")
        if status != 200:
            return acknowledged, (status, body, headers)
        acknowledged += body["accepted"]
    raise AssertionError("the small filesystem never filled up")


def test_full_disk_answers_503_health_fails_and_the_server_recovers_by_itself(small_fs: Path, tmp_path: Path) -> None:
    config = {"storage": {"path": str(small_fs / "loglens.db")}}
    with LiveServer(tmp_path / "server", config) as server:
        filler = fill(small_fs, 1 << 20)
        acknowledged, (status, body, headers) = write_until_full(server)
        assert status == 503, body
        assert headers["Retry-After"] == "10"
        assert body["status"] == "error" and "disk holding the store is full" in body["error"]

        status, body, _ = request(server.url + "/health")
        assert status == 503
        assert body["status"] == "unhealthy" and body["store"]["status"] == "failing"
        assert "full" in body["store"]["error"]
        assert body["total_logs"] == acknowledged  # every acknowledged entry is there, nothing of the 503s

        filler.unlink()  # space returns; nobody writes: /health must see it by itself
        wait_until(lambda: request(server.url + "/health")[0] == 200, 15, "/health answered 200", interval=0.2)
        status, body, _ = request(server.url + "/health")
        assert status == 200 and body["status"] == "healthy"
        status, body, _ = request(server.url + "/api/logs", orjson.dumps(LINE))
        assert status == 201, body
        acknowledged += 1
        server.stop()
        server.start()
        status, body, _ = request(server.url + "/health")
        assert status == 200 and body["total_logs"] == acknowledged and body["current_stored"] == acknowledged


@pytest.mark.parametrize("http_server", ["granian", "gunicorn"])
def test_a_restart_on_a_full_disk_serves_failing_and_recovers_when_space_returns(
    small_fs: Path, tmp_path: Path, http_server: str
) -> None:
    # it used to crash-loop ("Worker crash loop detected", exit 1): opening the store needs room on the disk
    config = {"storage": {"path": str(small_fs / "loglens.db")}, "server": {"http_server": http_server}}
    with LiveServer(tmp_path / "server", config) as server:
        filler = fill(small_fs, 1 << 20)
        acknowledged, (status, body, _) = write_until_full(server)
        assert status == 503 and "full" in body["error"], body
        assert server.stop() == 0
        server.start(timeout=30, healthy=False)  # it answers /health within the deadline, on the still full disk

        status, body, _ = request(server.url + "/health")
        assert status == 503 and body["status"] == "unhealthy" and body["store"]["status"] == "failing", body
        assert "the disk holding the store is full" in body["store"]["error"]
        status, body, headers = request(server.url + "/api/logs", orjson.dumps(LINE))
        assert status == 503 and "disk holding the store is full" in body["error"], body
        assert headers["Retry-After"] == "10"
        assert server.proc is not None and server.proc.poll() is None, server.output()

        filler.unlink()  # space returns; nobody writes: the server must notice by itself, without a restart
        wait_until(lambda: request(server.url + "/health")[0] == 200, 20, "/health answered 200", interval=0.2)
        status, body, _ = request(server.url + "/api/logs", orjson.dumps(LINE))
        assert status == 201, body
        status, body, _ = request(server.url + "/health")
        assert status == 200 and body["total_logs"] == body["current_stored"] == acknowledged + 1, body
        assert "Worker crash loop" not in server.output() and "Traceback" not in server.output()


def serve(tmp_path: Path, store: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"storage": {"path": str(store)}}), encoding="utf-8")
    cmd = [sys.executable, "-m", "loglens.cli", "serve", "--host", "127.0.0.1", "--port", str(free_port())]
    return subprocess.run(
        [*cmd, "--config", str(config)], capture_output=True, text=True, timeout=timeout, start_new_session=True
    )


def test_store_with_random_bytes_over_its_middle_refuses_to_start_with_one_line_and_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "loglens.db"
    make_store(path)
    size = path.stat().st_size
    assert size > 200_000
    overwrite(path, size // 2, random.Random(8).randbytes(4096))
    result = serve(tmp_path, path)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("loglens: store error:") and "is damaged (PRAGMA quick_check" in lines[0]
    assert "restore it from a backup" in lines[0]
    assert "Traceback" not in result.stdout + result.stderr


def test_store_with_a_corrupted_header_refuses_to_start_with_one_line_and_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "loglens.db"
    make_store(path, 500)
    overwrite(path, 0, random.Random(9).randbytes(100))
    result = serve(tmp_path, path)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "is not a usable LogLens store: file is not a database" in lines[0]
    assert "Traceback" not in result.stdout + result.stderr
