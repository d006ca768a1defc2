"""The alert rules API on the test store backend (TEST_STORE_BACKEND): CRUD with roles, config rules read-only,
bodies checked as config rules are (400 naming the key), evaluation through the job's tick with its notifications,
the 24 h preview against brute force, and a slow rule reported, counted and never piled up."""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask import Flask

from loglens.alerts.rule_spec import BUILT_IN_NAMES
from loglens.model import MINUTE_MS, iso_from_ms
from tests.conftest import TEST_BACKEND, FakeClock
from tests.support import slowquery
from tests.support.alerting import Deliveries, state
from tests.support.auth import bearer, make_keys
from tests.support.wait import wait_until

CONFIG_RULE = {"name": "cfg-errors", "query": "level:ERROR | stats count() by service", "condition": "> 2"}
DECLINES = {
    "name": "declines",
    "query": '"card declined" | stats count() by service',
    "condition": "> 3",
    "window": "5m",
    "every": "30s",
    "severity": "critical",
    "labels": {"team": "payments"},
    "notify": ["am"],
}


def post_entries(app: Flask, entries: list[dict[str, Any]]) -> None:
    response = app.test_client().post("/api/logs/bulk", json=entries)
    assert response.status_code == 200 and response.json["accepted"] == len(entries), response.json
    state(app).store.refresh()


def entries_at(
    ts_ms: int, n: int, *, service: str = "payment-service", message: str = "card declined"
) -> list[dict[str, Any]]:
    return [
        {"timestamp": iso_from_ms(ts_ms + i), "level": "ERROR", "service": service, "message": message}
        for i in range(n)
    ]


@pytest.fixture
def recorder() -> Deliveries:
    return Deliveries()


@pytest.fixture
def rules_app(make_app: Any, clock: FakeClock, recorder: Deliveries) -> Flask:
    alerting = {"rules": [CONFIG_RULE], "handlers": [{"name": "am", "type": "log"}]}
    app: Flask = make_app({"alerting": alerting}, clock=clock, handlers=[recorder])
    return app


def test_a_rule_made_through_the_api_is_listed_fires_on_the_tick_and_notifies_with_its_names(
    rules_app: Flask, clock: FakeClock, recorder: Deliveries
) -> None:
    client = rules_app.test_client()
    created = client.post("/api/alert-rules", json=DECLINES)
    assert created.status_code == 201 and created.json["source"] == "api" and created.json["state"] == "unevaluated"
    now_ms = int(clock() * 1000)
    post_entries(rules_app, entries_at(now_ms - MINUTE_MS, 5) + entries_at(now_ms - MINUTE_MS, 1, service="api"))
    fired = state(rules_app).rules.tick()
    assert sorted((a.rule, a.group) for a in fired) == [
        ("cfg-errors", "service=payment-service"),
        ("declines", "service=payment-service"),
    ]
    listed = {r["name"]: r for r in client.get("/api/alert-rules").json}
    assert set(listed) == {"cfg-errors", "declines", *BUILT_IN_NAMES} and listed["cfg-errors"]["source"] == "config"
    shown = listed["declines"]
    assert shown["state"] == "firing" and shown["last_evaluated_at"] == iso_from_ms(now_ms)
    assert shown["groups"]["service=payment-service"] == {"state": "firing", "value": 5.0}
    assert shown["groups"]["service=api"] == {"state": "ok", "value": 1.0}
    alerts = client.get("/api/alerts?state=firing").json
    mine = next(a for a in alerts if a["rule"] == "declines")
    assert mine["group"] == "service=payment-service" and mine["service"] == "payment-service"
    assert mine["labels"] == {"team": "payments"} and mine["severity"] == "CRITICAL"
    delivery = state(rules_app).delivery
    assert delivery.join()
    outbox = [(n.notifier, n.event, n.status) for n in state(rules_app).store.notifications(mine["id"])]
    assert outbox == [("am", "firing", "delivered")]  # the rule names `am`: only am is told
    assert recorder.of("declines") == [] and recorder.of("cfg-errors") == [("firing", "firing")]  # no notify: all
    # the window moves past the entries: resolved and told
    clock.advance(600)
    resolved = [a for a in state(rules_app).rules.tick() if a.rule not in BUILT_IN_NAMES]  # service_down fires
    assert {(a.rule, a.state) for a in resolved} == {("cfg-errors", "resolved"), ("declines", "resolved")}
    assert delivery.join()
    outbox = [(n.notifier, n.event, n.status) for n in state(rules_app).store.notifications(mine["id"])]
    assert sorted(outbox) == [("am", "firing", "delivered"), ("am", "resolved", "delivered")]


