"""Alert rules on a saved search (`saved_search: <name>`) on the test store backend (TEST_STORE_BACKEND): exactly
one of query and saved_search, a missing saved search refused through the API but only reported for a config.yaml
rule, the saved search's current query evaluated and previewed (an edit changes the next evaluation), and a saved
search that rules use neither deleted nor renamed (409 naming them) while replacing its query is allowed."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from loglens.model import MINUTE_MS, iso_from_ms
from tests.conftest import FakeClock
from tests.support.alerting import Deliveries, state

SAVED = {"name": "declines", "query": '"card declined" | stats count() by service', "from": "1h"}
RULE = {"name": "declines-rule", "saved_search": "declines", "condition": "> 3", "window": "5m", "every": "30s"}
CONFIG_RULE = {"name": "cfg-saved", "saved_search": "timeouts", "condition": "> 1", "every": "1m"}


def post_entries(app: Flask, ts_ms: int, n: int, *, service: str, message: str) -> None:
    entries = [
        {"timestamp": iso_from_ms(ts_ms + i), "level": "ERROR", "service": service, "message": message}
        for i in range(n)
    ]
    response = app.test_client().post("/api/logs/bulk", json=entries)
    assert response.status_code == 200 and response.json["accepted"] == n, response.json
    state(app).store.refresh()


@pytest.fixture
def rules_app(make_app: Any, clock: FakeClock) -> Flask:
    alerting = {"rules": [CONFIG_RULE], "handlers": [{"name": "log", "type": "log"}]}
    app: Flask = make_app({"alerting": alerting}, clock=clock, handlers=[Deliveries()])
    return app


def save_search(client: FlaskClient, body: dict[str, Any]) -> None:
    response = client.post("/api/saved-searches", json=body)
    assert response.status_code == 201, response.json


def listed(client: FlaskClient) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in client.get("/api/alert-rules").json}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({**RULE, "query": "level:ERROR"}, "rule.saved_search: a rule has a query or a saved search, not both"),
        ({k: v for k, v in RULE.items() if k != "saved_search"}, "rule.query: required (or saved_search"),
        ({**RULE, "saved_search": "nope"}, "rule.saved_search: no saved search named 'nope'"),
        ({**RULE, "saved_search": 5}, "rule.saved_search: expected str"),
    ],
)
def test_a_rule_body_needs_exactly_one_of_query_and_an_existing_saved_search(
    rules_app: Flask, body: dict[str, Any], message: str
) -> None:
    client = rules_app.test_client()
    save_search(client, SAVED)
    for response in (
        client.post("/api/alert-rules", json=body),
        client.put("/api/alert-rules/declines-rule", json=body),
        client.post("/api/alert-rules/preview", json=body),
    ):
        assert response.status_code == 400, response.json
        assert message in response.json["error"], response.json
    assert "declines-rule" not in listed(client)


def test_a_saved_search_whose_query_is_not_a_rules_is_refused_naming_saved_search(rules_app: Flask) -> None:
    client = rules_app.test_client()
    save_search(client, {"name": "chart", "query": "level:ERROR | timechart count() by service"})
    response = client.post("/api/alert-rules", json={**RULE, "saved_search": "chart"})
    assert response.status_code == 400 and response.json["parameter"] == "saved_search", response.json
    assert "the query of the saved search 'chart': a rule takes one" in response.json["error"]


def test_a_rule_on_a_saved_search_evaluates_its_current_query_and_an_edit_changes_the_next_evaluation(
    rules_app: Flask, clock: FakeClock
) -> None:
    client = rules_app.test_client()
    save_search(client, SAVED)
    created = client.post("/api/alert-rules", json=RULE)
    assert created.status_code == 201, created.json
    assert created.json["saved_search"] == "declines" and created.json["resolved_query"] == SAVED["query"]
    now_ms = int(clock() * 1000)
    post_entries(rules_app, now_ms - MINUTE_MS, 5, service="payment-service", message="card declined")
    post_entries(rules_app, now_ms - MINUTE_MS, 2, service="api", message="timeout talking to bank")
    fired = state(rules_app).rules.tick()
    assert [(a.rule, a.group) for a in fired if a.rule == "declines-rule"] == [
        ("declines-rule", "service=payment-service")
    ]
    shown = listed(client)["declines-rule"]
    assert shown["state"] == "firing" and shown["query"] == "" and shown["saved_search"] == "declines"
    assert shown["resolved_query"] == SAVED["query"]
    assert shown["groups"]["service=payment-service"] == {"state": "firing", "value": 5.0}
    # the saved search now watches the timeouts (a filter alone: its matches are counted, ungrouped)
    edited = client.put("/api/saved-searches/declines", json={"name": "declines", "query": '"timeout"'})
    assert edited.status_code == 200, edited.json
    clock.advance(30)
    changed = state(rules_app).rules.tick()
    assert {(a.rule, a.group, a.state) for a in changed if a.rule == "declines-rule"} == {
        ("declines-rule", "service=payment-service", "resolved")  # the old group has no data now
    }
    shown = listed(client)["declines-rule"]
    assert shown["resolved_query"] == '"timeout"' and shown["value"] == 2.0 and shown["state"] == "ok"
    post_entries(rules_app, now_ms, 3, service="api", message="timeout talking to bank")
    clock.advance(30)
    fired = state(rules_app).rules.tick()
    assert [(a.rule, a.group, a.value) for a in fired if a.rule == "declines-rule"] == [("declines-rule", "", 5.0)]


def test_the_preview_of_a_rule_on_a_saved_search_uses_its_query(rules_app: Flask, clock: FakeClock) -> None:
    client = rules_app.test_client()
    save_search(client, SAVED)
    now_ms = int(clock() * 1000)
    post_entries(rules_app, now_ms - 3 * 3_600_000, 4, service="payment-service", message="card declined")
    post_entries(rules_app, now_ms - 3 * 3_600_000, 9, service="api", message="something else")
    answer = client.post("/api/alert-rules/preview", json=RULE)
    assert answer.status_code == 200, answer.json
    series = {s["group"]: s["values"] for s in answer.json["series"]}
    assert set(series) == {"service=payment-service"} and max(v or 0 for v in series["service=payment-service"]) == 4
    assert [f["group"] for f in answer.json["firings"]] == ["service=payment-service"]


def test_a_config_rule_naming_a_missing_saved_search_starts_in_error_until_it_exists(
    rules_app: Flask, clock: FakeClock
) -> None:
    client = rules_app.test_client()
    engine = state(rules_app).rules
    for _ in range(2):  # every evaluation says so
        engine.tick()
        shown = listed(client)["cfg-saved"]
        assert shown["state"] == "error" and shown["saved_search"] == "timeouts" and shown["resolved_query"] is None
        assert shown["error"] == "alerting.rules[cfg-saved].saved_search: no saved search named 'timeouts'"
        clock.advance(60)
    save_search(client, {"name": "timeouts", "query": '"timeout"'})
    post_entries(rules_app, int(clock() * 1000) - MINUTE_MS, 2, service="api", message="timeout talking to bank")
    fired = engine.tick()
    assert [(a.rule, a.value) for a in fired] == [("cfg-saved", 2.0)]
    shown = listed(client)["cfg-saved"]
    assert shown["state"] == "firing" and shown["error"] is None and shown["resolved_query"] == '"timeout"'


def test_a_saved_search_that_rules_use_cannot_be_deleted_or_renamed_but_can_be_replaced(rules_app: Flask) -> None:
    client = rules_app.test_client()
    save_search(client, SAVED)
    save_search(client, {"name": "timeouts", "query": '"timeout"'})
    assert client.post("/api/alert-rules", json=RULE).status_code == 201
    assert client.post("/api/alert-rules", json={**RULE, "name": "second"}).status_code == 201
    refused = client.delete("/api/saved-searches/declines")
    assert refused.status_code == 409 and refused.json["rules"] == ["declines-rule", "second"], refused.json
    assert "used by the alert rule(s) declines-rule, second" in refused.json["error"]
    config_used = client.delete("/api/saved-searches/timeouts")  # a config.yaml rule's too
    assert config_used.status_code == 409 and config_used.json["rules"] == ["cfg-saved"], config_used.json
    renamed = client.put("/api/saved-searches/declines", json={**SAVED, "name": "other"})
    assert renamed.status_code == 409 and renamed.json["rules"] == ["declines-rule", "second"], renamed.json
    replaced = client.put("/api/saved-searches/declines", json={**SAVED, "query": "level:ERROR"})
    assert replaced.status_code == 200 and replaced.json["query"] == "level:ERROR"
    assert client.get("/api/saved-searches/declines").json["query"] == "level:ERROR"
    assert client.delete("/api/alert-rules/declines-rule").status_code == 204
    assert client.delete("/api/alert-rules/second").status_code == 204
    assert client.delete("/api/saved-searches/declines").status_code == 204
    assert client.get("/api/saved-searches/declines").status_code == 404
