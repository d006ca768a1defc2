"""Live tail (SSE) and search against a real `loglens serve`: delivery, resume, the stream cap, 50 idle tails."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.support.live import LiveServer
from tests.support.sse import SSEStream

pytestmark = pytest.mark.server


def post(server: LiveServer, entry: dict[str, Any]) -> int:
    request = urllib.request.Request(
        server.url + "/api/logs", data=orjson.dumps(entry), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(response.status)


def entry(message: str, **kw: Any) -> dict[str, Any]:
    return {"timestamp": "2026-01-01T00:00:00Z", "level": "INFO", "service": "tail-svc", "message": message, **kw}


def get_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture
def server(tmp_path: Path) -> Any:
    config = {"search": {"max_streams": 52, "heartbeat_seconds": 0.3, "poll_seconds": 0.05}}
    with LiveServer(tmp_path / "srv", config) as live:
        yield live


def test_stream_delivers_matching_entries_and_resumes_without_loss(server: LiveServer) -> None:
    stream = SSEStream(server.port, "/api/logs/stream?q=level:ERROR")
    assert stream.status == 200 and stream.headers["content-type"].startswith("text/event-stream")
    assert post(server, entry("not for us")) == 201
    assert post(server, entry("first failure", level="ERROR")) == 201
    first = stream.next_log()
    assert first.json()["message"] == "first failure"  # the INFO entry committed before it was skipped
    stream.close()

    for i in range(3):
        post(server, entry(f"while away {i}", level="ERROR"))
        post(server, entry(f"quiet {i}"))
    resumed = SSEStream(server.port, "/api/logs/stream?q=level:ERROR", last_event_id=first.id)
    assert [resumed.next_log().json()["message"] for _ in range(3)] == [f"while away {i}" for i in range(3)]
    post(server, entry("after resume", level="ERROR"))
    assert resumed.next_log().json()["message"] == "after resume"
    resumed.close()


def test_idle_stream_sends_heartbeats(server: LiveServer) -> None:
    stream = SSEStream(server.port, "/api/logs/stream")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if "heartbeat" in stream.next_event().comments:
            break
    else:
        pytest.fail("no heartbeat within 10 s")
    stream.close()


def test_bad_query_is_400_before_streaming(server: LiveServer) -> None:
    stream = SSEStream(server.port, "/api/logs/stream?q=(oops")
    assert stream.status == 400
    stream.close()


def test_fifty_tails_leave_ingest_and_dashboard_answering_and_the_cap_holds(server: LiveServer) -> None:
    streams = [SSEStream(server.port, "/api/logs/stream?q=fanout") for _ in range(50)]
    try:
        assert all(s.status == 200 for s in streams)
        for i in range(20):
            assert post(server, entry(f"fanout {i}")) == 201
        assert get_status(server.url + "/api/advanced-dashboard-data") == 200
        assert get_status(server.url + "/api/logs?q=fanout") == 200
        for s in streams:
            assert [s.next_log().json()["message"] for _ in range(20)] == [f"fanout {i}" for i in range(20)]
        extra = [SSEStream(server.port, "/api/logs/stream") for _ in range(2)]
        over = SSEStream(server.port, "/api/logs/stream")
        assert over.status == 503 and "max_streams" in over.body(time.monotonic() + 5).decode()
        over.close()
        for s in extra:
            s.close()
        # closed streams give their slots back (noticed at the next heartbeat write)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            again = SSEStream(server.port, "/api/logs/stream")
            again.close()
            if again.status == 200:
                break
            time.sleep(0.2)
        else:
            pytest.fail("slots of closed streams were not given back within 10 s")
    finally:
        for s in streams:
            s.close()


def loglens(*args: str, env_url: str | None = None, url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGLENS_")}
    if env_url is not None:
        env["LOGLENS_URL"] = env_url
    cmd = [sys.executable, "-m", "loglens.cli", *args] + (["--url", url] if url else [])
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)


def test_query_command_prints_a_table_or_ndjson(server: LiveServer) -> None:
    for i in range(5):
        post(server, entry(f"cli entry {i}", level="ERROR" if i % 2 else "INFO", service="auth-service"))
    done = loglens("query", "level>=ERROR service:auth-service", "--since", "3650d", "--json", url=server.url)
    assert done.returncode == 0, done.stderr
    assert [orjson.loads(line)["message"] for line in done.stdout.splitlines()] == ["cli entry 3", "cli entry 1"]
    table = loglens("query", "cli", "--limit", "2", env_url=server.url)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split()[:3] == ["TIMESTAMP", "LEVEL", "SERVICE"] and len(lines) == 3
    assert "cli entry 4" in lines[1]
    bad = loglens("query", "(oops", url=server.url)
    assert bad.returncode == 2 and "expected ')'" in bad.stderr


def test_tail_command_prints_entries_as_they_arrive(server: LiveServer) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGLENS_")}
    cmd = [sys.executable, "-m", "loglens.cli", "tail", "service:tail-svc", "--json", "--url", server.url]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 20
        got: list[str] = []
        while time.monotonic() < deadline and len(got) < 3:
            post(server, entry(f"tailed {len(got)}"))
            ready, _, _ = select.select([proc.stdout], [], [], 1.0)
            if ready:
                assert proc.stdout is not None
                got.append(orjson.loads(proc.stdout.readline())["message"])
        assert got[:1] and all(m.startswith("tailed ") for m in got) and len(got) == 3
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
