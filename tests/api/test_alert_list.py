"""GET /api/alerts: the history's filters (checked against a brute-force filter of hundreds of alerts), its 400s,
and each firing alert marked with the silence that holds it (also on the dashboard's payload)."""

from __future__ import annotations

import random
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from loglens.alerts.silences import Matcher, Silence, silencing
from loglens.model import iso_from_ms, parse_timestamp_ms
from loglens.store import NewAlert
from tests.conftest import FakeClock

HOUR = 3_600_000


def store_of(app: Flask) -> Any:
    return app.extensions["loglens"].store


def fire(app: Flask, rule: str, service: str, at_ms: int, severity: str = "CRITICAL") -> int:
    alert = store_of(app).fire_alert(NewAlert(rule, service, severity, "m", 1.0, 0.5), at_ms, 0)
    assert alert is not None
    return int(alert.id)


def silence(app: Flask, sid: str, matchers: tuple[Matcher, ...], starts: int, ends: int) -> Silence:
    made = Silence(sid, matchers, starts, ends, f"comment {sid}", "alice", starts)
    store_of(app).silence_book.add(made)
    return made


def test_the_spec_shape_holds_and_firing_alerts_say_which_silence_holds_them(
    app: Flask, client: FlaskClient, clock: FakeClock
) -> None:
    now = int(clock() * 1000)
    held = fire(app, "error_rate", "payment", now - 1000)
    free = fire(app, "error_rate", "search", now - 500)
    gone = fire(app, "high_volume", "payment", now - 2000)
    store_of(app).resolve_alert(gone, now - 100)
    silence(app, "s-short", (Matcher("service", "=", "payment"),), now - HOUR, now + HOUR)
    long = silence(
        app, "s-long", (Matcher("rule", "=~", "error_.*"), Matcher("service", "=", "payment")), now, now + 2 * HOUR
    )
    silence(app, "s-over", (Matcher("service", "=", "search"),), now - 2 * HOUR, now - HOUR)
    alerts = client.get("/api/alerts").json
    assert [a["id"] for a in alerts] == sorted([held, free, gone], reverse=True)
    by_id = {a["id"]: a for a in alerts}
    for a in alerts:  # the spec's fields are all there
        assert {"id", "rule", "service", "severity", "message", "value", "threshold", "state", "timestamp"} <= set(a)
    # of two covering silences, the one that ends last
    assert by_id[held]["silenced_by"] == {
        "id": "s-long",
        "created_by": "alice",
        "comment": "comment s-long",
        "ends_at": iso_from_ms(long.ends_at_ms),
    }
    assert by_id[free]["silenced_by"] is None  # its silence is over
    assert by_id[gone]["silenced_by"] is None  # resolved: nothing to hold
    assert [a["id"] for a in client.get("/api/alerts?state=silenced").json] == [held]
    assert {a["id"] for a in client.get("/api/alerts?state=firing").json} == {held, free}
    dashboard = client.get("/api/advanced-dashboard-data").json
    assert {a["id"]: a["silenced_by"] and a["silenced_by"]["id"] for a in dashboard["active_alerts"]} == {
        held: "s-long",
        free: None,
    }
    clock.advance(2 * 3600)  # every silence is over now
    assert client.get("/api/alerts?state=silenced").json == []


@pytest.mark.parametrize(
    "query",
    [
        "state=bogus",
        "limit=0",
        "limit=1001",
        "before=0",
        "before=x",
        "from=yesterday",
        "to=2026-01-01T00:00:00",
        "from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z",
        "from=1h&to=1h",
        "rule=" + "r" * 201,
        "severity=" + "s" * 51,
        "rule=a&rule=b",
    ],
)
def test_a_bad_filter_is_a_400_saying_why(client: FlaskClient, query: str) -> None:
    response = client.get("/api/alerts?" + query)
    assert response.status_code == 400, query
    assert response.json["error"]


RULES = ("error_rate", "high_volume", "service_down")
SERVICES = ("payment", "search", "auth", "db")
GROUPS = ("", "", "level=ERROR", "level=WARNING")  # built-in rules' alerts have none; a query rule's may


