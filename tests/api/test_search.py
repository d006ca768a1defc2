"""GET /api/logs and friends through the Flask test client: shapes, ordering, cursors, and 400s naming the parameter."""

from __future__ import annotations

import csv
import io
import time
from typing import Any

import orjson
import pytest
from flask.testing import FlaskClient

from loglens.api import search as search_api
from tests.conftest import FakeClock
from tests.support.search_entries import entry, ingest


def search(client: FlaskClient, **params: Any) -> dict[str, Any]:
    response = client.get("/api/logs", query_string=params)
    assert response.status_code == 200, response.json
    result: dict[str, Any] = response.json
    return result


def test_returns_logs_newest_first_by_event_time_with_ids(client: FlaskClient) -> None:
    ingest(client, [entry(30), entry(10), entry(50, user_id="user-1", metadata={"request_id": "req-1"}), entry(20)])
    started = time.perf_counter()
    result = search(client)
    elapsed_ms = (time.perf_counter() - started) * 1000
    assert [log["message"] for log in result["logs"]] == [
        "request 50 ok",
        "request 30 ok",
        "request 20 ok",
        "request 10 ok",
    ]
    assert set(result) == {"logs", "next_cursor", "took_ms"}
    assert result["next_cursor"] is None and 0 < result["took_ms"] <= elapsed_ms  # the server's own time, in ms
    newest = result["logs"][0]
    assert newest["metadata"] == {"request_id": "req-1"} and newest["user_id"] == "user-1"
    assert isinstance(newest["id"], int) and newest["timestamp"] == "2025-12-31T23:00:50Z"
    assert client.get(f"/api/logs/{newest['id']}").json == newest


def test_ties_in_event_time_break_by_id(client: FlaskClient) -> None:
    ingest(client, [entry(5, message=f"same {i}") for i in range(5)])
    assert [log["message"] for log in search(client)["logs"]] == [f"same {i}" for i in reversed(range(5))]


def test_query_filters_by_words_fields_and_level(client: FlaskClient) -> None:
    ingest(
        client,
        [
            entry(1, message="connection refused by upstream", level="ERROR", service="payment-service"),
            entry(2, message="request timeout after retry", level="WARNING"),
            entry(3, message="timeouts everywhere", level="INFO", metadata={"processing_time_ms": 900}),
            entry(4, message="all good", level="CRITICAL", service="payment-service", user_id="user-42"),
        ],
    )

    def messages(q: str) -> list[str]:
        return [log["message"] for log in search(client, q=q)["logs"]]

    assert messages("timeout") == ["request timeout after retry"]
    assert messages('"refused by"') == ["connection refused by upstream"]
    assert messages("level>=ERROR service:payment-service") == ["all good", "connection refused by upstream"]
    assert messages("user_id:user-42") == ["all good"]
    assert messages("metadata.processing_time_ms>500") == ["timeouts everywhere"]
    assert messages("timeout* -retry") == ["timeouts everywhere"]
    assert messages("service:payment* OR level:WARNING") == [
        "all good",
        "request timeout after retry",
        "connection refused by upstream",
    ]


def test_from_and_to_bound_event_time(client: FlaskClient, clock: FakeClock) -> None:
    ingest(client, [entry(s) for s in (0, 600, 1200, 1800, 2400)])  # 23:00 .. 23:40
    window = search(client, **{"from": "2025-12-31T23:10:00Z", "to": "2025-12-31T23:30:00Z"})
    assert [log["message"] for log in window["logs"]] == ["request 1200 ok", "request 600 ok"]
    recent = search(client, **{"from": "30m"})  # the clock reads 00:00
    assert [log["message"] for log in recent["logs"]] == ["request 2400 ok", "request 1800 ok"]


