"""The saved-search routes through the Flask test client (both backends under `make test-clickhouse`): the round
trip, lookups by name and by id, overwrite and rename, delete, the roles, and a 400 with a message for every bad
part; and /api/logs?count=true, the bounded match count."""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from loglens.api import search as search_api
from loglens.search.query import parse
from loglens.search.saved import MAX_SAVED_SEARCHES, SavedSpec
from tests.conftest import TEST_BACKEND
from tests.support import slowquery
from tests.support.auth import bearer, make_keys
from tests.support.search_entries import entry, ingest

BODY = {
    "name": "payment errors",
    "query": 'service:payment-service level>=ERROR "card declined" | stats count() by user_id',
    "from": "1h",
    "columns": ["metadata.region", "metadata.order id"],
}


def save(client: FlaskClient, body: dict[str, Any], status: int = 201, **headers: str) -> dict[str, Any]:
    response = client.post("/api/saved-searches", json=body, headers=headers)
    assert response.status_code == status, response.json
    result: dict[str, Any] = response.json
    return result


def test_a_saved_search_round_trips_and_opens_by_name_or_id(client: FlaskClient) -> None:
    saved = save(client, BODY)
    assert {k: saved[k] for k in ("name", "query", "from", "to", "columns")} == {**BODY, "to": ""}
    assert saved["created_at"] == saved["updated_at"] == "2026-01-01T00:00:00.000Z"
    by_name = client.get("/api/saved-searches/payment errors")
    by_id = client.get(f"/api/saved-searches/{saved['id']}")
    assert by_name.status_code == by_id.status_code == 200 and by_name.json == by_id.json == saved
    assert client.get("/api/saved-searches").json == {"saved_searches": [saved]}


def test_put_overwrites_and_renames(client: FlaskClient) -> None:
    saved = save(client, BODY)
    body = {"name": "renamed", "query": "level:WARNING", "from": "2025-12-31T00:00:00Z", "to": "2025-12-31T12:00:00Z"}
    response = client.put("/api/saved-searches/payment errors", json=body)
    assert response.status_code == 200, response.json
    assert response.json["id"] == saved["id"] and response.json["columns"] == []
    assert (response.json["name"], response.json["query"], response.json["to"]) == (
        "renamed",
        "level:WARNING",
        "2025-12-31T12:00:00Z",
    )
    assert client.get("/api/saved-searches/payment errors").status_code == 404
    assert client.get("/api/saved-searches/renamed").json == response.json


def test_duplicate_names_are_a_409(client: FlaskClient) -> None:
    save(client, BODY)
    other = save(client, {"name": "other", "query": "timeout"})
    assert "exists" in save(client, {**BODY, "query": "x"}, 409)["error"]
    response = client.put("/api/saved-searches/other", json={"name": BODY["name"], "query": "y"})
    assert response.status_code == 409 and "another saved search is named" in response.json["error"]
    assert client.get(f"/api/saved-searches/{other['id']}").json == other


def test_delete_removes_it_and_a_missing_one_is_a_404(client: FlaskClient) -> None:
    saved = save(client, BODY)
    assert client.delete(f"/api/saved-searches/{saved['id']}").status_code == 204
    for response in (
        client.delete("/api/saved-searches/payment errors"),
        client.get("/api/saved-searches/payment errors"),
        client.put("/api/saved-searches/nope", json={"name": "nope", "query": ""}),
    ):
        assert response.status_code == 404 and "no saved search named" in response.json["error"]
    assert client.get("/api/saved-searches").json == {"saved_searches": []}


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"query": "level:NOPE"}, "query", "level must be one of"),
        ({"query": "a | stats nonsense()"}, "query", "column"),
        ({"query": "| stats avg(service)"}, "query", ""),
        ({"query": "x" * 2001}, "query", "longer than 2000"),
        ({"query": 5}, "query", "must be a string"),
        ({"to": None}, "to", "must be a string"),
        ({"name": ""}, "name", "must not be empty"),
        ({"name": "   "}, "name", "must not be empty"),
        ({"name": "a/b"}, "name", "'/'"),
        ({"name": ".."}, "name", "must not be '..'"),
        ({"name": "tab\there"}, "name", "control"),
        ({"name": "n" * 101}, "name", "longer than 100"),
        ({"from": "yesterday"}, "from", "expected RFC 3339"),
        ({"from": "1h", "to": "2h"}, "from", "earlier than to"),
        ({"columns": "metadata.a"}, "columns", "list"),
        ({"columns": ["service"]}, "columns", "not a metadata field"),
        ({"columns": ["metadata.a", "metadata.a"]}, "columns", "twice"),
        ({"columns": [f"metadata.k{i}" for i in range(21)]}, "columns", "more than 20"),
        ({"owner": "me"}, "owner", "unknown field"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    client: FlaskClient, change: dict[str, Any], field: str, says: str
) -> None:
    answer = save(client, {**BODY, **change}, 400)
    assert answer["status"] == "error" and answer["field"] == field and says in answer["error"], answer
    assert client.get("/api/saved-searches").json == {"saved_searches": []}


def test_a_query_error_says_the_column(client: FlaskClient) -> None:
    answer = save(client, {**BODY, "query": "level:ERROR | stats count() by"}, 400)
    assert answer["column"] == len("level:ERROR | stats count() by") + 1


