"""LogLensHandler against a real `loglens serve`: delivery, server down then up, 503s, and flush at process exit."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests

from loglens.client import LogLensHandler
from tests.support.bulk_receiver import BulkReceiver, Reply
from tests.support.live import LiveServer
from tests.support.wait import wait_until

pytestmark = pytest.mark.server


def logger_with(handler: logging.Handler, name: str) -> logging.Logger:
    log = logging.getLogger(name)
    log.setLevel(logging.DEBUG)
    log.propagate = False
    log.addHandler(handler)
    return log


def test_records_arrive_with_level_message_extras_and_exception(server: LiveServer) -> None:
    handler = LogLensHandler(server.url, service="live-handler", flush_interval=0.05)
    log = logger_with(handler, "live.handler")
    try:
        log.info("order %s placed", "A-1", extra={"user_id": "u-1", "order_total": 12.5})
        log.warning("stock low", extra={"processing_time_ms": 3})
        try:
            1 / 0  # noqa: B018
        except ZeroDivisionError:
            log.exception("cannot compute")
        log.info("bad extra", extra={"processing_time_ms": "slow"})  # the schema says a number: rejected
        assert handler.drain(15)
    finally:
        log.removeHandler(handler)
        handler.close()

    found = server.recent_logs("live-handler")
    assert [(r["level"], r["message"]) for r in found] == [
        ("INFO", "order A-1 placed"),
        ("WARNING", "stock low"),
        ("ERROR", "cannot compute"),
    ]
    assert found[0]["user_id"] == "u-1"
    assert found[0]["metadata"] == {"logger": "live.handler", "order_total": 12.5}
    assert "ZeroDivisionError" in found[2]["metadata"]["exception"]
    assert handler.sent == 3 and handler.rejected == 1 and handler.dropped == 0


def test_server_down_at_start_then_up(tmp_path: Path) -> None:
    later = LiveServer(tmp_path / "later")
    handler = LogLensHandler(later.url, service="late-server", flush_interval=0.05, max_backoff=0.3)
    log = logger_with(handler, "live.late")
    try:
        for i in range(5):
            log.info("early %d", i)
        error = wait_until(lambda: handler.last_error, 5, "the first attempt failed", interval=0.02)
        assert "cannot reach" in error
        with later:
            assert handler.drain(20)
            assert [r["message"] for r in later.recent_logs("late-server")] == [f"early {i}" for i in range(5)]
        assert handler.dropped == 0
    finally:
        log.removeHandler(handler)
        handler.close()


def forwarding(server: LiveServer, refuse_first: int) -> Callable[[int, list[Any]], Reply]:
    """Answer 503 to the first requests, then forward the lines to the real server."""

    def reply(number: int, lines: list[Any]) -> Reply:
        if number <= refuse_first:
            return 503, {"Retry-After": "0"}, b'{"status": "error", "error": "busy"}'
        body = b"\n".join(orjson.dumps(line) for line in lines)
        request = urllib.request.Request(
            server.url + "/api/logs/bulk", data=body, headers={"Content-Type": "application/x-ndjson"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, {}, response.read()

    return reply


def test_503_answers_are_retried_until_accepted(server: LiveServer) -> None:
    with BulkReceiver(forwarding(server, refuse_first=3)) as proxy:
        handler = LogLensHandler(proxy.url, service="retried", flush_interval=0.05, max_backoff=0.2)
        log = logger_with(handler, "live.retried")
        try:
            for i in range(10):
                log.error("attempted %d", i)
            assert handler.drain(20)
        finally:
            log.removeHandler(handler)
            handler.close()
        assert len(proxy.requests) >= 4
    assert [r["message"] for r in server.recent_logs("retried")] == [f"attempted {i}" for i in range(10)]
    assert handler.sent == 10 and handler.dropped == 0


def test_process_exit_flushes_queued_records(server: LiveServer) -> None:
    script = textwrap.dedent(
        f"""
        import logging
        from loglens.client import LogLensHandler

        log = logging.getLogger("child")
        log.setLevel(logging.INFO)
        log.addHandler(LogLensHandler({server.url!r}, service="child-exit", flush_interval=60, batch_size=1000))
        for i in range(25):
            log.info("from child %d", i)
        """
    )
    child = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=30)
    assert child.returncode == 0, child.stderr.decode()
    found = server.recent_logs("child-exit")  # the child exits only after the server acknowledged its records
    assert [r["message"] for r in found] == [f"from child {i}" for i in range(5, 25)]  # the latest 20 are listed
    health = requests.get(f"{server.url}/api/advanced-dashboard-data", timeout=5).json()["service_health"]
    assert health["child-exit"]["log_count"] == 25
