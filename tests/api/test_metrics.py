"""GET /metrics: Prometheus text format with the app's own counters, histograms and scrape-time gauges."""

from __future__ import annotations

import orjson
import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from loglens.alerts.notifiers.base import DeliveryError
from loglens.alerts.notifiers.build import AlertHandler
from tests.support.full_store import cap_store_size, post_until_not_accepted
from tests.support.json_entry import log


def scrape(client: FlaskClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of GET /metrics, keyed by (name, sorted labels)."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain" and "version=" in response.headers["Content-Type"]
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_counts_entries_accepted_and_rejected_by_endpoint_and_kind(client: FlaskClient) -> None:
    assert client.post("/api/logs", json=log()).status_code == 201
    assert client.post("/api/logs", json=log(level="LOUD")).status_code == 400
    body = b"\n".join(orjson.dumps(e) for e in [log(), log(), {"level": "INFO"}, log(timestamp="yesterday")])
    assert client.post("/api/logs/bulk", data=body, content_type="application/x-ndjson").status_code == 200
    samples = scrape(client)
    assert value(samples, "loglens_entries_accepted_total", endpoint="/api/logs") == 1
    assert value(samples, "loglens_entries_rejected_total", endpoint="/api/logs", kind="enum") == 1
    assert value(samples, "loglens_entries_accepted_total", endpoint="/api/logs/bulk") == 2
    assert value(samples, "loglens_entries_rejected_total", endpoint="/api/logs/bulk", kind="required") == 1
    assert value(samples, "loglens_entries_rejected_total", endpoint="/api/logs/bulk", kind="format") == 1


@pytest.mark.sqlite_only  # a full SQLite file (PRAGMA max_page_count)
def test_counts_entries_a_full_store_kept_out(client: FlaskClient, app: Flask) -> None:
    cap_store_size(app)
    post_until_not_accepted(client, "/api/logs", json=log(message="x" * 2000))
    samples = scrape(client)
    assert value(samples, "loglens_entries_rejected_total", endpoint="/api/logs", kind="store_full") == 1
    assert value(samples, "loglens_store_up") == 0


def test_times_requests_by_route_method_and_status(client: FlaskClient) -> None:
    client.post("/api/logs", json=log())
    client.get("/health")
    client.get("/no/such/page")
    with client.get("/static/js/main.js") as response:
        assert response.status_code == 200
    samples = scrape(client)
    name = "loglens_request_duration_seconds_count"
    assert value(samples, name, route="/api/logs", method="POST", status="201") == 1
    assert value(samples, name, route="/health", method="GET", status="200") == 1
    assert value(samples, name, route="unmatched", method="GET", status="404") == 1
    assert value(samples, name, route="/static/<path:filename>", method="GET", status="200") == 1
    assert (
        value(
            samples, "loglens_request_duration_seconds_bucket", route="/health", method="GET", status="200", le="+Inf"
        )
        == 1
    )


def test_reports_group_commits_queue_and_store_size(client: FlaskClient) -> None:
    body = b"\n".join(orjson.dumps(log()) for _ in range(30))
    client.post("/api/logs/bulk", data=body, content_type="application/x-ndjson")
    samples = scrape(client)
    assert value(samples, "loglens_commit_entries_count") >= 1
    assert value(samples, "loglens_commit_entries_sum") == 30
    assert value(samples, "loglens_commit_entries_bucket", le="50.0") == value(samples, "loglens_commit_entries_count")
    assert value(samples, "loglens_commit_duration_seconds_count") >= 1
    assert value(samples, "loglens_commit_jobs_sum") >= 1
    assert value(samples, "loglens_writer_queue_entries") == 0
    assert value(samples, "loglens_store_size_bytes") > 0
    assert value(samples, "loglens_store_entries") == 30
    assert value(samples, "loglens_store_up") == 1


class Failing:
    def handle(self, alert: dict[str, object]) -> None:
        raise DeliveryError("receiver refuses", permanent=True)


@pytest.fixture
def alerting_app(make_app: object, clock: object) -> Flask:
    handler: AlertHandler = Failing()
    config = {"alerting": {"min_events": 1, "queue_size": 1}}
    app: Flask = make_app(config, clock=clock, handlers=[handler])  # type: ignore[operator]
    return app


def test_reports_alerts_by_rule_and_notification_failures(alerting_app: Flask) -> None:
    client = alerting_app.test_client()
    state = alerting_app.extensions["loglens"]
    body = b"\n".join(orjson.dumps(log(level="ERROR")) for _ in range(5))
    client.post("/api/logs/bulk", data=body, content_type="application/x-ndjson")
    assert state.checks.wait_idle(10) and state.delivery.join(10)
    samples = scrape(client)
    assert value(samples, "loglens_alerts", rule="error_rate", state="firing") == 1
    assert value(samples, "loglens_notifications", notifier="failing", status="failed") == 1  # the failing handler
    assert value(samples, "loglens_notifications", notifier="log", status="delivered") == 1  # the log handler


def test_each_app_has_its_own_registry(make_app: object) -> None:
    first, second = make_app(), make_app()  # type: ignore[operator]
    first.test_client().post("/api/logs", json=log())
    samples = scrape(second.test_client())
    assert value(samples, "loglens_entries_accepted_total", endpoint="/api/logs") == 0
