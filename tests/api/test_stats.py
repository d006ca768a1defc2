"""GET /api/stats through the Flask test client (both backends under `make test-clickhouse`): the answer's shapes,
CSV, the default range, and 400s that say where a stage is wrong."""

from __future__ import annotations

import csv
import io
from typing import Any

import orjson
from flask.testing import FlaskClient

from tests.support.search_entries import entry


def ingest(client: FlaskClient, entries: list[dict[str, Any]]) -> None:
    body = b"\n".join(orjson.dumps(e) for e in entries)
    response = client.post("/api/logs/bulk", data=body, content_type="application/x-ndjson")
    assert response.status_code == 200 and response.json["rejected"] == 0, response.json


def stats(client: FlaskClient, q: str, **params: Any) -> dict[str, Any]:
    response = client.get("/api/stats", query_string={"q": q, **params})
    assert response.status_code == 200, response.json
    result: dict[str, Any] = response.json
    return result


def sample(client: FlaskClient) -> None:
    ingest(
        client,
        [
            entry(10, level="ERROR", service="pay", user_id="u1", metadata={"ms": 100}),
            entry(20, level="ERROR", service="pay", user_id="u2", metadata={"ms": 300}),
            entry(30, level="INFO", service="pay", user_id="u1", metadata={"ms": 200}),
            entry(40, level="ERROR", service="auth", user_id="u1", metadata={"ms": "n/a"}),
            entry(3000, level="INFO", service="auth", message="card declined for order 5"),
        ],
    )


def test_stats_by_a_field_answers_columns_and_rows(client: FlaskClient) -> None:
    sample(client)
    result = stats(client, "| stats count(), count_distinct(user_id), avg(metadata.ms), p50(metadata.ms) by service")
    assert result["kind"] == "table" and result["complete"] is True and result["exact"] is True
    assert result["columns"] == ["service", "count", "count_distinct(user_id)", "avg(metadata.ms)", "p50(metadata.ms)"]
    assert result["rows"] == [["auth", 2, 1, None, None], ["pay", 3, 2, 200.0, 200.0]]
    assert result["groups"] == 2 and result["folded"] == 0 and result["took_ms"] > 0


def test_top_answers_the_most_frequent_values_first(client: FlaskClient) -> None:
    sample(client)
    result = stats(client, "level:ERROR | top 1 user_id")
    assert result["columns"] == ["user_id", "count"] and result["rows"] == [["u1", 2]]


def test_a_timechart_answers_one_series_per_group_over_every_bucket(client: FlaskClient) -> None:
    sample(client)
    result = stats(client, "| timechart span=30m count() by level", **{"from": "2025-12-31T23:00:00Z"})
    assert result["kind"] == "timechart" and result["span_seconds"] == 1800 and len(result["times"]) == 2
    assert {s["group"]: s["values"] for s in result["series"]} == {"ERROR": [3, 0], "INFO": [1, 1]}


def test_the_range_defaults_to_the_last_hour_and_from_narrows_it(client: FlaskClient) -> None:
    sample(client)  # the fake clock reads 2026-01-01T00:00:00Z: every sample entry is in the last hour
    assert stats(client, "| stats count()")["rows"] == [[5]]
    assert stats(client, "| stats count()", **{"from": "2025-12-31T23:30:00Z"})["rows"] == [[1]]
    assert stats(client, "| stats count()", **{"from": "30d", "to": "2h"})["rows"] == []
    ingest(client, [entry(10, timestamp="2025-12-01T00:00:00Z")])
    assert stats(client, "| stats count()")["rows"] == [[5]]
    whole = stats(client, "| stats count()", **{"from": ""})
    assert whole["rows"] == [[6]] and whole["from"] == "2025-12-01T00:00:00.000Z"