def test_each_rule_is_evaluated_on_its_own_every(rules_app: Flask, clock: FakeClock) -> None:
    client = rules_app.test_client()
    assert client.post("/api/alert-rules", json={**DECLINES, "every": "2m"}).status_code == 201
    engine = state(rules_app).rules
    engine.tick()
    first = {n: s.evaluated_ms for n, s in engine.status.items()}
    clock.advance(60)  # cfg-errors (every 1m) is due, declines (2m) is not
    engine.tick()
    assert engine.status["cfg-errors"].evaluated_ms == first["cfg-errors"] + 60_000
    assert engine.status["declines"].evaluated_ms == first["declines"]
    clock.advance(60)
    engine.tick()
    assert engine.status["declines"].evaluated_ms == first["declines"] + 120_000


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({**DECLINES, "treshold": 3}, "unknown key rule.treshold"),
        ({**DECLINES, "query": '"card declined" | stats count() by'}, "rule.query: expected a field at column"),
        ({**DECLINES, "condition": "over 3"}, "rule.condition: expected >, <, >= or <= and a number"),
        ({**DECLINES, "window": "5"}, "rule.window: expected a duration"),
        ({**DECLINES, "every": 30}, "rule.every: expected str"),
        ({**DECLINES, "name": "no spaces"}, "rule.name: must be letters, digits"),
        ({k: v for k, v in DECLINES.items() if k != "condition"}, "rule.condition: required"),
    ],
)
def test_a_bad_rule_body_is_a_400_naming_the_key(rules_app: Flask, body: dict[str, Any], message: str) -> None:
    response = rules_app.test_client().post("/api/alert-rules", json=body)
    assert response.status_code == 400 and message in response.json["error"], response.json
    assert rules_app.test_client().get("/api/alert-rules/declines").status_code == 404


def test_config_rules_are_read_only_and_names_are_unique(rules_app: Flask) -> None:
    client = rules_app.test_client()
    assert client.put("/api/alert-rules/cfg-errors", json=DECLINES | {"name": "cfg-errors"}).status_code == 409
    assert client.delete("/api/alert-rules/cfg-errors").status_code == 409
    assert client.post("/api/alert-rules", json={**DECLINES, "name": "cfg-errors"}).status_code == 409
    assert client.post("/api/alert-rules", json=DECLINES).status_code == 201
    assert client.post("/api/alert-rules", json=DECLINES).status_code == 409
    assert client.put("/api/alert-rules/declines", json={**DECLINES, "name": "other"}).status_code == 400


def test_put_creates_then_replaces_and_delete_resolves_the_rules_firing_alerts(
    rules_app: Flask, clock: FakeClock
) -> None:
    client = rules_app.test_client()
    body = {k: v for k, v in DECLINES.items() if k != "name"}
    assert client.put("/api/alert-rules/declines", json=body).status_code == 201
    replaced = client.put("/api/alert-rules/declines", json={**body, "condition": "> 4"})
    assert replaced.status_code == 200 and client.get("/api/alert-rules/declines").json["condition"] == "> 4"
    post_entries(rules_app, entries_at(int(clock() * 1000) - MINUTE_MS, 9))
    assert state(rules_app).rules.tick()
    assert client.delete("/api/alert-rules/declines").status_code == 204
    assert client.get("/api/alert-rules/declines").status_code == 404
    assert client.delete("/api/alert-rules/declines").status_code == 404
    gone = [a for a in client.get("/api/alerts").json if a["rule"] == "declines"]
    assert gone and all(
        a["state"] == "resolved" and a["resolved_reason"] == "resolved: the rule was deleted" for a in gone
    )


