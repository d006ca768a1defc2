"""POST /loki/api/v1/push through the Flask test client: JSON (plain and gzip), protobuf with snappy built from
Loki's push.proto, the mapping and its settings, Loki's plain-text errors, limits, stats and metrics."""

from __future__ import annotations

import base64
import gzip
from pathlib import Path
from types import ModuleType
from typing import Any

import cramjam
import orjson
import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.auth import make_keys
from tests.support.full_store import cap_store_size
from tests.support.loki_proto import compile_push_proto

PUSH = "/loki/api/v1/push"
NS = 1_767_225_600_000_000_000  # 2026-01-01T00:00:00Z


@pytest.fixture(scope="module")
def pb(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return compile_push_proto(tmp_path_factory.mktemp("loki_proto"))


def recent(client: FlaskClient, service: str) -> list[dict[str, Any]]:
    rows = client.get(f"/api/advanced-dashboard-data?service={service}").get_json()["recent_logs"]
    return list(reversed(rows))


def protobuf_push(pb: ModuleType, streams: list[tuple[str, list[tuple[int, str, dict[str, str]]]]]) -> bytes:
    request = pb.PushRequest()
    for labels, lines in streams:
        stream = request.streams.add(labels=labels)
        for ns, line, structured in lines:
            entry = stream.entries.add(line=line)
            entry.timestamp.seconds, entry.timestamp.nanos = divmod(ns, 1_000_000_000)
            for name, value in structured.items():
                entry.structuredMetadata.add(name=name, value=value)
    return bytes(cramjam.snappy.compress_raw(request.SerializeToString()))


def test_json_push_maps_labels_structured_metadata_and_json_lines(client: FlaskClient) -> None:
    body = {
        "streams": [
            {
                "stream": {"job": "ignored-job", "app": "checkout", "level": "warn", "env": "prod"},
                "values": [
                    [str(NS), "plain text line"],
                    [str(NS + 1), "with metadata", {"trace_id": "abc", "detected_level": "err"}],
                    [str(NS + 2), '{"msg": "json line", "level": "fatal", "user_id": 7, "order": {"id": 3}}'],
                ],
            },
            {"stream": {"service_name": "billing"}, "values": [[str(NS + 3), '{"message": "m", "lvl": "3"}']]},
        ]
    }
    response = client.post(PUSH, json=body)
    assert response.status_code == 204 and response.data == b""
    plain, meta, line = recent(client, "checkout")
    assert (plain["message"], plain["level"], plain["timestamp"]) == (
        "plain text line",
        "WARNING",
        "2026-01-01T00:00:00Z",
    )
    assert plain["metadata"] == {"job": "ignored-job", "env": "prod"}
    assert meta["level"] == "ERROR" and meta["metadata"] == {"job": "ignored-job", "env": "prod", "trace_id": "abc"}
    assert meta["timestamp"] == "2026-01-01T00:00:00.000000001Z"
    assert (line["message"], line["level"], line["user_id"]) == ("json line", "CRITICAL", "7")
    assert line["metadata"] == {"job": "ignored-job", "env": "prod", "order": {"id": 3}}
    (billing,) = recent(client, "billing")
    assert (billing["message"], billing["level"], billing.get("metadata")) == ("m", "ERROR", None)


def test_gzip_json_push_and_a_stream_without_a_service_label(client: FlaskClient) -> None:
    body = orjson.dumps({"streams": [{"stream": {"host": "h1"}, "values": [[str(NS), "no service"]]}]})
    response = client.post(
        PUSH, data=gzip.compress(body), content_type="application/json", headers={"Content-Encoding": "gzip"}
    )
    assert response.status_code == 204
    (row,) = recent(client, "unknown_service")
    assert row["message"] == "no service" and row["level"] == "INFO" and row["metadata"] == {"host": "h1"}


def test_protobuf_push_built_from_lokis_push_proto_with_snappy(client: FlaskClient, pb: ModuleType) -> None:
    data = protobuf_push(
        pb,
        [
            ('{app="pb-app", severity="error", pod="p-1", quoted="a \\"b\\""}', [(NS, "first", {})]),
            ('{app="pb-app"}', [(NS + 5_000, '{"msg": "second", "level": "debug"}', {"span": "s1"})]),
        ],
    )
    response = client.post(PUSH, data=data, content_type="application/x-protobuf")
    assert response.status_code == 204, response.data
    first, second = recent(client, "pb-app")
    assert (first["message"], first["level"]) == ("first", "ERROR")
    assert first["metadata"] == {"pod": "p-1", "quoted": 'a "b"'}
    assert (second["message"], second["level"], second["metadata"]) == ("second", "DEBUG", {"span": "s1"})
    assert second["timestamp"] == "2026-01-01T00:00:00.000005Z"


def test_the_mapping_follows_its_settings(make_app: Any) -> None:
    config = {"ingest": {"loki_service_labels": ["team"], "loki_level_labels": ["sev"], "default_service": "misc"}}
    client = make_app(config).test_client()
    body = {
        "streams": [
            {"stream": {"team": "core", "app": "x", "sev": "crit", "level": "debug"}, "values": [[str(NS), "a"]]},
            {"stream": {"app": "y"}, "values": [[str(NS), "b"]]},
        ]
    }
    assert client.post(PUSH, json=body).status_code == 204
    (core,) = recent(client, "core")
    assert core["level"] == "CRITICAL" and core["metadata"] == {"app": "x", "level": "debug"}
    (misc,) = recent(client, "misc")
    assert misc["metadata"] == {"app": "y"}


def test_rejected_lines_are_a_plain_text_400_and_the_others_are_stored(client: FlaskClient) -> None:
    body = {
        "streams": [
            {
                "stream": {"app": "partial"},
                "values": [
                    [str(NS), "kept"],
                    ["soon", "bad time"],
                    [str(NS), ""],
                    [str(NS), "no metadata", None],
                    [str(NS), "kept too"],
                ],
            }
        ]
    }
    response = client.post(PUSH, json=body)
    assert response.status_code == 400 and response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert text.startswith("3 of 5 entries rejected, the others stored")
    assert "entry 1: the timestamp must be a string of nanoseconds" in text and "entry 2: message" in text
    assert [r["message"] for r in recent(client, "partial")] == ["kept", "kept too"]
    stats = client.get("/api/validation-stats").get_json()
    assert "entry 3: structured metadata must be an object of strings" in text
    assert stats["valid"] == 2 and stats["invalid"] == 3
    metrics = client.get("/metrics").get_data(as_text=True)
    assert f'loglens_entries_accepted_total{{endpoint="{PUSH}"}} 2.0' in metrics
    assert f'loglens_entries_rejected_total{{endpoint="{PUSH}",kind="json"}} 2.0' in metrics


@pytest.mark.parametrize(
    ("body", "content_type", "status", "says"),
    [
        (b"{not json", "application/json", 400, "not valid JSON"),
        (b'{"streams": {}}', "application/json", 400, '"streams" array'),
        (b'{"streams": [{"stream": {"a": 1}, "values": []}]}', "application/json", 400, "string labels"),
        (b"\xff\x00garbage", "application/x-protobuf", 400, "snappy"),
        (b"hello", "text/plain", 415, "Content-Type"),
        (b"", "application/json", 400, "empty"),
    ],
)
def test_unreadable_pushes_get_lokis_plain_text_errors(
    client: FlaskClient, body: bytes, content_type: str, status: int, says: str
) -> None:
    response = client.post(PUSH, data=body, content_type=content_type)
    assert response.status_code == status and response.mimetype == "text/plain"
    assert says in response.get_data(as_text=True)


def test_protobuf_that_is_not_a_push_request_and_bad_labels_are_400(client: FlaskClient, pb: ModuleType) -> None:
    not_push = bytes(cramjam.snappy.compress_raw(b"\x0a\xff\xff\xff\xff\x0f"))
    response = client.post(PUSH, data=not_push, content_type="application/x-protobuf")
    assert response.status_code == 400 and "not a Loki PushRequest" in response.get_data(as_text=True)
    bad_labels = protobuf_push(pb, [("app=unquoted", [(NS, "x", {})])])
    response = client.post(PUSH, data=bad_labels, content_type="application/x-protobuf")
    assert response.status_code == 400 and "stream labels" in response.get_data(as_text=True)


def test_limits_are_those_of_bulk(make_app: Any, pb: ModuleType) -> None:
    config = {"ingest": {"max_batch_entries": 3, "max_entry_bytes": 1024}, "server": {"max_body_bytes": 4096}}
    client = make_app(config).test_client()
    sizes = {"streams": [{"stream": {"app": "size"}, "values": [[str(NS), "a" * 700], [str(NS), "\u0001" * 200]]}]}
    response = client.post(PUSH, json=sizes)  # 700 bytes stored; 200 control characters are 1,200 bytes of JSON
    assert response.status_code == 400 and "entry 1: the entry is" in response.get_data(as_text=True)
    assert "over ingest.max_entry_bytes (1024)" in response.get_data(as_text=True)
    assert [len(r["message"]) for r in recent(client, "size")] == [700]
    four = {"streams": [{"stream": {"app": "lim"}, "values": [[str(NS), f"l{i}"] for i in range(4)]}]}
    response = client.post(PUSH, json=four)
    assert response.status_code == 413 and "ingest.max_batch_entries" in response.get_data(as_text=True)
    bomb = protobuf_push(pb, [('{app="lim"}', [(NS, "z" * 3000, {}), (NS, "y" * 3000, {})])])
    assert len(bomb) < 4096
    response = client.post(PUSH, data=bomb, content_type="application/x-protobuf")
    assert response.status_code == 413 and "server.max_body_bytes" in response.get_data(as_text=True)
    response = client.post(PUSH, data=b"x" * 5000, content_type="application/json")
    assert response.status_code == 413 and response.mimetype == "text/plain"
    assert recent(client, "lim") == []


def test_an_ingest_key_is_accepted_as_bearer_api_key_or_basic_password(make_app: Any) -> None:
    app: Flask = make_app({"auth": {"enabled": True}})
    keys = make_keys(app)
    client = app.test_client()
    body = {"streams": [{"stream": {"app": "keyed"}, "values": [[str(NS), "m"]]}]}
    basic = base64.b64encode(f"tenant-1:{keys['ingest']}".encode()).decode()
    user_only = base64.b64encode(f"{keys['ingest']}:".encode()).decode()
    for headers in (
        {"Authorization": f"Bearer {keys['ingest']}"},
        {"X-API-Key": keys["ingest"]},
        {"Authorization": f"Basic {basic}"},
        {"Authorization": f"Basic {user_only}"},
    ):
        assert client.post(PUSH, json=body, headers=headers).status_code == 204, headers
    wrong = base64.b64encode(b"tenant-1:llk_nope").decode()
    for headers in ({}, {"Authorization": f"Basic {wrong}"}, {"Authorization": "Basic %%%"}):
        assert client.post(PUSH, json=body, headers=headers).status_code == 401, headers
    read = base64.b64encode(f"x:{keys['read']}".encode()).decode()
    assert client.post(PUSH, json=body, headers={"Authorization": f"Basic {read}"}).status_code == 403
    stats = client.get("/api/validation-stats", headers={"X-API-Key": keys["read"]}).get_json()
    assert stats["valid"] == 4


@pytest.mark.sqlite_only  # fills a SQLite file; ClickHouse's faults: tests/api/test_clickhouse_errors.py
def test_push_answers_503_with_retry_after_when_the_store_is_full(client: FlaskClient, app: Flask) -> None:
    cap_store_size(app)
    body = {"streams": [{"stream": {"app": "full"}, "values": [[str(NS), "w" * 500]] * 50}]}
    stored = 0
    for _ in range(2000):
        response = client.post(PUSH, json=body)
        if response.status_code != 204:
            break
        stored += 50
    assert response.status_code == 503 and response.headers["Retry-After"] == "10"
    assert response.mimetype == "text/plain" and "full" in response.get_data(as_text=True)
    assert client.get("/health").get_json()["total_logs"] == stored


def test_the_compiled_proto_is_the_published_one(pb: ModuleType, tmp_path: Path) -> None:
    """The field numbers the server's own declarations use are the ones protoc compiled from push.proto."""
    from loglens.ingest.loki_protobuf import push_request_class

    ours = push_request_class().DESCRIPTOR
    theirs = pb.PushRequest.DESCRIPTOR

    def fields(descriptor: Any, seen: set[str]) -> list[tuple[str, str, int, int]]:
        out = []
        for f in descriptor.fields:
            out.append((descriptor.name, f.name, f.number, f.type))
            if f.message_type is not None and f.message_type.full_name not in seen:
                seen.add(f.message_type.full_name)
                out += fields(f.message_type, seen)
        return out

    assert fields(ours, set()) == fields(theirs, set())
