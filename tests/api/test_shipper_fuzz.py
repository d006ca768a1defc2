"""The shippers' decoders fed arbitrary input by Hypothesis: Loki push (JSON, protobuf with snappy) and Elasticsearch
bulk answer a 2xx or a 4xx in their own shapes, never a 5xx or a hang."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import cramjam
import orjson
import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FUZZ = settings(
    max_examples=60,
    deadline=5000,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
LABEL = st.text("abcdefgjlnopstvy_", min_size=1, max_size=12)
MAX_BODY = 64 * 1024


def send(client: FlaskClient, path: str, content_type: str, data: bytes) -> Any:
    return client.post(path, data=data, content_type=content_type)


@pytest.fixture
def fuzz_app(make_app: Any) -> Iterator[Flask]:
    yield make_app({"server": {"max_body_bytes": MAX_BODY}, "ingest": {"max_batch_entries": 200}})


def loki_answer(response: Any) -> None:
    assert response.status_code in (204, 400, 413), (response.status_code, response.data[:300])
    if response.status_code != 204:
        assert response.mimetype == "text/plain" and response.data.strip()


def es_answer(response: Any) -> None:
    assert response.status_code in (200, 400, 413), (response.status_code, response.data[:300])
    body = orjson.loads(response.data)
    assert response.headers["X-Elastic-Product"] == "Elasticsearch"
    if response.status_code == 200:
        assert {"took", "errors", "items"} <= body.keys()
    else:
        assert body["status"] == response.status_code and body["error"]["reason"]


@FUZZ
@given(data=st.binary(max_size=2048))
def test_raw_bytes(fuzz_app: Flask, data: bytes) -> None:
    client = fuzz_app.test_client()
    loki_answer(send(client, "/loki/api/v1/push", "application/json", data))
    loki_answer(send(client, "/loki/api/v1/push", "application/x-protobuf", data))
    loki_answer(send(client, "/loki/api/v1/push", "application/x-protobuf", bytes(cramjam.snappy.compress_raw(data))))
    es_answer(send(client, "/elasticsearch/_bulk", "application/x-ndjson", data))


@FUZZ
@given(
    streams=st.lists(
        st.fixed_dictionaries(
            {"stream": st.dictionaries(LABEL, st.text(max_size=10), max_size=4), "values": st.lists(JSON, max_size=5)}
        ),
        max_size=3,
    ),
    lines=st.lists(st.tuples(st.integers(0, 2**62), st.text(max_size=40) | JSON.map(orjson.dumps).map(bytes.decode))),
)
def test_loki_pushes_with_any_values(fuzz_app: Flask, streams: list[dict[str, Any]], lines: list[Any]) -> None:
    client = fuzz_app.test_client()
    streams.append({"stream": {"app": "fuzz"}, "values": [[str(ns), line] for ns, line in lines]})
    loki_answer(send(client, "/loki/api/v1/push", "application/json", orjson.dumps({"streams": streams})))


@FUZZ
@given(
    pairs=st.lists(
        st.tuples(
            st.sampled_from(["index", "create", "delete", "update"]),
            st.dictionaries(st.sampled_from(["_index", "_id", "_type"]), JSON, max_size=3),
            JSON,
        ),
        max_size=8,
    )
)
def test_bulk_bodies_with_any_documents(fuzz_app: Flask, pairs: list[tuple[str, dict[str, Any], Any]]) -> None:
    lines = []
    for op, meta, doc in pairs:
        lines.append(orjson.dumps({op: meta}))
        if op != "delete":
            lines.append(orjson.dumps(doc) or b"null")
    es_answer(send(fuzz_app.test_client(), "/elasticsearch/_bulk", "application/x-ndjson", b"\n".join(lines) + b"\n"))
