"""`loglens serve --dev` (Flask's development server): stopped with Ctrl-C, it closes the app as the production
servers' workers do, committing what it acknowledged; nothing is left to an exit hook."""

from __future__ import annotations

import signal
import sqlite3
from pathlib import Path

import pytest
import requests

from tests.support.live import LiveServer

pytestmark = pytest.mark.server


def test_ctrl_c_closes_the_app_after_its_acknowledged_writes(tmp_path: Path) -> None:
    server = LiveServer(tmp_path, dev=True).start()
    try:
        entry = {"timestamp": "2026-01-01T00:00:00Z", "level": "INFO", "service": "dev", "message": "kept"}
        assert requests.post(server.url + "/api/logs", json=entry, timeout=10).status_code == 201
        assert server.proc is not None
        server.proc.send_signal(signal.SIGINT)
        assert server.proc.wait(timeout=20) == 0
    finally:
        server.kill()
    assert "stopped: pending writes committed, undelivered notifications kept in the outbox" in server.output()
    with sqlite3.connect(tmp_path / "loglens.db") as db:
        assert db.execute("SELECT count(*) FROM logs").fetchone() == (1,)
