"""Alert rules, cooldowns and transitions, with an injected clock instead of sleeps."""

from __future__ import annotations

import dataclasses
import threading
import time
from typing import Any

import pytest
from flask import Flask

from loglens.alerts.notifiers.base import DeliveryError, Notifier
from loglens.alerts.notifiers.build import AlertHandler, build_channels
from loglens.alerts.notifiers.log import LogNotifier
from loglens.alerts.notifiers.webhook import WebhookNotifier
from loglens.config import ConfigError, load
from loglens.jobs import apply_retention, check_alerts
from loglens.store import Notification
from tests.conftest import FakeClock
from tests.support.alerting import Recorder, at, firing, send, state
from tests.support.wait import wait_until
from tests.support.webhook import WebhookReceiver


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def alert_app(make_app: Any, clock: FakeClock, recorder: Recorder) -> Flask:
    app: Flask = make_app(
        {
            "alerting": {
                "handlers": [],
                "min_events": 10,
                "high_volume_threshold": 30,
                "cooldown_seconds": 300,
                "ingest_check_seconds": 0,
            }
        },
        clock=clock,
        handlers=[recorder],
    )
    return app


def test_error_rate_fires_above_threshold(alert_app: Flask, clock: FakeClock, recorder: Recorder) -> None:
    send(alert_app, clock, "pay", errors=2, ok=8)  # 20% of 10 events
    assert firing(alert_app) == [("error_rate", "pay")]
    state(alert_app).checks.wait_idle()
    state(alert_app).delivery.join()
    assert [(a["rule"], a["state"], a["severity"]) for a in recorder.alerts] == [("error_rate", "firing", "CRITICAL")]


def test_error_rate_at_threshold_does_not_fire(alert_app: Flask, clock: FakeClock) -> None:
    send(alert_app, clock, "pay", errors=1, ok=9)  # exactly 10%: not above
    assert firing(alert_app) == []


def test_error_rate_needs_min_events(alert_app: Flask, clock: FakeClock) -> None:
    send(alert_app, clock, "pay", errors=5, ok=4)  # 9 events < min_events 10
    assert firing(alert_app) == []
    send(alert_app, clock, "pay", ok=1)
    assert firing(alert_app) == [("error_rate", "pay")]


def test_alert_resolves_when_clear_and_cooldown_blocks_refire(
    alert_app: Flask, clock: FakeClock, recorder: Recorder
) -> None:
    send(alert_app, clock, "pay", errors=5, ok=5)
    clock.advance(6 * 60)  # the 5-minute window has moved past the errors
    send(alert_app, clock, "pay", ok=10)
    assert firing(alert_app) == []
    [resolved] = state(alert_app).store.alerts("resolved")
    assert resolved.resolved_at_ms == int(clock.now * 1000)
    send(alert_app, clock, "pay", errors=20)  # bad again, but 6 min after firing > cooldown 5 min
    assert firing(alert_app) == [("error_rate", "pay")]
    clock.advance(60)
    send(alert_app, clock, "pay", ok=200)
    check_alerts(state(alert_app).engine)
    assert firing(alert_app, "error_rate") == []
    clock.advance(60)
    send(alert_app, clock, "pay", errors=50)  # within cooldown of the second firing: no third alert
    assert len([a for a in state(alert_app).store.alerts("all") if a.rule == "error_rate"]) == 2
    state(alert_app).checks.wait_idle()
    state(alert_app).delivery.join()
    assert [a["state"] for a in recorder.alerts if a["rule"] == "error_rate"] == [
        "firing",
        "resolved",
        "firing",
        "resolved",
    ]


def test_high_volume_is_per_service_per_minute(alert_app: Flask, clock: FakeClock) -> None:
    send(alert_app, clock, "chatty", ok=30)
    assert ("high_volume", "chatty") not in firing(alert_app)
    send(alert_app, clock, "chatty", ok=1)
    assert ("high_volume", "chatty") in firing(alert_app)
    [alert] = [a for a in state(alert_app).store.alerts("firing") if a.rule == "high_volume"]
    assert alert.severity == "WARNING" and alert.value == 31
    clock.advance(60)
    check_alerts(state(alert_app).engine)
    assert ("high_volume", "chatty") not in firing(alert_app)


def test_service_down_fires_from_periodic_check_and_resolves_on_return(
    alert_app: Flask, clock: FakeClock, recorder: Recorder
) -> None:
    send(alert_app, clock, "quiet", ok=1)
    clock.advance(119)
    assert check_alerts(state(alert_app).engine) == 0
    clock.advance(2)
    check_alerts(state(alert_app).engine)
    assert firing(alert_app) == [("service_down", "quiet")]
    send(alert_app, clock, "quiet", ok=1)
    assert firing(alert_app) == []
    state(alert_app).checks.wait_idle()
    state(alert_app).delivery.join()
    assert [(a["rule"], a["state"]) for a in recorder.alerts] == [
        ("service_down", "firing"),
        ("service_down", "resolved"),
    ]


