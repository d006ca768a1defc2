"""One definition of "degraded" (grid and error-rate rule), retiring silent services, acknowledging alerts."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from loglens.jobs import check_alerts
from tests.conftest import FakeClock
from tests.support.alerting import Recorder, firing, send, state


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def alert_app(make_app: Any, clock: FakeClock, recorder: Recorder) -> Flask:
    config = {"alerting": {"handlers": [], "min_events": 10, "ingest_check_seconds": 0}}
    app: Flask = make_app(config, clock=clock, handlers=[recorder])
    return app


def grid(app: Flask) -> dict[str, dict[str, Any]]:
    data: dict[str, dict[str, Any]] = app.test_client().get("/api/advanced-dashboard-data").json["service_health"]
    return data


def test_grid_calls_a_service_degraded_exactly_when_the_error_rate_rule_fires(
    alert_app: Flask, clock: FakeClock
) -> None:
    send(alert_app, clock, "pay", errors=5, ok=4)  # 56% errors, but 9 entries < alerting.min_events (10)
    assert grid(alert_app)["pay"]["status"] == "healthy"
    assert firing(alert_app, "error_rate") == []
    send(alert_app, clock, "pay", ok=1)  # 10 entries: now both say so
    assert grid(alert_app)["pay"]["status"] == "degraded"
    assert firing(alert_app, "error_rate") == [("error_rate", "pay")]
    clock.advance(6 * 60)
    send(alert_app, clock, "pay", ok=10)  # the window moved past the errors
    assert grid(alert_app)["pay"]["status"] == "healthy"
    assert firing(alert_app, "error_rate") == []


def test_service_silent_past_forget_hours_is_retired_and_its_alert_resolves_with_a_reason(
    make_app: Any, clock: FakeClock, recorder: Recorder
) -> None:
    app = make_app(
        {"alerting": {"handlers": [], "service_forget_hours": 1.0, "ingest_check_seconds": 0}},
        clock=clock,
        handlers=[recorder],
    )
    send(app, clock, "old", ok=1)
    send(app, clock, "alive", ok=1)
    clock.advance(5 * 60)
    check_alerts(state(app).engine)
    assert sorted(firing(app)) == [("service_down", "alive"), ("service_down", "old")]
    clock.advance(30 * 60)
    send(app, clock, "alive", ok=1)
    clock.advance(40 * 60)  # "old" silent 75 min > 1 h; "alive" 40 min
    check_alerts(state(app).engine)
    assert firing(app) == [("service_down", "alive")]
    resolved = [a for a in state(app).store.alerts("resolved") if a.service == "old"]
    assert len(resolved) == 1 and resolved[0].resolved_reason is not None
    assert "retired" in resolved[0].resolved_reason
    data = app.test_client().get("/api/advanced-dashboard-data").json
    assert list(data["service_health"]) == ["alive"]
    assert data["summary"]["active_services"] == 1
    assert data["resolved_alerts"][0]["resolved_reason"] == resolved[0].resolved_reason
    state(app).delivery.join()
    assert ("old", "resolved") in [(a["service"], a["state"]) for a in recorder.alerts]
    send(app, clock, "old", ok=1)  # a retired service that sends again is back
    assert "old" in app.test_client().get("/api/advanced-dashboard-data").json["service_health"]


def test_acknowledged_alert_stays_listed_and_notifies_nobody_until_it_resolves(
    alert_app: Flask, clock: FakeClock, recorder: Recorder
) -> None:
    client = alert_app.test_client()
    send(alert_app, clock, "pay", errors=10)
    (alert,) = state(alert_app).store.alerts("firing")
    response = client.post(f"/api/alerts/{alert.id}/ack", json={})
    assert response.status_code == 200, response.json
    assert response.json["acknowledged_at"] is not None and response.json["state"] == "firing"
    again = client.post(f"/api/alerts/{alert.id}/ack", json={})
    assert again.status_code == 200 and again.json["acknowledged_at"] == response.json["acknowledged_at"]
    send(alert_app, clock, "pay", errors=10)  # still failing: still the one acknowledged alert, nobody told
    firing_now = client.get("/api/advanced-dashboard-data").json["active_alerts"]
    assert [(a["id"], a["acknowledged_at"] is not None) for a in firing_now] == [(alert.id, True)]
    clock.advance(6 * 60)
    send(alert_app, clock, "pay", ok=10)
    state(alert_app).delivery.join()
    assert [(a["id"], a["state"]) for a in recorder.alerts] == [(alert.id, "firing"), (alert.id, "resolved")]
    assert client.post(f"/api/alerts/{alert.id}/ack", json={}).status_code == 409  # resolved now


def test_ack_answers_bad_requests_with_json_errors(alert_app: Flask, clock: FakeClock) -> None:
    client = alert_app.test_client()
    send(alert_app, clock, "pay", errors=10)
    (alert,) = state(alert_app).store.alerts("firing")
    cases = [
        (client.post(f"/api/alerts/{alert.id}/ack", data="{}", content_type="text/plain"), 415),
        (client.post(f"/api/alerts/{alert.id}/ack"), 415),
        (client.post(f"/api/alerts/{alert.id}/ack", json={"x": 1}), 400),
        (client.post(f"/api/alerts/{alert.id}/ack", data="{", content_type="application/json"), 400),
        (client.post("/api/alerts/999/ack", json={}), 404),
        (client.post(f"/api/alerts/{1 << 63}/ack", json={}), 404),  # past the stores' 64-bit ids: not a 500
        (client.get(f"/api/alerts/{alert.id}/ack"), 405),
    ]
    for response, status in cases:
        assert response.status_code == status, (status, response.json)
        assert response.json["status"] == "error" and response.json["error"]
    assert state(alert_app).store.alerts("firing")[0].acked_at_ms is None