def test_csv_carries_the_table(client: FlaskClient) -> None:
    sample(client)
    response = client.get("/api/stats", query_string={"q": "| stats count() by service", "format": "csv"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert list(csv.reader(io.StringIO(response.get_data(as_text=True)))) == [
        ["service", "count"],
        ["auth", "2"],
        ["pay", "3"],
    ]


def test_rejects_a_stage_that_does_not_parse_saying_where(client: FlaskClient) -> None:
    for q, words, column in [
        ("level:ERROR | stats p95(service)", "needs a numeric field", 25),
        ("x | stat count()", "unknown stage 'stat'", 5),
        ("x | stats count() by message", "message cannot be a group", 22),
    ]:
        response = client.get("/api/stats", query_string={"q": q})
        assert response.status_code == 400 and words in response.json["error"], (q, response.json)
        assert response.json["parameter"] == "q" and response.json["column"] == column, (q, response.json)


def test_rejects_a_query_without_an_aggregating_stage_and_too_many_buckets(client: FlaskClient) -> None:
    response = client.get("/api/stats", query_string={"q": "level:ERROR"})
    assert response.status_code == 400 and "no stats, timechart or top stage" in response.json["error"]
    response = client.get("/api/stats", query_string={"q": "| timechart span=1s count()", "from": "2h"})
    assert response.status_code == 400 and "7200 buckets" in response.json["error"]


def test_search_refuses_a_query_with_stages_and_points_to_stats(client: FlaskClient) -> None:
    for path in ("/api/logs", "/api/logs/export"):
        response = client.get(path, query_string={"q": "level:ERROR | stats count()"})
        assert response.status_code == 400 and "/api/stats" in response.json["error"], response.json


def test_facets_count_the_top_values_of_each_field_for_the_filter(client: FlaskClient) -> None:
    sample(client)
    ingest(
        client,
        [entry(50, service="pay", metadata={"region": "eu"}), entry(51, service="pay", metadata={"region": "eu"})],
    )
    response = client.get("/api/facets", query_string={"q": "service:pay"})
    assert response.status_code == 200, response.json
    fields = {f["field"]: f for f in response.json["fields"]}
    assert list(fields) == ["service", "level", "user_id", "metadata.ms", "metadata.region"]
    assert fields["service"]["values"] == [{"value": "pay", "count": 5}] and fields["service"]["distinct"] == 1
    assert fields["level"]["values"] == [{"value": "INFO", "count": 3}, {"value": "ERROR", "count": 2}]
    assert fields["user_id"]["values"] == [{"value": "u1", "count": 2}, {"value": "u2", "count": 1}]
    assert fields["user_id"]["distinct"] == 3  # u1, u2 and entries without one
    assert fields["metadata.region"]["values"] == [{"value": "eu", "count": 2}]


def test_facets_show_five_values_even_when_most_entries_carry_none(client: FlaskClient) -> None:
    users = [f"u{n}" for n in range(7) for _ in range(7 - n)]  # u0 7 times ... u6 once
    ingest(client, [entry(i, user_id=u) for i, u in enumerate(users)] + [entry(100 + i) for i in range(30)])
    response = client.get("/api/facets", query_string={"q": ""})
    assert response.status_code == 200, response.json
    user_id = next(f for f in response.json["fields"] if f["field"] == "user_id")
    assert user_id["values"] == [{"value": f"u{n}", "count": 7 - n} for n in range(5)]
    assert user_id["distinct"] == 8 and response.json["complete"] is True  # u0-u6 and the entries without one


def test_facets_refuse_a_query_with_stages(client: FlaskClient) -> None:
    response = client.get("/api/facets", query_string={"q": "x | stats count()"})
    assert response.status_code == 400 and "without stages" in response.json["error"]


def test_patterns_group_messages_into_templates_with_a_query_that_finds_them(client: FlaskClient) -> None:
    messages = [f"card declined for order {n}: insufficient funds" for n in range(12)]
    messages += [f"user u-{n} logged in from 10.0.0.{n}" for n in range(5)]
    ingest(client, [entry(i, message=m) for i, m in enumerate(messages)])
    response = client.get("/api/patterns", query_string={"q": "-level:DEBUG"})
    assert response.status_code == 200, response.json
    result = response.json
    assert result["sampled"] == 17 and result["complete"] is True
    found = [(p["template"], p["count"]) for p in result["patterns"]]
    assert found == [("card declined for order <*>: insufficient funds", 12), ("user <*> logged in from <*>", 5)]
    first = result["patterns"][0]
    assert (
        first["query"] == 'message:"card declined for order" message:"insufficient funds"' and sum(first["spark"]) == 12
    )
    matched = client.get("/api/logs", query_string={"q": first["query"], "limit": 100}).json["logs"]
    assert sorted(e["message"] for e in matched) == sorted(messages[:12])


def test_a_range_past_what_entries_may_carry_is_cut_to_it(client: FlaskClient) -> None:
    sample(client)
    whole = stats(client, "| stats count()", **{"from": "756805885w"})
    assert whole["rows"] == [[5]] and whole["from"].startswith("1970-01-01")
    before_1970 = {"from": "756805885w", "to": "756805000w"}
    assert stats(client, "| stats count() by service", **before_1970)["rows"] == []
    assert stats(client, "| timechart count()", **before_1970)["series"] == []
    assert client.get("/api/facets", query_string=before_1970).json["fields"] == []
    assert client.get("/api/patterns", query_string=before_1970).json["patterns"] == []