def test_alerts_and_cooldowns_survive_restart(make_app: Any, clock: FakeClock) -> None:
    config = {"alerting": {"handlers": [], "min_events": 5, "ingest_check_seconds": 0}}
    first = make_app(config, clock=clock)
    send(first, clock, "pay", errors=5)
    state(first).close()
    second = make_app(config, clock=clock)
    assert firing(second) == [("error_rate", "pay")]
    clock.advance(400)
    send(second, clock, "pay", ok=50)
    check_alerts(state(second).engine)
    assert firing(second) == []
    send(second, clock, "pay", errors=60)
    assert firing(second, "error_rate") == [("error_rate", "pay")]


def test_retention_job_deletes_old_entries(make_app: Any, clock: FakeClock) -> None:
    app = make_app({"storage": {"retention_days": 1}, "alerting": {"handlers": []}}, clock=clock)
    send(app, clock, "svc", ok=3)
    clock.advance(2 * 86400 + 120)  # a whole day past the cutoff: ClickHouse drops whole days
    send(app, clock, "svc", ok=2)
    assert apply_retention(state(app).store, 1, clock) == 3
    assert app.test_client().get("/health").json == {"status": "healthy", "total_logs": 5, "current_stored": 2}


def test_slow_handler_never_slows_ingest_and_loses_nothing(make_app: Any, clock: FakeClock) -> None:
    release = threading.Event()

    class Stuck:
        def handle(self, alert: dict[str, Any]) -> None:
            release.wait(10)

    app = make_app(
        {"alerting": {"handlers": [], "min_events": 1, "queue_size": 1, "ingest_check_seconds": 0}},
        clock=clock,
        handlers=[Stuck()],
    )
    started = time.monotonic()
    for i in range(5):
        send(app, clock, f"svc{i}", errors=1)
    assert time.monotonic() - started < 5
    assert len(state(app).store.alerts("firing")) == 5  # every alert row is stored
    counts = state(app).store.notification_counts()  # one outbox row each, none dropped while the handler hangs
    assert sum(n for (name, _), n in counts.items() if name == "stuck") == 5, counts
    release.set()
    assert state(app).delivery.join(10)
    assert state(app).store.notification_counts() == {("stuck", "delivered"): 5}


def test_handlers_satisfy_protocol_and_build_from_config() -> None:
    specs = [{"type": "log"}, {"type": "webhook", "url": "http://127.0.0.1:9/x"}]
    handlers = load(env={}, overrides={"alerting": {"handlers": specs}}).alerting.handlers
    channels = build_channels(handlers, [Recorder()], dashboard_url="http://127.0.0.1:5000")
    assert [(c.name, type(c.notifier)) for c in channels][:2] == [("log", LogNotifier), ("webhook", WebhookNotifier)]
    assert channels[2].name == "recorder"
    assert all(isinstance(c.notifier, Notifier) for c in channels)
    assert isinstance(Recorder(), AlertHandler)
    with pytest.raises(ConfigError, match=r"alerting\.handlers\[0\]: unknown type 'pager'"):
        load(env={}, overrides={"alerting": {"handlers": [{"type": "pager"}]}})


def note(payload: dict[str, Any]) -> Notification:
    return Notification("1-firing-hook", 1, "hook", "firing", payload, "pending", 1, 0, None, 0, None)


def test_webhook_posts_alert_json_and_says_which_errors_are_worth_retrying() -> None:
    receiver = WebhookReceiver([503, 429, 404])
    hook = WebhookNotifier(receiver.url)
    try:
        for permanent in (False, False, True):  # 503 and 429: try again later; 404: retrying cannot help
            with pytest.raises(DeliveryError) as info:
                hook.deliver(note({"id": 1, "rule": "error_rate", "state": "firing"}))
            assert info.value.permanent is permanent
        hook.deliver(note({"id": 1, "rule": "error_rate", "state": "firing"}))
    finally:
        receiver.close()
    assert len(receiver.bodies) == 4 and receiver.bodies[-1] == {"id": 1, "rule": "error_rate", "state": "firing"}


def test_webhook_unreachable_is_transient() -> None:
    with pytest.raises(DeliveryError) as info:
        WebhookNotifier("http://127.0.0.1:9/none", timeout_seconds=1).deliver(note({"id": 1}))
    assert not info.value.permanent


def test_configured_webhook_receives_firing_and_resolved(make_app: Any, clock: FakeClock) -> None:
    receiver = WebhookReceiver()
    try:
        app = make_app(
            {"alerting": {"handlers": [{"type": "webhook", "url": receiver.url}], "min_events": 1}},
            clock=clock,
        )
        send(app, clock, "pay", errors=1)
        clock.advance(600)
        check_alerts(state(app).engine)
        assert state(app).delivery.join()
    finally:
        receiver.close()
    assert [(b["rule"], b["state"]) for b in receiver.bodies if b["rule"] == "error_rate"] == [
        ("error_rate", "firing"),
        ("error_rate", "resolved"),
    ]


