"""POST /api/logs on Granian's event loop (serving/rsgi.py + api/fast.py `respond_async`), on a real server.

The loop answers the ordinary request itself and hands every other one to the Flask view on a request thread;
each branch must give the same answer the Flask view gives, and the event loop must keep serving while a
commit waits.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.support.live import LiveServer
from tests.support.wait import wait_until
from tests.support.write_lock import write_lock

pytestmark = pytest.mark.server
JSON = {"Content-Type": "application/json"}


def entry(service: str, message: str = "hi", **extra: Any) -> dict[str, Any]:
    return {"timestamp": "2026-01-01T00:00:00Z", "level": "INFO", "service": service, "message": message, **extra}


def post(server: LiveServer, body: bytes, headers: dict[str, str] | None = None) -> requests.Response:
    return requests.post(server.url + "/api/logs", data=body, headers=headers or JSON, timeout=10)


def queued(server: LiveServer) -> float:
    text = requests.get(server.url + "/metrics", timeout=5).text
    for family in text_string_to_metric_families(text):
        if family.name == "loglens_writer_queue_entries":
            return float(family.samples[0].value)
    raise AssertionError("no loglens_writer_queue_entries in /metrics")


def test_an_ordinary_post_is_stored_and_answered_201(server: LiveServer) -> None:
    response = post(server, orjson.dumps(entry("fast-ok", "stored from the loop", user_id="u-1")))
    assert response.status_code == 201 and response.json() == {"status": "accepted"}
    assert response.headers["X-Content-Type-Options"] == "nosniff"  # the same security headers as Flask's
    assert [log["message"] for log in server.recent_logs("fast-ok")] == ["stored from the loop"]


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (orjson.dumps({"level": "INFO", "service": "fast-bad", "message": "m"}), 400, "timestamp"),  # on the loop
        (b'{"timestamp": ', 400, "JSON"),  # malformed: handed to Flask
        (b"[1, 2]", 400, "object"),
        (orjson.dumps(entry("fast-big", "x" * 70_000)), 413, "ingest.max_entry_bytes"),
    ],
)
def test_a_bad_entry_gets_the_seed_shaped_error(server: LiveServer, body: bytes, status: int, says: str) -> None:
    response = post(server, body)
    assert response.status_code == status, response.text
    payload = response.json()
    text = " ".join(payload["errors"]) if "errors" in payload else payload["error"]
    assert says in text
    if status == 400:
        assert payload["status"] == "invalid"


def test_an_empty_body_is_a_400(server: LiveServer) -> None:
    response = post(server, b"")
    assert response.status_code == 400 and response.json()["status"] == "invalid"


def test_a_busy_writer_answers_503_with_retry_after_while_the_loop_keeps_serving(tmp_path: Path) -> None:
    with LiveServer(tmp_path / "srv", {"storage": {"max_pending_entries": 1}}) as server:
        assert post(server, orjson.dumps(entry("busy", "first"))).status_code == 201
        waiting: list[requests.Response] = []
        with write_lock(server.data_dir / "loglens.db"):
            first = threading.Thread(target=lambda: waiting.append(post(server, orjson.dumps(entry("busy", "held")))))
            first.start()
            # the held POST waits for the writer
            wait_until(lambda: queued(server) >= 1, 10, "the held POST reached the writer's queue")
            response = post(server, orjson.dumps(entry("busy", "refused")))
            assert response.status_code == 503, response.text
            assert response.headers["Retry-After"] and "retry" in response.json()["error"]
            assert queued(server) == 1  # the server answered while a commit waited
        first.join(15)
        assert [r.status_code for r in waiting] == [201]
        assert "held" in [log["message"] for log in server.recent_logs("busy")]