def test_a_rule_naming_a_handler_that_does_not_exist_is_refused(rules_app: Flask) -> None:
    refused = rules_app.test_client().post("/api/alert-rules", json={**DECLINES, "notify": ["am", "pager"]})
    assert refused.status_code == 400 and refused.json["parameter"] == "notify"
    assert (
        "rule.notify: 'pager' names no handler in alerting.handlers (there are: am, deliveries)"
        in refused.json["error"]
    )


def test_only_admin_changes_rules_and_read_may_list_and_preview(make_app: Any, clock: FakeClock) -> None:
    app = make_app({"auth": {"enabled": True}, "alerting": {"handlers": [{"name": "am", "type": "log"}]}}, clock=clock)
    keys = make_keys(app)
    client = app.test_client()
    read, admin = bearer(keys["read"]), bearer(keys["admin"])
    assert client.post("/api/alert-rules", json=DECLINES, headers=read).status_code == 403
    assert client.post("/api/alert-rules", json=DECLINES, headers=admin).status_code == 201
    assert client.delete("/api/alert-rules/declines", headers=read).status_code == 403
    listed = client.get("/api/alert-rules", headers=read).json
    assert [r["name"] for r in listed if r["source"] != "built-in"] == ["declines"]
    assert client.post("/api/alert-rules/preview", json=DECLINES, headers=read).status_code == 200
    assert client.get("/api/alert-rules", headers=bearer(keys["ingest"])).status_code == 403


def test_the_preview_draws_the_windowed_value_and_the_times_for_makes_it_fire_and_resolve(
    rules_app: Flask, clock: FakeClock
) -> None:
    now_ms = int(clock() * 1000) // MINUTE_MS * MINUTE_MS
    clock.now = now_ms / 1000
    burst = [now_ms - (200 - m) * MINUTE_MS for m in range(12)]  # 6 declines a minute for 12 minutes
    late_single = [now_ms - 60 * MINUTE_MS]  # one lone entry: never above the threshold
    sent: list[int] = []
    for minute_ms in burst:
        sent += [minute_ms + 1000 * i for i in range(6)]
    sent += late_single
    post_entries(rules_app, [e for ts in sent for e in entries_at(ts, 1)])
    body = {"query": '"card declined"', "condition": "> 20", "window": "5m", "every": "1m", "for": "2m"}
    response = rules_app.test_client().post("/api/alert-rules/preview", json=body)
    assert response.status_code == 200, response.json
    out = response.json
    assert out["span_seconds"] == 60 and out["exact"] is True and out["threshold"] == 20
    ends = [int(_ms(t)) for t in out["times"]]
    assert ends[-1] == now_ms and all(b - a == MINUTE_MS for a, b in zip(ends, ends[1:], strict=False))
    (series,) = out["series"]
    brute = [float(sum(1 for ts in sent if end - 5 * MINUTE_MS <= ts < end)) for end in ends]
    assert series["values"] == brute
    # the firings by hand: pending at the first point above 20, firing once it held for 2 minutes
    want, since, firing = [], None, False
    for end, value in zip(ends, brute, strict=True):
        if value > 20:
            since = end if since is None else since
            if not firing and end - since >= 2 * MINUTE_MS:
                firing = True
                want.append({"fired_at": iso_from_ms(end), "resolved_at": None})
        else:
            since = None
            if firing:
                firing = False
                want[-1]["resolved_at"] = iso_from_ms(end)
    assert [{k: f[k] for k in ("fired_at", "resolved_at")} for f in out["firings"]] == want
    assert len(want) == 1 and want[0]["resolved_at"] is not None


