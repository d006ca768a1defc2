"""Absolute ranges (from/to) on the read endpoints, partial buckets and error-rate gaps."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.conftest import FakeClock


def log(timestamp: str, level: str = "INFO") -> dict[str, str]:
    return {"timestamp": timestamp, "level": level, "service": "web", "message": "m"}


def test_from_to_selects_an_absolute_range_with_no_bucket_still_filling(client: FlaskClient) -> None:
    client.post("/api/logs", json=log("2025-12-31T22:10:30Z", "ERROR"))
    client.post("/api/logs", json=log("2025-12-31T22:11:00Z"))
    client.post("/api/logs", json=log("2025-12-31T22:13:00Z"))  # after `to`
    series = client.get("/api/time-series?from=2025-12-31T22:10&to=2025-12-31T22:12").json
    assert series == [
        {"time": "2025-12-31T22:10", "total": 1, "errors": 1, "partial": False},
        {"time": "2025-12-31T22:11", "total": 1, "errors": 0, "partial": False},
        {"time": "2025-12-31T22:12", "total": 0, "errors": 0, "partial": False},
    ]
    data = client.get("/api/advanced-dashboard-data?from=2025-12-31T22:10:00Z&to=2025-12-31T23:12:00%2B01:00").json
    assert data["window"] == {
        "minutes": 3,
        "from": "2025-12-31T22:10",
        "to": "2025-12-31T22:12",
        "live": False,
        "bucket_minutes": 1,
        "service": None,
        "generated_at": "2026-01-01T00:00:00.000Z",
    }
    assert data["summary"]["range"] == {"total": 2, "errors": 1, "error_rate": 0.5, "service": None}


def test_a_range_not_a_whole_number_of_buckets_starts_with_a_narrower_bucket(client: FlaskClient) -> None:
    client.post("/api/logs", json=log("2025-12-31T20:00:30Z"))  # one minute before `from`: not counted
    client.post("/api/logs", json=log("2025-12-31T20:01:30Z"))
    series = client.get("/api/time-series?from=2025-12-31T20:01&to=2025-12-31T22:01").json  # 121 min, 3-min buckets
    assert len(series) == 41
    assert series[0] == {"time": "2025-12-31T20:01", "total": 1, "errors": 0, "partial": False}
    assert series[-1]["time"] == "2025-12-31T21:59"
    assert sum(p["total"] for p in series) == 1


def test_error_trends_give_every_bucket_a_rate_from_0_to_1_with_its_total_and_mark_thin_ones_uncertain(
    client: FlaskClient, clock: FakeClock
) -> None:
    for _ in range(2):
        client.post("/api/logs", json=log("2025-12-31T23:58:10Z", "ERROR"))
    for i in range(10):
        client.post("/api/logs", json=log("2025-12-31T23:59:10Z", "ERROR" if i == 0 else "INFO"))
    trends = client.get("/api/advanced-dashboard-data?minutes=3").json["error_trends"]
    assert trends == [
        {"time": "2025-12-31T23:58", "error_rate": 1.0, "total": 2, "uncertain": True},
        {"time": "2025-12-31T23:59", "error_rate": 0.1, "total": 10, "uncertain": False},
        {"time": "2026-01-01T00:00", "error_rate": 0.0, "total": 0, "uncertain": False},  # the spec: a number
    ]


def test_bad_ranges_are_json_400s(client: FlaskClient) -> None:
    cases = [
        "from=2025-12-31T22:10",  # to missing
        "to=2025-12-31T22:10",
        "from=2025-12-31T22:10&to=2025-12-31T22:00",  # backwards
        "from=yesterday&to=2025-12-31T22:00",
        "from=2025-12-31T22:10&to=2025-12-31T22:20&minutes=5",
        "from=2025-12-01T00:00&to=2025-12-31T00:00",  # longer than the retention
        "from=2026-01-02T00:00&to=2026-01-03T00:00",  # in the future
    ]
    for query in cases:
        for path in ("/api/advanced-dashboard-data", "/api/time-series"):
            response = client.get(f"{path}?{query}")
            assert response.status_code == 400, (path, query, response.json)
            assert response.json["status"] == "error" and response.json["error"], query
