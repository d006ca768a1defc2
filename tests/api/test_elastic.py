"""The Elasticsearch bulk API under /elasticsearch/ through the Flask test client: the mapping, per-item answers in
Elasticsearch's shape, the probes shippers send, whole-request errors, limits, stats and metrics."""

from __future__ import annotations

import base64
import gzip
from typing import Any

import orjson
import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.auth import make_keys
from tests.support.full_store import cap_store_size

BULK = "/elasticsearch/_bulk"
NDJSON = "application/x-ndjson"


def ndjson(*lines: Any) -> bytes:
    return b"".join((line if isinstance(line, bytes) else orjson.dumps(line)) + b"\n" for line in lines)


def recent(client: FlaskClient, service: str) -> list[dict[str, Any]]:
    rows = client.get(f"/api/advanced-dashboard-data?service={service}").get_json()["recent_logs"]
    return list(reversed(rows))


def test_documents_are_mapped_from_flat_dotted_and_nested_fields(client: FlaskClient) -> None:
    body = ndjson(
        {"index": {"_index": "ignored-when-service-is-named", "_type": "_doc", "_id": "a1"}},
        {
            "@timestamp": "2026-01-01T00:00:00.000Z",
            "message": "nested ecs",
            "log": {"level": "warn", "logger": "x"},
            "service": {"name": "shop"},
            "user": {"id": "u-1"},
            "host": {"name": "web-1"},
        },
        {"create": {}},
        {"timestamp": 1767225600123, "msg": "dotted", "log.level": "ERR", "service.name": "shop", "a.b": 1},
        {"index": {}},
        {"@timestamp": "2026-01-01T00:00:01Z", "message": {"k": "v"}, "severity": 2, "app": "shop", "user_id": 5},
    )
    response = client.post("/elasticsearch/logs-shop/_bulk", data=body, content_type=NDJSON)
    assert response.status_code == 200 and response.headers["X-Elastic-Product"] == "Elasticsearch"
    answer = response.get_json()
    assert answer["errors"] is False and isinstance(answer["took"], int)
    assert [next(iter(item)) for item in answer["items"]] == ["index", "create", "index"]
    first = answer["items"][0]["index"]
    assert (first["status"], first["result"], first["_id"], first["_index"]) == (
        201,
        "created",
        "a1",
        "ignored-when-service-is-named",
    )
    assert answer["items"][1]["create"]["_index"] == "logs-shop" and answer["items"][1]["create"]["_id"]
    nested, dotted, severe = recent(client, "shop")
    assert (nested["message"], nested["level"], nested["user_id"]) == ("nested ecs", "WARNING", "u-1")
    assert nested["timestamp"] == "2026-01-01T00:00:00.000Z"
    assert nested["metadata"] == {"log": {"logger": "x"}, "host": {"name": "web-1"}}
    assert (dotted["message"], dotted["level"], dotted["timestamp"]) == ("dotted", "ERROR", "2026-01-01T00:00:00.123Z")
    assert dotted["metadata"] == {"a.b": 1}
    assert (severe["message"], severe["level"], severe["user_id"]) == ('{"k":"v"}', "CRITICAL", "5")


def test_the_service_falls_back_to_the_index_then_the_default(client: FlaskClient) -> None:
    body = ndjson({"index": {"_index": "nginx-access"}}, {"message": "a"}, {"index": {}}, {"message": "b"})
    assert client.post(BULK, data=body, content_type=NDJSON).get_json()["errors"] is False
    assert [r["message"] for r in recent(client, "nginx-access")] == ["a"]
    assert [r["message"] for r in recent(client, "unknown_service")] == ["b"]


def test_the_service_fields_follow_their_setting(make_app: Any) -> None:
    client = make_app({"ingest": {"elasticsearch_service_fields": ["kubernetes.container.name"]}}).test_client()
    body = ndjson({"index": {}}, {"message": "k", "kubernetes": {"container": {"name": "api"}}, "app": "no"})
    assert client.post("/elasticsearch/idx/_bulk", data=body, content_type=NDJSON).get_json()["errors"] is False
    (row,) = recent(client, "api")
    assert row["metadata"] == {"app": "no"}


