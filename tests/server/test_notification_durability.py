"""kill -9 of a live server while notifications are pending and one is in flight: after the restart every
notification is delivered, and none recorded delivered before the kill is sent again (the receiver counts them by
X-LogLens-Notification-Id; only the one in flight may arrive twice, under the same id)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests

from tests.support.live import LiveServer
from tests.support.receiver import Receiver
from tests.support.wait import wait_until

pytestmark = pytest.mark.server


def post_error(server: LiveServer, service: str) -> None:
    body = {"timestamp": datetime.now(UTC).isoformat(), "level": "ERROR", "service": service, "message": "declined"}
    assert requests.post(f"{server.url}/api/logs", json=body, timeout=5).status_code == 201


def outbox(server: LiveServer) -> dict[str, str]:
    """Every notification of every alert: id -> status."""
    found: dict[str, str] = {}
    for alert in requests.get(f"{server.url}/api/alerts", timeout=5).json():
        detail: dict[str, Any] = requests.get(f"{server.url}/api/alerts/{alert['id']}", timeout=5).json()
        found |= {n["id"]: n["status"] for n in detail["notifications"]}
    return found


def all_delivered(server: LiveServer, count: int) -> dict[str, str]:
    def done() -> dict[str, str] | None:
        rows = outbox(server)
        return rows if len(rows) == count and set(rows.values()) == {"delivered"} else None

    return wait_until(done, 30, f"{count} notifications are recorded delivered")


def test_kill_9_during_delivery_loses_no_notification_and_resends_none_recorded_delivered(tmp_path: Path) -> None:
    receiver = Receiver()
    hook = {"name": "hook", "type": "webhook", "url": f"{receiver.url}/hook", "timeout_seconds": 30}
    config = {
        "alerting": {
            "min_events": 1,
            "handlers": [hook],
            "delivery_lease_seconds": 2,
            "delivery_poll_seconds": 0.2,
            "delivery_backoff_seconds": 0.2,
        }
    }
    server = LiveServer(tmp_path / "srv", config).start()
    try:
        for i in range(5):
            post_error(server, f"before-{i}")
        before = all_delivered(server, 5)

        receiver.hang.set()  # the next POST stays in flight; the rest wait in the outbox behind it
        for i in range(5):
            post_error(server, f"during-{i}")
        wait_until(lambda: len(receiver.arrived) == 6, 20, "a notification is in flight")
        in_flight = f"{orjson.loads(receiver.arrived[5])['id']}-firing-hook"
        server.kill()
        receiver.hang.clear()
        receiver.release.set()  # the receiver answers the dead connection: it got that one, the server never knew

        server.start()
        after = all_delivered(server, 10)
    finally:
        server.kill()
        receiver.close()
    accepted = receiver.accepted()
    assert set(accepted) == set(after)  # every notification arrived
    assert all(accepted[nid] == 1 for nid in before)  # recorded delivered before the kill: never sent again
    assert {nid for nid, n in accepted.items() if n > 1} <= {in_flight} and accepted[in_flight] <= 2