def _ms(text: str) -> float:
    from loglens.model import parse_timestamp_ms

    return parse_timestamp_ms(text)


def test_a_preview_grouped_by_two_fields_or_of_a_bad_rule_is_a_400(rules_app: Flask) -> None:
    client = rules_app.test_client()
    two = client.post(
        "/api/alert-rules/preview", json={"query": "| stats count() by service, level", "condition": "> 1"}
    )
    assert two.status_code == 400 and "one field at most" in two.json["error"]
    bad = client.post("/api/alert-rules/preview", json={"query": "x", "condition": "> 1", "window": "-5m"})
    assert bad.status_code == 400 and "rule.window" in bad.json["error"]


ENTRIES, TERMS = (50_000, 16) if TEST_BACKEND == "clickhouse" else (10_000, 80)


class MovingClock:
    """Wall-clock time, shifted to start at `start` seconds: a slow evaluation takes real time on it."""

    def __init__(self, start: float) -> None:
        self.offset = start - time.monotonic()

    def __call__(self) -> float:
        return time.monotonic() + self.offset


def test_a_rule_past_the_query_deadline_is_reported_counted_and_its_missed_ticks_skipped(make_app: Any) -> None:
    start = (slowquery.BASE_MS + ENTRIES * slowquery.STEP_MS) / 1000 + 1
    rule = {"name": "slow", "query": slowquery.slow_query(TERMS), "condition": "> 0", "window": "1h", "every": "1s"}
    app = make_app({"search": {"query_timeout_seconds": 1.0}, "alerting": {"rules": [rule]}}, clock=MovingClock(start))
    slowquery.build(state(app).store, ENTRIES)
    state(app).store.refresh()
    started = time.monotonic()
    assert state(app).rules.tick() == []
    took = time.monotonic() - started
    assert took < 10, f"the evaluation was not stopped at its deadline ({took:.1f} s)"
    shown = app.test_client().get("/api/alert-rules/slow").json
    assert shown["state"] == "error" and "query_timeout_seconds" in shown["error"]
    assert shown["skipped_evaluations"] >= 1  # it ran past its next tick (every 1s): skipped, not queued
    metrics = app.test_client().get("/metrics").get_data(as_text=True)
    assert 'loglens_alert_rule_evaluations_total{outcome="timeout",rule="slow"} 1.0' in metrics
    skipped = [
        line for line in metrics.splitlines() if line.startswith('loglens_alert_rule_skipped_total{rule="slow"}')
    ]
    assert skipped and float(skipped[0].split()[-1]) == shown["skipped_evaluations"]


def test_a_firing_rule_repeats_its_notification_and_an_acknowledged_alert_is_not_repeated(
    rules_app: Flask, clock: FakeClock, recorder: Deliveries
) -> None:
    client = rules_app.test_client()
    body = {"name": "r", "query": '"card declined"', "condition": "> 3", "every": "30s", "repeat_interval": "1m"}
    assert client.post("/api/alert-rules", json=body).status_code == 201
    post_entries(rules_app, entries_at(int(clock() * 1000) - MINUTE_MS, 5))
    engine, delivery = state(rules_app).rules, state(rules_app).delivery

    def told() -> list[tuple[str, bool]]:
        assert delivery.join()
        return [(alert_state, event == "repeat") for event, alert_state in recorder.of("r")]

    (alert,) = [a for a in engine.tick() if a.rule == "r"]  # cfg-errors fires too
    assert told() == [("firing", False)]
    clock.advance(30)
    engine.tick()
    assert told() == [("firing", False)]  # 30 s: not yet
    clock.advance(30)
    engine.tick()
    assert told() == [("firing", False), ("firing", True)]  # a minute since it was told: again
    assert client.post(f"/api/alerts/{alert.id}/ack", json={}).status_code == 200
    clock.advance(60)
    engine.tick()
    assert told() == [("firing", False), ("firing", True)]  # acknowledged: nobody is told again