def test_filters_and_silences_agree_with_a_brute_force_filter_of_many_alerts(
    app: Flask, client: FlaskClient, clock: FakeClock
) -> None:
    rnd = random.Random(24)
    now = int(clock() * 1000)
    times = [now - 3 * HOUR, now - 2 * HOUR, now - HOUR]  # few distinct times: many equal timestamps
    fired = 0
    for _ in range(10_000):  # bounded; 300 alerts come long before
        if fired == 300:
            break
        rule, service, group = rnd.choice(RULES), rnd.choice(SERVICES), rnd.choice(GROUPS)
        at = rnd.choice(times)
        labels = {"team": rnd.choice(("core", "edge"))} if group else {}  # a query rule's alert has its labels
        finding = NewAlert(rule, service, rnd.choice(("CRITICAL", "WARNING")), "m", 1, 0, group, labels)
        made = store_of(app).fire_alert(finding, at, 0)
        fired += made is not None
        if made is None:
            key = (rule, service, group)
            firing = [a for a in store_of(app).alerts("firing", 1000) if (a.rule, a.service, a.group) == key]
            if firing and rnd.random() < 0.7:
                store_of(app).resolve_alert(firing[0].id, max(firing[0].fired_at_ms, rnd.choice(times)))
    silences = [
        silence(app, "a", (Matcher("service", "=", "payment"),), now - HOUR, now + HOUR),
        silence(
            app,
            "b",
            (Matcher("rule", "=~", "high_.*|service_down"), Matcher("severity", "=~", "warn.*|critical")),
            now,
            now + 1,
        ),
        silence(app, "c", (Matcher("service", "=", "auth"),), now + 1, now + HOUR),  # pending: holds nothing yet
        silence(app, "d", (Matcher("labels.team", "=", "core"),), now - HOUR, now + HOUR),  # query rules' alerts
    ]
    every = client.get("/api/alerts?limit=1000").json
    assert len(every) == 300

    def held(a: dict[str, Any]) -> str | None:
        found = silencing(silences, a, now) if a["state"] == "firing" else None
        return found.id if found else None

    assert [(a["id"], a["silenced_by"] and a["silenced_by"]["id"]) for a in every] == [
        (a["id"], held(a)) for a in every
    ]
    assert any(held(a) == "a" for a in every) and any(held(a) == "b" for a in every)
    assert any(held(a) == "d" for a in every)
    for _ in range(60):
        params: dict[str, Any] = {"limit": rnd.choice([1, 5, 50, 1000])}
        if rnd.random() < 0.6:
            params["state"] = rnd.choice(["firing", "resolved", "silenced", "all"])
        if rnd.random() < 0.4:
            params["rule"] = rnd.choice(RULES)
        if rnd.random() < 0.4:
            params["service"] = rnd.choice(SERVICES)
        if rnd.random() < 0.3:
            params["group"] = rnd.choice(GROUPS[2:])
        if rnd.random() < 0.3:
            params["severity"] = rnd.choice(["critical", "WARNING"])
        if rnd.random() < 0.4:
            params["from"] = iso_from_ms(rnd.choice(times) + rnd.choice([-1, 0, 1]))
        if rnd.random() < 0.4:
            params["to"] = iso_from_ms(rnd.choice(times) + rnd.choice([0, 1]) + HOUR)
        if rnd.random() < 0.3:
            params["before"] = rnd.choice(every)["id"]
        if "from" in params and "to" in params and params["from"] >= params["to"]:
            del params["to"]
        got = client.get("/api/alerts", query_string=params)
        assert got.status_code == 200, (params, got.json)
        assert [a["id"] for a in got.json] == [a["id"] for a in brute(every, params, held)], params


def ms(text: str) -> int:
    return parse_timestamp_ms(text)


def brute(every: list[dict[str, Any]], params: dict[str, Any], held: Any) -> list[dict[str, Any]]:
    state = params.get("state", "all")

    def keep(a: dict[str, Any]) -> bool:
        return (
            (state == "all" or (state == "silenced" and held(a) is not None) or a["state"] == state)
            and params.get("rule", a["rule"]) == a["rule"]
            and params.get("service", a["service"]) == a["service"]
            and params.get("group", a["group"]) == a["group"]
            and params.get("severity", a["severity"]).upper() == a["severity"].upper()
            and ("to" not in params or ms(a["fired_at"]) < ms(params["to"]))
            and ("from" not in params or a["resolved_at"] is None or ms(a["resolved_at"]) >= ms(params["from"]))
            and ("before" not in params or a["id"] < params["before"])
        )

    return sorted(filter(keep, every), key=lambda a: -a["id"])[: params["limit"]]
