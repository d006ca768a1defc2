"""The spec's three rules as built-in rules of the rule engine, on the test store backend (TEST_STORE_BACKEND):
listed by GET /api/alert-rules with their definition from config.yaml's keys, read-only (409 naming the keys),
their status recorded on ingest and on the engine's tick, which runs their periodic evaluation every
alerting.check_interval_seconds under the injected clock."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from loglens.model import iso_from_ms
from tests.conftest import FakeClock
from tests.support.alerting import at, state

BUILT_IN = ["error_rate", "high_volume", "service_down"]
ALERTING = {
    "error_rate_threshold": 0.05,
    "high_volume_threshold": 1000,
    "service_down_minutes": 5,
    "check_interval_seconds": 30,
    "cooldown_seconds": 120,
    "min_events": 10,
    "window_minutes": 5,
    "ingest_check_seconds": 0,
    "handlers": [],
}
CONFIG_RULE = {"name": "cfg-errors", "query": "level:ERROR | stats count() by service", "condition": "> 2"}


@pytest.fixture
def builtin_app(make_app: Any, clock: FakeClock) -> Flask:
    app: Flask = make_app({"alerting": {**ALERTING, "rules": [CONFIG_RULE]}}, clock=clock)
    return app


def ingest(app: Flask, clock: FakeClock, service: str, *, errors: int = 0, ok: int = 0) -> None:
    """One bulk request; waits until its on-ingest rule evaluation has run."""
    entries = [
        {"timestamp": at(clock), "level": "ERROR" if i < errors else "INFO", "service": service, "message": "m"}
        for i in range(errors + ok)
    ]
    response = app.test_client().post("/api/logs/bulk", json=entries)
    assert response.status_code == 200 and response.json["accepted"] == len(entries), response.json
    state(app).store.refresh()
    assert state(app).checks.wait_idle()


def shown(app: Flask, name: str) -> dict[str, Any]:
    response = app.test_client().get(f"/api/alert-rules/{name}")
    assert response.status_code == 200, response.json
    rule: dict[str, Any] = response.json
    return rule


def test_the_built_in_rules_are_listed_with_the_others_by_name_with_their_definition_from_config(
    builtin_app: Flask,
) -> None:
    client = builtin_app.test_client()
    api_rule = {"name": "zeta", "query": '"card declined"', "condition": "> 3"}
    assert client.post("/api/alert-rules", json=api_rule).status_code == 201
    listed = client.get("/api/alert-rules").json
    assert [r["name"] for r in listed] == sorted(["cfg-errors", "zeta", *BUILT_IN])
    rules = {r["name"]: r for r in listed}
    assert {n: r["source"] for n, r in rules.items()} == {
        "cfg-errors": "config",
        "zeta": "api",
        **dict.fromkeys(BUILT_IN, "built-in"),
    }
    error_rate, high_volume, service_down = (rules[n] for n in BUILT_IN)
    assert (error_rate["query"], error_rate["condition"], error_rate["window"]) == ("level>=ERROR", "> 0.05", "5m")
    assert (high_volume["query"], high_volume["condition"]) == ("| stats count() by service", "> 1000")
    assert (service_down["query"], service_down["condition"], service_down["window"]) == (None, "> 5", None)
    assert "minutes since" in service_down["description"]
    assert [r["severity"] for r in (error_rate, high_volume, service_down)] == ["CRITICAL", "WARNING", "CRITICAL"]
    for rule in (error_rate, high_volume, service_down):
        assert rule["every"] == "30s" and rule["cooldown_seconds"] == 120
        assert rule["by"] == ["service"] and rule["notify"] == [] and rule["state"] == "unevaluated"
        assert rule["config_keys"]["every"] == "alerting.check_interval_seconds"
        assert rule["config_keys"]["cooldown_seconds"] == "alerting.cooldown_seconds"
    assert error_rate["config_keys"]["condition"] == "alerting.error_rate_threshold"
    assert error_rate["config_keys"]["min_events"] == "alerting.min_events"
    assert high_volume["config_keys"]["condition"] == "alerting.high_volume_threshold"
    assert service_down["config_keys"]["condition"] == "alerting.service_down_minutes"
    assert shown(builtin_app, "high_volume") == high_volume


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("error_rate", "alerting.error_rate_threshold"),
        ("high_volume", "alerting.high_volume_threshold"),
        ("service_down", "alerting.service_down_minutes"),
    ],
)
def test_a_built_in_rule_cannot_be_replaced_or_deleted_and_the_409_names_its_config_keys(
    builtin_app: Flask, name: str, key: str
) -> None:
    client = builtin_app.test_client()
    body = {"query": '"card declined"', "condition": "> 3"}
    for response in (client.put(f"/api/alert-rules/{name}", json=body), client.delete(f"/api/alert-rules/{name}")):
        assert response.status_code == 409, response.json
        assert "built in" in response.json["error"] and key in response.json["error"]
        assert "alerting.check_interval_seconds" in response.json["error"]
    assert shown(builtin_app, name)["source"] == "built-in"  # still there, unchanged
    created = client.post("/api/alert-rules", json={**body, "name": name})
    assert created.status_code == 400 and "built-in" in created.json["error"]


def test_an_ingest_that_makes_error_rate_fire_shows_in_its_status_with_each_services_value(
    builtin_app: Flask, clock: FakeClock
) -> None:
    ingest(builtin_app, clock, "pay", errors=3, ok=7)  # 30% of 10 entries, above 5%
    ingest(builtin_app, clock, "calm", ok=10)
    now_ms = int(clock() * 1000)
    error_rate = shown(builtin_app, "error_rate")
    assert error_rate["state"] == "firing" and error_rate["last_evaluated_at"] == iso_from_ms(now_ms)
    assert error_rate["groups"] == {
        "service=calm": {"state": "ok", "value": 0.0},
        "service=pay": {"state": "firing", "value": 0.3},
    }
    assert isinstance(error_rate["took_ms"], float) and error_rate["took_ms"] >= 0
    high_volume = shown(builtin_app, "high_volume")
    assert high_volume["state"] == "ok"
    assert high_volume["groups"] == {
        "service=calm": {"state": "ok", "value": 10.0},
        "service=pay": {"state": "ok", "value": 10.0},
    }
    # the alert itself is the spec's, unchanged
    (alert,) = [a for a in builtin_app.test_client().get("/api/alerts").json if a["rule"] == "error_rate"]
    assert (alert["service"], alert["severity"], alert["state"], alert["value"]) == ("pay", "CRITICAL", "firing", 0.3)


def test_the_engine_tick_runs_the_built_in_rules_every_check_interval_and_fires_service_down(
    builtin_app: Flask, clock: FakeClock
) -> None:
    ingest(builtin_app, clock, "pay", ok=3)
    engine = state(builtin_app).rules
    ingested_ms = int(clock() * 1000)
    assert shown(builtin_app, "service_down")["groups"] == {"service=pay": {"state": "ok", "value": 0.0}}
    clock.advance(29)
    engine.tick()  # the first periodic evaluation is one interval after start
    assert shown(builtin_app, "service_down")["last_evaluated_at"] == iso_from_ms(ingested_ms)
    clock.advance(1)
    engine.tick()
    down = shown(builtin_app, "service_down")
    assert down["last_evaluated_at"] == iso_from_ms(ingested_ms + 30_000) and down["state"] == "ok"
    assert down["groups"] == {"service=pay": {"state": "ok", "value": 0.5}}
    clock.advance(20)
    engine.tick()  # 20 s later: not due again
    assert shown(builtin_app, "service_down")["last_evaluated_at"] == iso_from_ms(ingested_ms + 30_000)
    clock.advance(5 * 60 - 20)  # 5.5 min silent, past service_down_minutes
    fired = engine.tick()
    assert [(a.rule, a.service) for a in fired] == [("service_down", "pay")]
    down = shown(builtin_app, "service_down")
    assert down["state"] == "firing" and down["groups"] == {"service=pay": {"state": "firing", "value": 5.5}}
    assert down["last_evaluated_at"] == iso_from_ms(int(clock() * 1000))
    assert [(a["rule"], a["service"]) for a in builtin_app.test_client().get("/api/alerts?state=firing").json] == [
        ("service_down", "pay")
    ]


def test_the_scheduler_runs_the_built_in_rules_through_the_engine_tick_not_a_job_of_their_own(
    make_app: Any, clock: FakeClock
) -> None:
    app = make_app({"alerting": ALERTING}, clock=clock, start_jobs=True)
    jobs = {job.id for job in state(app).scheduler.get_jobs()}
    assert "evaluate_rules" in jobs and "check_alerts" not in jobs