def test_cursor_pages_through_every_match_once(client: FlaskClient) -> None:
    ingest(client, [entry(i % 300, message=f"m {i}") for i in range(250)])
    seen: list[int] = []
    params: dict[str, Any] = {"limit": 7}
    while True:
        page = search(client, **params)
        seen += [log["id"] for log in page["logs"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert sorted(seen) == sorted(set(seen)) and len(seen) == 250


@pytest.mark.parametrize(
    ("params", "parameter", "fragment"),
    [
        ({"q": "service:auth AND (level:ERROR"}, "q", "expected ')' at column 30"),
        ({"q": "nope:x"}, "q", "unknown field"),
        ({"limit": "0"}, None, "limit"),
        ({"limit": "1001"}, None, "limit"),
        ({"limit": "ten"}, None, "limit"),
        ({"from": "yesterday"}, "from", "from"),
        ({"to": "2024-13-45T00:00:00Z"}, "to", "to"),
        ({"from": "1h", "to": "2h"}, "from", "earlier"),
        ({"cursor": "garbage"}, "cursor", "cursor"),
    ],
)
def test_bad_parameters_are_400_naming_them(
    client: FlaskClient, params: dict[str, str], parameter: str | None, fragment: str
) -> None:
    response = client.get("/api/logs", query_string=params)
    assert response.status_code == 400
    assert fragment in response.json["error"]
    if parameter is not None:
        assert response.json["parameter"] == parameter


def test_unknown_id_is_404(client: FlaskClient) -> None:
    response = client.get("/api/logs/999")
    assert response.status_code == 404 and "999" in response.json["error"]


def test_export_streams_every_match_as_ndjson_and_csv(client: FlaskClient) -> None:
    ingest(client, [entry(i, level="ERROR" if i % 2 else "INFO", metadata={"n": i}) for i in range(120)])
    response = client.get("/api/logs/export", query_string={"q": "level:ERROR", "format": "ndjson"})
    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Content-Disposition"].startswith('attachment; filename="loglens-')
    assert response.headers["Content-Disposition"].endswith('.ndjson"')
    lines = [orjson.loads(line) for line in response.data.splitlines()]
    assert len(lines) == 60 and all(line["level"] == "ERROR" for line in lines)
    assert lines == search(client, q="level:ERROR", limit=1000)["logs"]

    response = client.get("/api/logs/export", query_string={"q": "level:ERROR", "format": "csv"})
    assert response.mimetype == "text/csv" and response.headers["Content-Disposition"].endswith('.csv"')
    rows = list(csv.DictReader(io.StringIO(response.data.decode())))
    assert len(rows) == 60 and orjson.loads(rows[0]["metadata"]) == {"n": 119}


def every_match(client: FlaskClient, **params: Any) -> list[dict[str, Any]]:
    """Every match by following the cursor of GET /api/logs."""
    found: list[dict[str, Any]] = []
    page = search(client, limit=1000, **params)
    found += page["logs"]
    while page["next_cursor"] is not None:
        page = search(client, limit=1000, cursor=page["next_cursor"], **params)
        found += page["logs"]
    return found


def test_ndjson_export_goes_out_in_chunks_of_many_entries_with_every_line_unchanged(client: FlaskClient) -> None:
    for start in (0, 1250):  # 2,500 entries: three export pages
        ingest(client, [entry(i % 3600, metadata={"n": i}) for i in range(start, start + 1250)])
    response = client.get("/api/logs/export", query_string={"format": "ndjson"})
    assert response.status_code == 200
    chunks = list(response.response)  # as the app hands them to the server, one write each
    lines = [orjson.loads(line) for line in b"".join(chunks).splitlines()]
    assert lines == every_match(client) and len(lines) == 2500
    assert all(chunk.endswith(b"\n") for chunk in chunks)  # whole lines only
    assert len(chunks) <= 2500 // search_api.CHUNK_ENTRIES + 3, len(chunks)  # not one chunk per entry


def test_export_chunks_stay_near_their_byte_size_when_entries_are_big(client: FlaskClient) -> None:
    big = "x" * 20_000
    ingest(client, [entry(i, message=f"{i} {big}") for i in range(40)])
    for fmt in ("ndjson", "csv"):
        chunks = list(client.get("/api/logs/export", query_string={"format": fmt}).response)
        assert len(b"".join(chunks)) > 40 * 20_000
        biggest = max(len(chunk) for chunk in chunks)
        assert len(chunks) > 4 and biggest < search_api.CHUNK_BYTES + 21_000, (fmt, len(chunks), biggest)


def test_export_refuses_an_unknown_format(client: FlaskClient) -> None:
    response = client.get("/api/logs/export", query_string={"format": "xml"})
    assert response.status_code == 400 and "format" in response.json["error"]


def test_services_list_names_counts_and_last_seen(client: FlaskClient) -> None:
    ingest(client, [entry(1), entry(2, service="b-svc", level="ERROR"), entry(3, service="b-svc")])
    services = client.get("/api/services").json["services"]
    assert [(s["service"], s["count"], s["errors"]) for s in services] == [("auth-service", 1, 0), ("b-svc", 2, 1)]
    assert services[0]["last_seen"].endswith("Z")


def test_fields_list_metadata_keys_with_sample_values(client: FlaskClient) -> None:
    ingest(client, [entry(i, user_id=f"user-{i % 3}", metadata={"region": f"eu-{i % 2}", "n": i}) for i in range(20)])
    fields = {f["field"]: f["values"] for f in client.get("/api/fields?values=3").json["fields"]}
    assert fields["level"] == ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
    assert fields["service"] == ["auth-service"]
    assert sorted(fields["metadata.region"]) == ["eu-0", "eu-1"]
    assert len(fields["metadata.n"]) == 3 and sorted(fields["user_id"]) == ["user-0", "user-1", "user-2"]
    assert client.get("/api/fields?values=0").status_code == 400


def test_dashboard_recent_logs_are_newest_by_event_time(client: FlaskClient) -> None:
    # arrival order 08:38:35, 08:38:06, 08:39:10 (issue 11): the table must read 08:39:10, 08:38:35, 08:38:06
    ingest(client, [entry(35, message="b"), entry(6, message="a"), entry(70, message="c")])
    recent = client.get("/api/advanced-dashboard-data").json["recent_logs"]
    assert [r["message"] for r in recent] == ["c", "b", "a"]
    only = client.get("/api/advanced-dashboard-data?service=auth-service").json["recent_logs"]
    assert [r["message"] for r in only] == ["c", "b", "a"]


def test_an_id_past_64_bits_is_a_404_not_a_500(client: FlaskClient) -> None:
    response = client.get(f"/api/logs/{2**70}")
    assert response.status_code == 404 and response.json["status"] == "error"
