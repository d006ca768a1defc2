"""What the alerting tests share: a handler that records alerts, posting entries through an app, and its state."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Flask

from loglens.store import Notification
from tests.conftest import FakeClock


class Recorder:
    def __init__(self) -> None:
        self.alerts: list[dict[str, Any]] = []

    def handle(self, alert: dict[str, Any]) -> None:
        self.alerts.append(alert)


class Deliveries:
    """A notifier (the outbox's `deliver`) that keeps what it was given: (event, alert) in order; its name in
    create_app(handlers=[...]) is `deliveries`."""

    def __init__(self) -> None:
        self.told: list[tuple[str, dict[str, Any]]] = []

    def deliver(self, notification: Notification) -> None:
        self.told.append((notification.event, dict(notification.payload)))

    def of(self, rule: str) -> list[tuple[str, str]]:
        """(event, the alert's state) of each notification about `rule`'s alerts."""
        return [(event, alert["state"]) for event, alert in self.told if alert["rule"] == rule]


def at(clock: FakeClock, offset_seconds: float = 0) -> str:
    return datetime.fromtimestamp(clock.now + offset_seconds, tz=UTC).isoformat()


def send(app: Flask, clock: FakeClock, service: str, *, errors: int = 0, ok: int = 0) -> None:
    client = app.test_client()
    for i in range(errors + ok):
        level = "ERROR" if i < errors else "INFO"
        body = {"timestamp": at(clock), "level": level, "service": service, "message": "m"}
        assert client.post("/api/logs", json=body).status_code == 201
    assert state(app).checks.wait_idle()  # on-ingest checks run on their own thread: let them finish


def state(app: Flask) -> Any:
    return app.extensions["loglens"]


def firing(app: Flask, rule: str | None = None) -> list[tuple[str, str]]:
    assert state(app).checks.wait_idle()  # on-ingest checks run on their own thread
    return [(a.rule, a.service) for a in state(app).store.alerts("firing") if rule in (None, a.rule)]
