"""POST, GET and DELETE /api/silences: what a silence holds, who made it, and the 4xx for what cannot be."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from loglens.alerts.silences import Matcher, Silence
from loglens.model import iso_from_ms
from tests.conftest import FakeClock
from tests.support.auth import bearer, make_keys

MATCHERS = [{"name": "service", "value": "payment"}, {"name": "rule", "op": "=~", "value": "error_.*"}]


def body(**changes: Any) -> dict[str, Any]:
    made: dict[str, Any] = {"matchers": MATCHERS, "duration": "2h", "comment": "deploying payment"}
    made.update(changes)
    return {k: v for k, v in made.items() if v is not None}


def now_ms(clock: FakeClock) -> int:
    return int(clock() * 1000)


def test_a_created_silence_is_listed_active_with_its_matchers_and_times(client: FlaskClient, clock: FakeClock) -> None:
    response = client.post("/api/silences", json=body())
    assert response.status_code == 201, response.json
    made = response.json
    assert made["matchers"] == [
        {"name": "service", "op": "=", "value": "payment"},
        {"name": "rule", "op": "=~", "value": "error_.*"},
    ]
    assert (made["starts_at"], made["ends_at"]) == (iso_from_ms(now_ms(clock)), iso_from_ms(now_ms(clock) + 7_200_000))
    assert (made["comment"], made["created_by"], made["state"], made["expired_by"]) == (
        "deploying payment",
        "anonymous",  # access control is off and the body named no one
        "active",
        None,
    )
    assert client.get("/api/silences?state=active").json == [made]
    assert client.get("/api/silences?state=expired").json == []
    assert client.get("/api/silences").json == [made]


def test_a_silence_ends_at_its_end_and_a_future_one_is_pending(client: FlaskClient, clock: FakeClock) -> None:
    later = iso_from_ms(now_ms(clock) + 3_600_000)
    pending = client.post("/api/silences", json=body(starts_at=later, duration="30m")).json
    active = client.post("/api/silences", json=body(duration=None, ends_at=iso_from_ms(now_ms(clock) + 60_000))).json
    assert [s["id"] for s in client.get("/api/silences?state=pending").json] == [pending["id"]]
    assert [s["id"] for s in client.get("/api/silences?state=active").json] == [active["id"]]
    clock.advance(60)
    assert [s["id"] for s in client.get("/api/silences?state=expired").json] == [active["id"]]
    clock.advance(3600)
    assert [s["id"] for s in client.get("/api/silences?state=active").json] == [pending["id"]]


def test_delete_expires_a_silence_now_and_keeps_it(client: FlaskClient, clock: FakeClock) -> None:
    made = client.post("/api/silences", json=body()).json
    clock.advance(10)
    response = client.delete(f"/api/silences/{made['id']}")
    assert response.status_code == 200
    ended = response.json
    assert (ended["state"], ended["ends_at"], ended["expired_by"]) == (
        "expired",
        iso_from_ms(now_ms(clock)),
        "anonymous",
    )
    assert client.get("/api/silences?state=expired").json == [ended]
    clock.advance(10)
    again = client.delete(f"/api/silences/{made['id']}")  # already over: answered unchanged
    assert (again.status_code, again.json) == (200, ended)
    assert client.delete("/api/silences/no-such-silence").status_code == 404
    assert client.delete("/api/silences/" + "x" * 100).status_code == 404


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"matchers": []}, "non-empty list"),
        ({"matchers": None}, "non-empty list"),
        ({"matchers": "service=payment"}, "non-empty list"),
        ({"matchers": [{"name": "host", "value": "a"}]}, "name must be one of"),
        ({"matchers": [{"name": "labels.", "value": "a"}]}, "name must be one of"),
        ({"matchers": [{"name": "service", "op": "!=", "value": "a"}]}, "op must be"),
        ({"matchers": [{"name": "service", "op": "=~", "value": "(pay"}]}, "regular expression"),
        ({"matchers": [{"name": "service", "op": "=~", "value": "a{1001}"}]}, "regular expression"),
        ({"matchers": [{"name": "service", "value": 3}]}, "strings"),
        ({"matchers": [{"name": "service", "value": "a", "extra": 1}]}, "unknown matcher field"),
        ({"matchers": [{"name": "service", "op": "=~", "value": ".*"}]}, "hold every alert"),
        ({"matchers": [{"name": "labels.team", "value": ""}]}, "hold every alert"),
        ({"matchers": [{"name": "service", "value": "a"}] * 21}, "at most 20"),
        ({"matchers": [{"name": "service", "value": "a" * 1001}]}, "longer than"),
        ({"comment": None}, "comment is required"),
        ({"comment": "  "}, "comment is required"),
        ({"comment": "x" * 1001}, "longer than"),
        ({"duration": None}, "either ends_at or duration"),
        ({"ends_at": "2030-01-01T00:00:00Z"}, "either ends_at or duration"),
        ({"duration": "2 hours"}, "duration must be"),
        ({"duration": "0m"}, "after starts_at"),
        ({"duration": "400d"}, "at most 366 days"),
        ({"duration": None, "ends_at": "2020-01-01T00:00:00Z"}, "after starts_at"),
        ({"duration": None, "ends_at": "tomorrow"}, "ends_at"),
        ({"duration": None, "ends_at": "2h"}, "RFC 3339"),
        ({"starts_at": "2025-12-31T00:00:00Z", "duration": "1h"}, "in the past"),
        ({"starts_at": "2026-01-01T00:00:00"}, "offset"),
        ({"starts_at": 5}, "RFC 3339"),
        ({"created_by": ""}, "created_by"),
        ({"created_by": 7}, "created_by"),
        ({"owner": "me"}, "unknown field"),
    ],
)
def test_a_silence_that_cannot_be_is_a_400_saying_why(client: FlaskClient, changes: dict[str, Any], says: str) -> None:
    made = body()
    made.update(changes)
    response = client.post("/api/silences", json={k: v for k, v in made.items() if v is not None})
    assert response.status_code == 400, response.json
    assert says in response.json["error"]
    assert client.get("/api/silences").json == []


def test_a_body_that_is_no_json_object_is_refused(client: FlaskClient) -> None:
    assert client.post("/api/silences", data="x", content_type="text/plain").status_code == 415
    assert client.post("/api/silences", data="{", content_type="application/json").status_code == 400
    assert client.post("/api/silences", json=[1]).status_code == 400
    assert client.get("/api/silences?state=bogus").status_code == 400
    assert client.get("/api/silences?limit=0").status_code == 400


def test_the_creator_named_in_the_body_is_kept_when_access_control_is_off(client: FlaskClient) -> None:
    made = client.post("/api/silences", json=body(created_by="alice")).json
    assert made["created_by"] == "alice"


@pytest.fixture
def guarded(make_app: Any, clock: FakeClock) -> Flask:
    app: Flask = make_app({"auth": {"enabled": True}}, clock=clock)
    return app


def test_with_access_control_the_creator_is_the_keys_name_and_only_admin_writes(guarded: Flask) -> None:
    keys = make_keys(guarded)
    client = guarded.test_client()
    assert client.post("/api/silences", json=body(), headers=bearer(keys["read"])).status_code == 403
    made = client.post("/api/silences", json=body(), headers=bearer(keys["admin"]))
    assert made.status_code == 201 and made.json["created_by"] == "test admin"
    named = client.post("/api/silences", json=body(created_by="someone else"), headers=bearer(keys["admin"]))
    assert named.status_code == 400 and "created_by" in named.json["error"]
    assert client.get("/api/silences", headers=bearer(keys["read"])).json == [made.json]
    assert client.delete(f"/api/silences/{made.json['id']}", headers=bearer(keys["read"])).status_code == 403
    ended = client.delete(f"/api/silences/{made.json['id']}", headers=bearer(keys["admin"]))
    assert ended.json["expired_by"] == "test admin"


def test_at_most_1000_silences_are_open_at_once(app: Flask, client: FlaskClient, clock: FakeClock) -> None:
    book = app.extensions["loglens"].store.silence_book
    now = now_ms(clock)
    for i in range(1000):
        book.add(Silence(f"s{i}", (Matcher("service", "=", f"s{i}"),), now, now + 60_000, "c", "t", now))
    response = client.post("/api/silences", json=body())
    assert response.status_code == 409 and "expire some" in response.json["error"]
    clock.advance(60)  # they all end: room again
    assert client.post("/api/silences", json=body()).status_code == 201