def test_rejected_and_refused_items_are_reported_per_item_and_the_rest_stored(client: FlaskClient) -> None:
    body = ndjson(
        {"index": {}},
        {"message": "kept", "app": "items"},
        {"create": {"_id": "bad-json"}},
        b"{not json",
        {"delete": {"_id": "x"}},
        {"update": {"_id": "y"}},
        {"doc": {"message": "never"}},
        {"index": {}},
        {"app": "items", "level": "info"},
        {"index": {}},
        {"message": "kept too", "app": "items", "@timestamp": "yesterday"},
        {"index": {}},
        {"message": "last", "app": "items"},
    )
    answer = client.post(
        BULK, data=gzip.compress(body), content_type=NDJSON, headers={"Content-Encoding": "gzip"}
    ).get_json()
    assert answer["errors"] is True
    statuses = [
        (op, item["status"], item.get("error", {}).get("type"))
        for entry in answer["items"]
        for op, item in entry.items()
    ]
    assert statuses == [
        ("index", 201, None),
        ("create", 400, "document_parsing_exception"),
        ("delete", 400, "action_request_validation_exception"),
        ("update", 400, "action_request_validation_exception"),
        ("index", 400, "document_parsing_exception"),
        ("index", 400, "document_parsing_exception"),
        ("index", 201, None),
    ]
    reasons = [item.get("error", {}).get("reason", "") for entry in answer["items"] for item in entry.values()]
    assert "not valid JSON" in reasons[1] and reasons[1] and answer["items"][1]["create"]["_id"] == "bad-json"
    assert "delete action is not supported" in reasons[2]
    assert "message" in reasons[4] and "timestamp" in reasons[5]
    assert [r["message"] for r in recent(client, "items")] == ["kept", "last"]
    stats = client.get("/api/validation-stats").get_json()
    assert stats["valid"] == 2 and stats["invalid"] == 3  # the refused delete and update are no entries
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'loglens_entries_accepted_total{endpoint="/elasticsearch/_bulk"} 2.0' in metrics


@pytest.mark.parametrize(
    ("body", "content_type", "status", "kind", "says"),
    [
        (b"not json\n{}\n", NDJSON, 400, "illegal_argument_exception", "Malformed action/metadata line [1]"),
        (ndjson({"upsert": {}}, {}), NDJSON, 400, "illegal_argument_exception", "unknown action [upsert]"),
        (ndjson({"index": {}}), NDJSON, 400, "illegal_argument_exception", "has no document"),
        (ndjson({"index": {}, "create": {}}, {}), NDJSON, 400, "illegal_argument_exception", "one action"),
        (b"", NDJSON, 400, "illegal_argument_exception", "empty"),
        (ndjson({"index": {}}, {"message": "m"}), "text/csv", 415, "media_type_header_exception", "Content-Type"),
    ],
)
def test_unreadable_requests_get_elasticsearch_error_objects(
    client: FlaskClient, body: bytes, content_type: str, status: int, kind: str, says: str
) -> None:
    response = client.post(BULK, data=body, content_type=content_type)
    assert response.status_code == status and response.headers["X-Elastic-Product"] == "Elasticsearch"
    error = response.get_json()
    assert error["status"] == status and error["error"]["type"] == kind and says in error["error"]["reason"]
    assert error["error"]["root_cause"] == [{"type": kind, "reason": error["error"]["reason"]}]


def test_the_client_media_types_are_accepted(client: FlaskClient) -> None:
    for content_type in ("application/json", "application/vnd.elasticsearch+x-ndjson; compatible-with=8"):
        body = ndjson({"index": {}}, {"message": content_type, "app": "types"})
        assert client.post(BULK, data=body, content_type=content_type).get_json()["errors"] is False
    assert len(recent(client, "types")) == 2