def test_ingest_never_waits_for_rules_and_checks_coalesce(make_app: Any, clock: FakeClock) -> None:
    release = threading.Event()
    seen: list[set[str]] = []

    class SlowRule:
        name = "slow"

        def measure(self, store: Any, services: Any, now_ms: int) -> dict[str, Any]:
            seen.append(set(services or ()))
            release.wait(10)
            return {}

    app = make_app({"alerting": {"handlers": [], "ingest_check_seconds": 0}}, clock=clock)
    state(app).engine.rules = [SlowRule()]
    client = app.test_client()
    started = time.monotonic()
    for service in ("a", "b", "c"):  # a's evaluation blocks in SlowRule, yet every request is answered at once
        body = {"timestamp": at(clock), "level": "INFO", "service": service, "message": "m"}
        assert client.post("/api/logs", json=body).status_code == 201
        if service == "a":
            wait_until(lambda: seen, 10, "the check of a's entry started", interval=0.01)
    assert time.monotonic() - started < 5
    release.set()
    assert state(app).checks.wait_idle()
    assert seen == [{"a"}, {"b", "c"}]  # what arrived during one evaluation is checked together in the next


def test_scheduler_job_runs_log_at_debug_not_info(make_app: Any, clock: FakeClock, caplog: Any) -> None:
    import logging

    from loglens.jobs import EXECUTOR_LOGGER, start_scheduler

    state = make_app(clock=clock).extensions["loglens"]
    caplog.set_level(logging.DEBUG, logger="apscheduler")
    scheduler = start_scheduler(
        state.engine,
        state.store,
        dataclasses.replace(state.config.alerting, check_interval_seconds=1),
        state.config.storage,
        clock,
    )
    try:
        wait_until(
            lambda: any("executed successfully" in r.getMessage() for r in caplog.records), 10, "the check job ran"
        )
    finally:
        scheduler.shutdown(wait=True)
    runs = [r for r in caplog.records if r.name == EXECUTOR_LOGGER]
    assert runs and all(r.levelno == logging.DEBUG for r in runs), [(r.levelname, r.getMessage()) for r in runs]


def test_a_resolved_alert_says_it_resolved_and_why(alert_app: Flask, clock: FakeClock, recorder: Recorder) -> None:
    send(alert_app, clock, "pay", errors=3, ok=7)  # 30% of 10
    clock.advance(6 * 60)  # the errors leave the window
    batch = [{"timestamp": at(clock), "level": "ERROR", "service": "pay", "message": "m"}]
    batch += [{**batch[0], "level": "INFO"} for _ in range(24)]  # 1 error in 25: 4%, in one request
    assert alert_app.test_client().post("/api/logs/bulk", json=batch).status_code == 200
    assert firing(alert_app) == []
    [resolved] = state(alert_app).store.alerts("resolved")
    assert resolved.resolved_reason is not None
    assert resolved.resolved_reason.startswith("resolved:")
    assert "back to 4.0%" in resolved.resolved_reason and "under 10.0%" in resolved.resolved_reason
    assert "above" not in resolved.resolved_reason
    body = alert_app.test_client().get("/api/alerts").get_json()
    shown = [a for a in body["alerts"] if a["state"] == "resolved"] if isinstance(body, dict) else body
    assert shown and shown[0]["resolved_reason"] == resolved.resolved_reason
    state(alert_app).delivery.join()
    assert [a["resolved_reason"] for a in recorder.alerts if a["state"] == "resolved"] == [resolved.resolved_reason]


def test_service_down_and_high_volume_say_how_they_resolved(alert_app: Flask, clock: FakeClock) -> None:
    send(alert_app, clock, "chatty", ok=31)
    clock.advance(60)
    check_alerts(state(alert_app).engine)
    send(alert_app, clock, "quiet", ok=1)
    clock.advance(121)
    check_alerts(state(alert_app).engine)
    send(alert_app, clock, "quiet", ok=1)
    assert firing(alert_app) == [("service_down", "chatty")]
    reasons = {a.service: a.resolved_reason or "" for a in state(alert_app).store.alerts("resolved")}
    assert reasons["chatty"].startswith("resolved: volume from chatty back to 0 logs this minute")
    assert reasons["quiet"].startswith("resolved: quiet is sending logs again")


def test_log_handler_says_a_resolved_alert_resolved(caplog: Any) -> None:
    alert = {"state": "resolved", "severity": "CRITICAL", "rule": "error_rate", "service": "pay"}
    alert |= {"message": "Error rate for pay is 30.0%, above 10.0%", "resolved_reason": "resolved: back to 4.0%"}
    with caplog.at_level("INFO", logger="loglens.alerts"):
        LogNotifier().handle(alert)
    [line] = [r.getMessage() for r in caplog.records]
    assert line.startswith("ALERT RESOLVED [CRITICAL] error_rate pay: resolved: back to 4.0%")
    assert line.index("resolved: back") < line.index("is 30.0%")  # the old text comes after, as the past
