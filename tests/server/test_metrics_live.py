"""GET /metrics and GET /openapi.json from a real `loglens serve` (Granian worker, fast ingest path)."""

from __future__ import annotations

import json
import urllib.request

import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.live import LiveServer

pytestmark = pytest.mark.server


def test_metrics_count_what_the_live_server_did(server: LiveServer) -> None:
    entry = {"timestamp": "2026-01-01T00:00:00Z", "level": "INFO", "service": "metrics-live", "message": "hi"}
    for _ in range(3):
        request = urllib.request.Request(
            server.url + "/api/logs", data=orjson.dumps(entry), headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 201
    with urllib.request.urlopen(server.url + "/metrics", timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert samples[("loglens_entries_accepted_total", (("endpoint", "/api/logs"),))] >= 3
    key = ("loglens_request_duration_seconds_count", (("method", "POST"), ("route", "/api/logs"), ("status", "201")))
    assert samples[key] >= 3
    assert samples[("loglens_commit_entries_sum", ())] >= 3
    assert samples[("loglens_store_up", ())] == 1


def test_openapi_document_is_served(server: LiveServer) -> None:
    with urllib.request.urlopen(server.url + "/openapi.json", timeout=10) as response:
        document = json.loads(response.read())
    assert document["openapi"].startswith("3.1.") and "/api/logs" in document["paths"]
