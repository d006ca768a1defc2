"""Event times outside 1970-01-01 to 2106-02-07 (UTC) are refused on every ingest path, and no stored one breaks a
read: RFC 3339 allows 9999-12-31T23:59:59-14:00, which is in year 10000 in UTC."""

from __future__ import annotations

import gzip
from typing import Any

import orjson
import pytest
from flask import Flask
from flask.testing import FlaskClient

from loglens.model import Entry, StatsDelta
from tests.support.bulk import NDJSON, entry, ndjson, stats, stored_messages
from tests.support.otlp import json_request

RANGE = "1970-01-01T00:00:00Z to 2106-02-07T06:28:15.999Z"
OUTSIDE = [
    "9999-12-31T23:59:59-14:00",  # year 10000 in UTC
    "0001-01-01T00:00:00+14:00",  # year 0 in UTC
    "1969-12-31T23:59:59Z",
    "2106-02-07T06:28:16Z",  # one second past ClickHouse's DateTime
]


@pytest.mark.parametrize("gzipped", [False, True])  # the fast path, and the Flask view
@pytest.mark.parametrize("stamp", OUTSIDE)
def test_rejects_a_timestamp_outside_1970_to_2106_in_utc(client: FlaskClient, stamp: str, gzipped: bool) -> None:
    body = orjson.dumps(entry(timestamp=stamp))
    headers = {"Content-Encoding": "gzip"} if gzipped else {}
    response = client.post(
        "/api/logs", data=gzip.compress(body) if gzipped else body, content_type="application/json", headers=headers
    )
    assert response.status_code == 400 and response.json["status"] == "invalid"
    [error] = response.json["errors"]
    assert stamp in error and RANGE in error
    assert stats(client)["error_types"] == {"timestamp_range": 1}
    assert stored_messages(client) == []


def test_rejects_timestamp_beyond_year_9999_in_utc_and_the_dashboard_still_answers(client: FlaskClient) -> None:
    assert client.post("/api/logs", json=entry(timestamp="9999-12-31T23:59:59-14:00")).status_code == 400
    assert client.post("/api/logs", json=entry(1)).status_code == 201
    dashboard = client.get("/api/advanced-dashboard-data")
    assert dashboard.status_code == 200
    assert dashboard.json["summary"]["time_range"] == {"first": "2026-01-01T00:00", "last": "2026-01-01T00:00"}


@pytest.mark.parametrize("stamp", ["1970-01-01T00:00:00Z", "2106-02-07T06:28:15.999Z", "2106-02-07T07:28:15+01:00"])
def test_accepts_the_first_and_last_millisecond_of_the_range(client: FlaskClient, stamp: str) -> None:
    assert client.post("/api/logs", json=entry(timestamp=stamp)).status_code == 201
    found = client.get("/api/logs", query_string={"from": "1970-01-01T00:00:00Z", "to": "2106-02-07T06:28:16Z"})
    assert [row["timestamp"] for row in found.json["logs"]] == [stamp]


def test_one_out_of_range_line_is_one_rejected_line_in_a_bulk_request(client: FlaskClient) -> None:
    body = ndjson(entry(0), entry(1, timestamp="9999-12-31T23:59:59-14:00"), entry(2))
    response = client.post("/api/logs/bulk", data=body, content_type=NDJSON)
    assert response.status_code == 200
    assert response.json["accepted"] == 2 and response.json["rejected"] == 1
    [error] = response.json["errors"]
    assert error["line"] == 2 and RANGE in error["errors"][0]
    assert stored_messages(client) == ["entry 0", "entry 2"]


def test_an_otlp_record_after_2106_is_a_rejected_record(client: FlaskClient) -> None:
    year_2200_ns = 7_258_118_400 * 10**9  # fits OTLP's uint64 nanoseconds (which end in 2554)
    good = {"body": {"stringValue": "fine"}}
    late = {"body": {"stringValue": "late"}, "timeUnixNano": str(year_2200_ns)}
    response = client.post("/v1/logs", json=json_request(good, late))
    assert response.status_code == 200
    partial = response.json["partialSuccess"]
    assert partial["rejectedLogRecords"] == 1 and RANGE in partial["errorMessage"]
    assert stored_messages(client) == ["fine"]


def _stored(ts_ms: int, stamp: str, message: str) -> Entry:
    return Entry(ts_ms, 1_767_225_600_000, stamp, "ERROR", "old-version", message, "u-1", None)


def test_a_stored_year_10000_or_year_0_entry_breaks_no_read(app: Flask, client: FlaskClient) -> None:
    """As a store written by an older version may hold them (entries are written here past validation)."""
    year_10000 = _stored(253_402_347_599_000, "9999-12-31T23:59:59-14:00", "far future")
    year_0 = _stored(-62_135_647_200_000, "0001-01-01T00:00:00+14:00", "far past")
    inside = _stored(1_767_225_600_000, "2026-01-01T00:00:00Z", "inside")
    app.extensions["loglens"].store.write([year_10000, year_0, inside], StatsDelta(3))

    for minutes in (30, 1440):
        dashboard = client.get("/api/advanced-dashboard-data", query_string={"minutes": minutes})
        assert dashboard.status_code == 200, dashboard.text
        assert dashboard.json["summary"]["range"]["total"] == 1
    assert {row["message"] for row in dashboard.json["recent_logs"]} == {"far future", "far past", "inside"}
    assert client.get("/api/time-series", query_string={"minutes": 60}).status_code == 200
    assert client.get("/api/logs", query_string={"q": "far"}).status_code == 200


def test_a_dashboard_range_starting_before_1970_is_a_400_naming_the_range(client: FlaskClient) -> None:
    args: dict[str, Any] = {"from": "0001-01-01T00:00:00+14:00", "to": "0001-01-01T00:30:00+14:00"}
    for path in ("/api/advanced-dashboard-data", "/api/time-series"):
        response = client.get(path, query_string=args)
        assert response.status_code == 400 and RANGE in response.json["error"]