def test_a_flapping_rule_notifies_once_when_it_starts_flapping_and_keeps_storing_its_history(
    make_app: Any, clock: FakeClock, recorder: Deliveries
) -> None:
    rule = {"name": "flappy", "query": '"card declined"', "condition": "> 3", "window": "1m", "every": "1m"}
    config = {"alerting": {"rules": [rule], "flapping_transitions": 2, "flapping_window_seconds": 3600}}
    app = make_app(config, clock=clock, handlers=[recorder])
    engine, delivery = state(app).rules, state(app).delivery
    for step in range(6):  # above, below, above, below, ...: a transition at every evaluation
        if step % 2 == 0:
            post_entries(app, entries_at(int(clock() * 1000) - 1000, 5))
        engine.tick()
        clock.advance(61)
    assert delivery.join()
    # fired, resolved, fired again: the third transition makes it flapping; it is told once, then no more
    assert recorder.of("flappy") == [("firing", "firing"), ("resolved", "resolved"), ("firing", "firing")]
    stored = [a for a in state(app).store.alerts("all") if a.rule == "flappy"]
    assert len(stored) == 3 and all(a.state == "resolved" for a in stored)  # every transition kept
    clock.advance(3600)  # its transitions leave the window: it settles, and says it is resolved (last told: firing)
    engine.tick()
    assert delivery.join()
    told = recorder.of("flappy")
    assert told == [("firing", "firing"), ("resolved", "resolved"), ("firing", "firing"), ("resolved", "resolved")]
    newest = max(stored, key=lambda a: a.fired_at_ms)  # by time: ClickHouse's ids do not grow with it
    # the newest alert, resolved (the hour also silences the entries' service: the built-in service_down rule may
    # tell of it too, before or after)
    assert [alert["id"] for _, alert in recorder.told if alert["rule"] == "flappy"][-1] == newest.id


def test_two_workers_on_one_store_store_one_alert_and_send_each_repeat_once(make_app: Any, clock: FakeClock) -> None:
    rule = {"name": "r", "query": '"card declined"', "condition": "> 3", "every": "30s", "repeat_interval": "1m"}
    recorders = [Deliveries(), Deliveries()]
    apps = [make_app({"alerting": {"rules": [rule]}}, clock=clock, handlers=[rec]) for rec in recorders]
    wait_until(lambda: any(state(app).store.is_leader() for app in apps), 30, "a node to lead")
    post_entries(apps[0], entries_at(int(clock() * 1000) - MINUTE_MS, 5))
    for _ in range(5):  # 2 minutes: fired, then a repeat at 1 and at 2 minutes
        for app in apps:
            state(app).rules.tick()
        for app in apps:  # a repeat is queued again once the last one is delivered: minutes apart, not instantly
            assert state(app).delivery.join()
        clock.advance(30)
    for app in apps:
        assert state(app).delivery.join()
    told = [(alert_state, event == "repeat") for rec in recorders for event, alert_state in rec.of("r")]
    assert sorted(told) == [("firing", False), ("firing", True), ("firing", True)]
    assert len([a for a in state(apps[0]).store.alerts("all") if a.rule == "r"]) == 1


def test_the_preview_path_is_no_rule_name(rules_app: Flask) -> None:
    client = rules_app.test_client()
    assert set(client.options("/api/alert-rules/preview").headers["Allow"].split(", ")) == {"POST", "OPTIONS"}
    assert client.get("/api/alert-rules/preview").status_code == 405
    refused = client.post("/api/alert-rules", json={**DECLINES, "name": "preview"})
    assert refused.status_code == 400 and "rule.name: 'preview' names /api/alert-rules/preview" in refused.json["error"]
