"""The spec's API reference, endpoint by endpoint, through the Flask test client."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.conftest import FakeClock
from tests.support.json_entry import log


def test_health_reports_totals(client: FlaskClient) -> None:
    assert client.get("/health").json == {"status": "healthy", "total_logs": 0, "current_stored": 0}
    client.post("/api/logs", json=log())
    assert client.get("/health").json == {"status": "healthy", "total_logs": 1, "current_stored": 1}


def test_accepts_valid_entry_with_201(client: FlaskClient) -> None:
    body = log(level="ERROR", user_id="user-5", metadata={"processing_time_ms": 142.5, "request_id": "req-1234"})
    response = client.post("/api/logs", json=body)
    assert response.status_code == 201
    assert response.json == {"status": "accepted"}
    stored = client.get("/api/advanced-dashboard-data").json["recent_logs"][0]
    assert {k: stored[k] for k in body} == body


def test_rejects_entry_without_level(client: FlaskClient) -> None:
    body = log()
    del body["level"]
    response = client.post("/api/logs", json=body)
    assert response.status_code == 400
    assert response.json == {"status": "invalid", "errors": ['"level" is a required property']}


def test_rejects_unknown_level_extra_field_empty_service_and_bad_timestamp(client: FlaskClient) -> None:
    cases = {
        "enum": log(level="FATAL"),
        "additionalProperties": log(host="x"),
        "minLength": log(service=""),
        "format": log(timestamp="yesterday"),
        "type": log(metadata="not-an-object"),
    }
    for kind, body in cases.items():
        response = client.post("/api/logs", json=body)
        assert response.status_code == 400, kind
        assert response.json["status"] == "invalid" and response.json["errors"], kind
    stats = client.get("/api/validation-stats").json
    assert stats["invalid"] == 5 and stats["valid"] == 0 and stats["total"] == 5
    assert stats["error_types"] == {k: 1 for k in cases}


def test_timestamp_without_offset_is_rejected(client: FlaskClient) -> None:
    response = client.post("/api/logs", json=log(timestamp="2026-01-01T00:00:00"))
    assert response.status_code == 400


def test_non_object_json_counts_as_type_error(client: FlaskClient) -> None:
    response = client.post("/api/logs", json=[log()])
    assert response.status_code == 400 and response.json["status"] == "invalid"
    assert client.get("/api/validation-stats").json["error_types"] == {"type": 1}


def test_dashboard_payload_has_every_documented_section(client: FlaskClient) -> None:
    client.post("/api/logs", json=log(user_id="user-3"))
    client.post("/api/logs", json=log(level="ERROR", service="api-gateway"))
    data = client.get("/api/advanced-dashboard-data").json
    for key in (
        "summary",
        "time_series",
        "error_trends",
        "service_health",
        "most_active_services",
        "user_activity",
        "recent_logs",
        "active_alerts",
        "validation_stats",
    ):
        assert key in data, key
    summary = data["summary"]
    assert (summary["total_logs"], summary["total_errors"], summary["error_rate"]) == (2, 1, 0.5)
    assert summary["active_services"] == 2
    assert summary["time_range"] == {"first": "2026-01-01T00:00", "last": "2026-01-01T00:00"}
    assert len(data["time_series"]) == 30
    assert data["time_series"][-1] == {"time": "2026-01-01T00:00", "total": 2, "errors": 1, "partial": True}
    assert data["error_trends"][-1] == {"time": "2026-01-01T00:00", "error_rate": 0.5, "total": 2, "uncertain": True}
    assert data["service_health"]["auth-service"]["status"] == "healthy"
    assert data["service_health"]["auth-service"]["log_count"] == 1
    # one error in one entry is below alerting.min_events: not degraded (the rule's definition)
    assert data["service_health"]["api-gateway"]["status"] == "healthy"
    assert data["most_active_services"] == [
        {"service": "api-gateway", "count": 1},
        {"service": "auth-service", "count": 1},
    ]
    assert data["user_activity"] == [{"user_id": "user-3", "count": 1}]
    assert [r["service"] for r in data["recent_logs"]] == ["api-gateway", "auth-service"]
    assert data["validation_stats"]["valid"] == 2


def test_service_filter_narrows_dashboard(client: FlaskClient) -> None:
    client.post("/api/logs", json=log(service="a"))
    client.post("/api/logs", json=log(service="b", level="ERROR"))
    data = client.get("/api/advanced-dashboard-data?service=b").json
    assert [r["service"] for r in data["recent_logs"]] == ["b"]
    assert data["time_series"][-1] == {"time": "2026-01-01T00:00", "total": 1, "errors": 1, "partial": True}


def test_time_series_covers_requested_minutes_zero_filled(client: FlaskClient, clock: FakeClock) -> None:
    client.post("/api/logs", json=log(timestamp="2025-12-31T23:58:30Z"))
    client.post("/api/logs", json=log(timestamp="2026-01-01T00:00:10Z", level="CRITICAL"))
    series = client.get("/api/time-series?minutes=3").json
    assert series == [
        {"time": "2025-12-31T23:58", "total": 1, "errors": 0, "partial": False},
        {"time": "2025-12-31T23:59", "total": 0, "errors": 0, "partial": False},
        {"time": "2026-01-01T00:00", "total": 1, "errors": 1, "partial": True},
    ]
    assert len(client.get("/api/time-series").json) == 30


def test_long_ranges_use_wider_buckets_up_to_max_buckets(client: FlaskClient) -> None:
    client.post("/api/logs", json=log(timestamp="2025-12-31T23:01:00Z"))
    series = client.get("/api/time-series?minutes=1440").json
    assert len(series) == 60  # analytics.max_buckets
    assert sum(p["total"] for p in series) == 1
    assert series[-1]["time"] == "2025-12-31T23:37"  # 24-minute buckets ending at the current minute


def test_validation_stats_shape(client: FlaskClient) -> None:
    client.post("/api/logs", json=log())
    client.post("/api/logs", json={"level": "INFO"})
    stats = client.get("/api/validation-stats").json
    assert stats == {"total": 2, "valid": 1, "invalid": 1, "error_types": {"required": 1}}


def test_simulate_logs_goes_through_validation_and_storage(client: FlaskClient) -> None:
    response = client.post("/api/simulate-logs", json={"count": 100})
    assert response.status_code == 200
    assert response.json == {"status": "simulated", "requested": 100, "accepted": 100}
    assert client.get("/health").json["total_logs"] == 100
    assert client.get("/api/validation-stats").json["valid"] == 100
    series = client.get("/api/time-series?minutes=6").json
    assert sum(p["total"] for p in series) == 100  # spread over the last 5 minutes


def test_simulate_caps_counts(client: FlaskClient) -> None:
    assert client.post("/api/simulate-logs", json={"count": 5000}).json["accepted"] == 1000
    assert client.post("/api/simulate-errors", json={"count": 900}).json["accepted"] == 500


def checked(client: FlaskClient) -> None:
    """Wait for the on-ingest alert checks, which run on their own thread."""
    assert client.application.extensions["loglens"].checks.wait_idle()


def test_simulate_errors_targets_service_and_fires_error_rate_alert(client: FlaskClient) -> None:
    response = client.post("/api/simulate-errors", json={"count": 50, "error_rate": 1.0, "service": "payment-service"})
    assert response.json == {"status": "simulated", "requested": 50, "accepted": 50}
    checked(client)
    data = client.get("/api/advanced-dashboard-data").json
    assert list(data["service_health"]) == ["payment-service"]
    assert data["summary"]["total_errors"] == 50
    [alert] = data["active_alerts"]
    assert (alert["rule"], alert["service"], alert["severity"], alert["state"]) == (
        "error_rate",
        "payment-service",
        "CRITICAL",
        "firing",
    )


def test_simulate_rejects_bad_parameters(client: FlaskClient) -> None:
    bad = [
        ("/api/simulate-logs", {"count": "ten"}),
        ("/api/simulate-logs", {"count": 0}),
        ("/api/simulate-logs", {"count": True}),
        ("/api/simulate-logs", {"cont": 5}),
        ("/api/simulate-errors", {"error_rate": 1.5}),
        ("/api/simulate-errors", {"error_rate": "high"}),
        ("/api/simulate-errors", {"service": ""}),
        ("/api/simulate-errors", {"service": 42}),
        ("/api/simulate-errors", {"service": "pay\u0000ment"}),
    ]
    for path, body in bad:
        response = client.post(path, json=body)
        assert response.status_code == 400, (path, body)
        assert response.json["status"] == "error" and response.json["error"], (path, body)
    assert client.get("/health").json["total_logs"] == 0


def test_simulate_with_empty_json_body_uses_defaults(client: FlaskClient) -> None:
    assert client.post("/api/simulate-logs", content_type="application/json").json["requested"] == 100


def test_simulate_refuses_a_body_that_does_not_say_json(client: FlaskClient) -> None:
    # a cross-site <form> can POST these without a preflight: they must not reach the simulator
    for path in ("/api/simulate-logs", "/api/simulate-errors"):
        for kwargs in ({}, {"data": {"count": "5"}}, {"data": "{}", "content_type": "text/plain"}):
            response = client.post(path, **kwargs)
            assert response.status_code == 415, (path, kwargs)
            assert "application/json" in response.json["error"]
    assert client.get("/health").json["total_logs"] == 0


def test_alerts_endpoint_lists_history(client: FlaskClient) -> None:
    client.post("/api/simulate-errors", json={"count": 40, "error_rate": 1.0, "service": "db"})
    checked(client)
    alerts = client.get("/api/alerts").json
    assert [(a["rule"], a["service"], a["state"]) for a in alerts] == [("error_rate", "db", "firing")]
    assert client.get("/api/alerts?state=resolved").json == []
    assert client.get("/api/alerts?state=bogus").status_code == 400
    assert client.get("/api/alerts?limit=0").status_code == 400


def test_dashboard_page_is_served_with_csp(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200 and response.mimetype == "text/html"
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    with client.get("/static/vendor/chart.umd.min.js") as script:
        assert script.status_code == 200 and b"Chart" in script.data