def test_a_body_that_is_not_a_json_object_is_a_400(client: FlaskClient) -> None:
    response = client.post("/api/saved-searches", data=b"[1]", content_type="application/json")
    assert response.status_code == 400 and "JSON object" in response.json["error"]
    response = client.post("/api/saved-searches", data=b"name=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415


def test_the_number_of_saved_searches_is_bounded(app: Flask, client: FlaskClient) -> None:
    store = app.extensions["loglens"].store
    for i in range(MAX_SAVED_SEARCHES):
        store.saved_searches.add_saved(SavedSpec(f"s{i:03d}", "level:ERROR"), 0)
    assert f"holds {MAX_SAVED_SEARCHES} saved searches" in save(client, BODY, 409)["error"]
    assert len(client.get("/api/saved-searches").json["saved_searches"]) == MAX_SAVED_SEARCHES


def test_read_keys_list_and_open_and_only_admin_keys_write(make_app: Any) -> None:
    app = make_app({"auth": {"enabled": True}})
    keys = make_keys(app)
    client = app.test_client()
    saved = save(client, BODY, **bearer(keys["admin"]))
    reader = bearer(keys["read"])
    assert client.get("/api/saved-searches", headers=reader).json["saved_searches"] == [saved]
    assert client.get("/api/saved-searches/payment errors", headers=reader).json == saved
    for response in (
        client.post("/api/saved-searches", json={**BODY, "name": "x"}, headers=reader),
        client.put("/api/saved-searches/payment errors", json=BODY, headers=reader),
        client.delete("/api/saved-searches/payment errors", headers=reader),
    ):
        assert response.status_code == 403 and "role" in response.json["error"]
    assert client.get("/api/saved-searches", headers=bearer(keys["ingest"])).status_code == 403
    assert client.get("/api/saved-searches").status_code == 401
    assert client.get("/api/saved-searches/payment errors", headers=reader).json == saved


# -- /api/logs?count=true -----------------------------------------------------------------------------------------


def test_the_search_answer_counts_the_matches_when_asked(client: FlaskClient) -> None:
    ingest(client, [entry(i, level="ERROR" if i % 3 == 0 else "INFO") for i in range(30)])
    answer = client.get("/api/logs", query_string={"q": "level:ERROR", "limit": 2, "count": "true"}).json
    assert len(answer["logs"]) == 2 and answer["matches"] == {"count": 10, "exact": True}
    ranged = {"q": "level:ERROR", "from": "2025-12-31T23:00:10Z", "to": "2025-12-31T23:00:20Z", "count": "true"}
    assert client.get("/api/logs", query_string=ranged).json["matches"] == {"count": 3, "exact": True}
    assert "matches" not in client.get("/api/logs", query_string={"q": "level:ERROR"}).json
    none = client.get("/api/logs", query_string={"q": "nothing-like-this", "count": "true"}).json
    assert none["matches"] == {"count": 0, "exact": True}


def test_past_its_bound_the_count_says_more_than(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    ingest(client, [entry(i) for i in range(30)])
    monkeypatch.setattr(search_api, "MATCH_COUNT_MOST", 29)
    assert client.get("/api/logs", query_string={"count": "true", "limit": 10}).json["matches"] == {
        "count": 29,
        "exact": False,
    }
    monkeypatch.setattr(search_api, "MATCH_COUNT_MOST", 30)
    assert client.get("/api/logs", query_string={"count": "true", "limit": 10}).json["matches"] == {
        "count": 30,
        "exact": True,
    }
    assert search_api.MATCH_COUNT_MOST == 30


def test_a_bad_count_parameter_is_a_400(client: FlaskClient) -> None:
    response = client.get("/api/logs", query_string={"count": "yes"})
    assert response.status_code == 400 and "count must be one of" in response.json["error"]


# A filter no index narrows, over enough entries that counting them all takes seconds (tests/support/slowquery.py)
SLOW_ENTRIES, SLOW_TERMS = (20_000, 16) if TEST_BACKEND == "clickhouse" else (10_000, 80)


def test_a_count_that_would_take_long_stops_and_says_more_than_the_page(make_app: Any) -> None:
    app = make_app()
    store = app.extensions["loglens"].store
    slowquery.build(store, SLOW_ENTRIES, matching=150)  # the newest 150 match: the first page fills at once
    store.refresh()
    client = app.test_client()
    query = {"q": slowquery.slow_query(SLOW_TERMS), "count": "true"}
    started = time.monotonic()
    answer = client.get("/api/logs", query_string={**query, "limit": 100})
    took = time.monotonic() - started
    assert answer.status_code == 200, answer.json
    assert len(answer.json["logs"]) == 100 and answer.json["matches"] == {"count": 100, "exact": False}
    # without the deadline the same count is exact: it was the deadline that stopped it
    assert store.count_matches(parse(query["q"]), None, None, 10_000, 60.0) == 150
    assert took < 10, took


def test_a_page_that_holds_every_match_is_its_own_count(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    ingest(client, [entry(i) for i in range(5)])
    monkeypatch.setattr(search_api, "MATCH_COUNT_SECONDS", 0.0)  # no time to count: the page alone says it
    assert client.get("/api/logs", query_string={"count": "true"}).json["matches"] == {"count": 5, "exact": True}
