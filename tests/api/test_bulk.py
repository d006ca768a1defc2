"""POST /api/logs/bulk through the Flask test client: NDJSON and JSON arrays, gzip, limits, error reports."""

from __future__ import annotations

import gzip
from typing import Any

import orjson
from flask import Flask
from flask.testing import FlaskClient

from tests.support.bulk import NDJSON, entry, ndjson, stats, stored_messages


def test_stores_valid_lines_and_reports_invalid_ones_by_line_number(client: FlaskClient) -> None:
    body = ndjson(
        entry(1),
        b"",  # blank line 2: ignored
        b"{not json",  # line 3
        entry(4, level="LOUD"),  # line 4
        b"   ",  # blank line 5
        entry(6, user_id="u-6", metadata={"request_id": "r6"}),
    )
    response = client.post("/api/logs/bulk", data=body, content_type=NDJSON)

    assert response.status_code == 200
    report = response.get_json()
    assert report["accepted"] == 2 and report["rejected"] == 2 and report["errors_truncated"] == 0
    assert [e["line"] for e in report["errors"]] == [3, 4]
    assert report["errors"][0]["errors"][0].startswith("not valid JSON")
    assert "level" in report["errors"][1]["errors"][0] and "LOUD" in report["errors"][1]["errors"][0]
    assert stored_messages(client) == ["entry 1", "entry 6"]
    recent = client.get("/api/advanced-dashboard-data").get_json()["recent_logs"]
    assert recent[0]["user_id"] == "u-6" and recent[0]["metadata"] == {"request_id": "r6"}


def test_validation_stats_count_every_entry_including_undecodable_lines(client: FlaskClient) -> None:
    body = ndjson(entry(1), entry(2), b"nope", b"[1, 2]", entry(3, timestamp="yesterday"))
    client.post("/api/logs/bulk", data=body, content_type=NDJSON)

    counted = stats(client)
    assert counted["total"] == 5 and counted["valid"] == 2 and counted["invalid"] == 3
    assert counted["error_types"] == {"json": 1, "type": 1, "format": 1}


def test_json_array_reports_zero_based_indexes(client: FlaskClient) -> None:
    body = orjson.dumps([entry(0), {"level": "INFO"}, entry(2), "text"])
    response = client.post("/api/logs/bulk", data=body, content_type="application/json")

    report = response.get_json()
    assert response.status_code == 200
    assert report["accepted"] == 2 and report["rejected"] == 2
    assert [e["index"] for e in report["errors"]] == [1, 3]
    assert stored_messages(client) == ["entry 0", "entry 2"]


def test_single_json_object_is_one_entry(client: FlaskClient) -> None:
    response = client.post("/api/logs/bulk", json=entry(7))
    assert response.get_json() == {"accepted": 1, "rejected": 0, "errors": [], "errors_truncated": 0}


def test_ndjson_sent_as_application_json_is_read_line_by_line(client: FlaskClient) -> None:
    """Older Fluent Bit releases send json_lines with Content-Type: application/json."""
    response = client.post("/api/logs/bulk", data=ndjson(entry(1), b"oops", entry(3)), content_type="application/json")

    report = response.get_json()
    assert report["accepted"] == 2 and [e["line"] for e in report["errors"]] == [2]


def test_malformed_json_array_fails_the_request(client: FlaskClient) -> None:
    response = client.post("/api/logs/bulk", data=b'[{"level": "INFO"},', content_type="application/json")
    assert response.status_code == 400
    assert "malformed JSON array" in response.get_json()["error"]
    assert stats(client)["total"] == 0


def test_gzip_body_is_accepted(client: FlaskClient) -> None:
    body = gzip.compress(ndjson(*(entry(i) for i in range(50)), b"bad"))
    response = client.post("/api/logs/bulk", data=body, content_type=NDJSON, headers={"Content-Encoding": "gzip"})

    report = response.get_json()
    assert report["accepted"] == 50 and report["errors"] == [{"line": 51, "errors": [report["errors"][0]["errors"][0]]}]


def test_gzip_bomb_is_refused_with_413(make_app: Any) -> None:
    client = make_app({"server": {"max_body_bytes": 64 * 1024}}).test_client()
    bomb = gzip.compress(b"\n" * (8 * 1024 * 1024))
    assert len(bomb) < 64 * 1024
    response = client.post("/api/logs/bulk", data=bomb, content_type=NDJSON, headers={"Content-Encoding": "gzip"})

    assert response.status_code == 413
    assert "server.max_body_bytes" in response.get_json()["error"]


def test_corrupt_gzip_is_a_bad_request(client: FlaskClient) -> None:
    response = client.post(
        "/api/logs/bulk", data=b"\x1f\x8b\x08\x00garbage", content_type=NDJSON, headers={"Content-Encoding": "gzip"}
    )
    assert response.status_code == 400


def test_body_over_max_body_bytes_is_refused_with_413(make_app: Any) -> None:
    client = make_app({"server": {"max_body_bytes": 1000}}).test_client()
    response = client.post("/api/logs/bulk", data=ndjson(*(entry(i) for i in range(20))), content_type=NDJSON)
    assert response.status_code == 413
    assert "server.max_body_bytes" in response.get_json()["error"]


def test_too_many_entries_is_refused_with_413_and_nothing_is_stored(make_app: Any) -> None:
    client = make_app({"ingest": {"max_batch_entries": 5}}).test_client()
    for body, content_type in (
        (ndjson(*(entry(i) for i in range(6))), NDJSON),
        (orjson.dumps([entry(i) for i in range(6)]), "application/json"),
    ):
        response = client.post("/api/logs/bulk", data=body, content_type=content_type)
        assert response.status_code == 413
        assert "ingest.max_batch_entries" in response.get_json()["error"]
    assert stats(client)["total"] == 0

    exactly = ndjson(*(entry(i) for i in range(5)), b"", b"")  # blank lines do not count
    assert client.post("/api/logs/bulk", data=exactly, content_type=NDJSON).get_json()["accepted"] == 5


def test_wrong_content_type_is_415(client: FlaskClient) -> None:
    response = client.post("/api/logs/bulk", data=ndjson(entry(1)), content_type="text/plain")
    assert response.status_code == 415
    assert "application/x-ndjson" in response.get_json()["error"]


def test_empty_body_is_a_bad_request(client: FlaskClient) -> None:
    assert client.post("/api/logs/bulk", data=b"\n\n", content_type=NDJSON).status_code == 400


def test_error_list_is_capped_and_the_rest_counted(client: FlaskClient) -> None:
    body = ndjson(*([b"x"] * 150), entry(1))
    report = client.post("/api/logs/bulk", data=body, content_type=NDJSON).get_json()

    assert report["accepted"] == 1 and report["rejected"] == 150
    assert len(report["errors"]) == 100 and report["errors_truncated"] == 50
    assert report["errors"][-1]["line"] == 100


def test_accepted_entries_feed_the_dashboard_rollups(app: Flask, client: FlaskClient) -> None:
    body = ndjson(*(entry(i, level="ERROR" if i % 2 else "INFO") for i in range(10)))
    client.post("/api/logs/bulk", data=body, content_type=NDJSON)

    summary = client.get("/api/advanced-dashboard-data").get_json()["summary"]
    assert summary["total_logs"] == 10 and summary["total_errors"] == 5