def test_limits_are_those_of_bulk(make_app: Any) -> None:
    config = {"ingest": {"max_batch_entries": 2, "max_entry_bytes": 200}, "server": {"max_body_bytes": 4096}}
    client = make_app(config).test_client()
    three = ndjson(*[line for i in range(3) for line in ({"index": {}}, {"message": f"m{i}", "app": "lim"})])
    response = client.post(BULK, data=three, content_type=NDJSON)
    assert response.status_code == 413 and "ingest.max_batch_entries" in response.get_json()["error"]["reason"]
    big = ndjson({"index": {}}, {"message": "x" * 300, "app": "lim"}, {"index": {}}, {"message": "ok", "app": "lim"})
    items = client.post(BULK, data=big, content_type=NDJSON).get_json()["items"]
    assert items[0]["index"]["status"] == 400 and "max_entry_bytes" in items[0]["index"]["error"]["reason"]
    assert items[1]["index"]["status"] == 201
    response = client.post(
        BULK, data=gzip.compress(b"\n" * 10_000), content_type=NDJSON, headers={"Content-Encoding": "gzip"}
    )
    assert response.status_code == 413 and response.get_json()["error"]["type"] == "content_too_long_exception"
    assert [r["message"] for r in recent(client, "lim")] == ["ok"]


@pytest.mark.parametrize(
    ("method", "path", "key"),
    [
        ("GET", "/elasticsearch", "version"),
        ("GET", "/elasticsearch/", "version"),
        ("GET", "/elasticsearch/_license", "license"),
        ("GET", "/elasticsearch/_xpack", "features"),
        ("GET", "/elasticsearch/_cluster/health", "status"),
        ("GET", "/elasticsearch/_nodes/http", "nodes"),
        ("GET", "/elasticsearch/_index_template/filebeat-8.17.0", "index_templates"),
        ("GET", "/elasticsearch/_template/logstash", "logstash"),
        ("GET", "/elasticsearch/_ilm/policy/filebeat", "filebeat"),
        ("GET", "/elasticsearch/_ingest/pipeline/p1", "p1"),
        ("PUT", "/elasticsearch/_index_template/filebeat-8.17.0", "acknowledged"),
        ("PUT", "/elasticsearch/_ilm/policy/filebeat", "acknowledged"),
        ("PUT", "/elasticsearch/_template/logstash", "acknowledged"),
        ("PUT", "/elasticsearch/_ingest/pipeline/p1", "acknowledged"),
    ],
)
def test_what_shippers_probe_is_answered_as_elasticsearch_8(
    client: FlaskClient, method: str, path: str, key: str
) -> None:
    response = client.open(path, method=method, json={"policy": {}} if method == "PUT" else None)
    assert response.status_code == 200 and response.headers["X-Elastic-Product"] == "Elasticsearch"
    assert key in response.get_json()
    head = client.head(path)
    assert head.status_code == 200 and head.data == b""  # HEAD: exists (Logstash asks templates so)


def test_the_version_is_8x_with_what_shippers_read() -> None:
    from loglens.api.elastic_probes import version_info

    version = version_info()["version"]
    assert version["number"].startswith("8.") and version["build_flavor"] == "default"


def test_basic_auth_with_the_key_as_password_reaches_bulk_and_probes(make_app: Any) -> None:
    app: Flask = make_app({"auth": {"enabled": True}})
    keys = make_keys(app)
    client = app.test_client()
    basic = {"Authorization": "Basic " + base64.b64encode(f"elastic:{keys['ingest']}".encode()).decode()}
    assert client.get("/elasticsearch/", headers=basic).status_code == 200
    assert client.head("/elasticsearch/", headers=basic).status_code == 200
    body = ndjson({"index": {}}, {"message": "m", "app": "basic"})
    assert client.post(BULK, data=body, content_type=NDJSON, headers=basic).get_json()["errors"] is False
    refused = client.post(BULK, data=body, content_type=NDJSON)
    assert refused.status_code == 401 and refused.headers["X-Elastic-Product"] == "Elasticsearch"
    assert client.get("/elasticsearch/").status_code == 401


@pytest.mark.sqlite_only  # fills a SQLite file; ClickHouse's faults: tests/api/test_clickhouse_errors.py
def test_bulk_answers_503_with_retry_after_when_the_store_is_full(client: FlaskClient, app: Flask) -> None:
    cap_store_size(app)
    body = ndjson(*[line for _ in range(50) for line in ({"index": {}}, {"message": "w" * 500, "app": "full"})])
    stored = 0
    for _ in range(2000):
        response = client.post(BULK, data=body, content_type=NDJSON)
        if response.status_code != 200:
            break
        stored += 50
    assert response.status_code == 503 and response.headers["Retry-After"] == "10"
    assert response.get_json()["error"]["type"] == "unavailable_shards_exception"
    assert client.get("/health").get_json()["total_logs"] == stored
