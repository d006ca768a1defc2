"""The shippers' decoders as pure functions: level spellings, Loki labels and lines, Elasticsearch documents,
snappy's size guard, and the mapping settings."""

from __future__ import annotations

import cramjam
import pytest

from loglens.config import ConfigError, load
from loglens.ingest import DecodeError
from loglens.ingest.elastic import ElasticMapping, decode_bulk, map_document
from loglens.ingest.levels import normalize_level
from loglens.ingest.loki import LokiMapping, entry, parse_labels, stream
from loglens.ingest.loki_protobuf import TooLarge, unsnappy
from loglens.validation import Undecodable

NS = 1_767_225_600_000_000_000


@pytest.mark.parametrize(
    ("value", "level"),
    [
        ("err", "ERROR"),
        ("Warn", "WARNING"),
        (" FATAL ", "CRITICAL"),
        ("crit", "CRITICAL"),
        ("notice", "INFO"),
        ("trace", "DEBUG"),
        (0, "CRITICAL"),
        (2, "CRITICAL"),
        ("3", "ERROR"),
        (4, "WARNING"),
        ("5", "INFO"),
        (6, "INFO"),
        (7, "DEBUG"),
        (8, None),
        ("loud", None),
        (True, None),
        (None, None),
        ("", None),
    ],
)
def test_level_spellings_and_syslog_severities(value: object, level: str | None) -> None:
    assert normalize_level(value) == level


def test_labels_parse_with_escapes_and_refuse_what_is_not_a_label_set() -> None:
    assert parse_labels('{a="1", b="x,y", c="q\\"uote", d="back\\\\slash", e="new\\nline"}') == {
        "a": "1",
        "b": "x,y",
        "c": 'q"uote',
        "d": "back\\slash",
        "e": "new\nline",
    }
    assert parse_labels("{}") == {} and parse_labels(' { a = "1" , } ') == {"a": "1"}
    for bad in ("a=1", "{a=1}", '{a="1" b="2"}', '{"a"="1"}', '{a="1"'):
        with pytest.raises(DecodeError):
            parse_labels(bad)


def test_a_line_that_is_json_but_not_an_object_is_the_message() -> None:
    mapping = LokiMapping()
    ctx = stream(mapping, {"app": "a"})
    for line in ("[1, 2]", "{not json", '{"message": 5}'):
        out = entry(mapping, ctx, NS, line)
        assert out["message"] == line, line
    assert entry(mapping, ctx, NS, '{"message": 5}')["metadata"] == {"message": 5}
    assert entry(mapping, ctx, NS, '{"msg": "m", "level": "loud"}')["metadata"] == {"level": "loud"}


def test_a_label_that_names_no_level_stays_in_metadata() -> None:
    mapping = LokiMapping()
    out = entry(mapping, stream(mapping, {"app": "a", "level": "loud", "severity": "warn"}), NS, "x")
    assert out["level"] == "WARNING" and out["metadata"] == {"level": "loud"}


def test_documents_map_dotted_and_nested_names_and_leave_the_rest() -> None:
    mapping = ElasticMapping()
    doc = {
        "@timestamp": "2026-01-01T00:00:00Z",
        "message": "m",
        "log": {"level": "error", "origin": {"file": "a.py"}},
        "service": {"name": "svc", "version": "1"},
        "user.id": 42,
    }
    assert map_document(doc, "idx", mapping, 0) == {
        "timestamp": "2026-01-01T00:00:00Z",
        "level": "ERROR",
        "service": "svc",
        "message": "m",
        "user_id": "42",
        "metadata": {"log": {"origin": {"file": "a.py"}}, "service": {"version": "1"}},
    }
    odd = map_document({"service": "", "level": "loud", "message": ["a"]}, "", mapping, NS)
    assert odd == {
        "timestamp": "2026-01-01T00:00:00Z",
        "level": "INFO",
        "service": "unknown_service",
        "message": '["a"]',
        "metadata": {"service": "", "level": "loud"},
    }


def test_fluent_bits_log_field_is_the_message_when_there_is_no_other() -> None:
    mapping = ElasticMapping()
    assert map_document({"log": "line", "stream": "stdout"}, "fb", mapping, NS)["message"] == "line"
    ecs = map_document({"message": "m", "log": {"logger": "x"}}, "fb", mapping, NS)
    assert ecs["message"] == "m" and ecs["metadata"] == {"log": {"logger": "x"}}


def test_a_bulk_body_keeps_each_document_with_its_line_and_refuses_oversized_ones_unread() -> None:
    body = b'{"index":{}}\n{"message":"a"}\n\n{"create":{"_index":"i2","_id":7}}\n{"message":"' + b"x" * 100 + b'"}\n'
    batch = decode_bulk(body, index="p", mapping=ElasticMapping(), max_entries=10, max_entry_bytes=64, received_ns=NS)
    assert batch.positions == [2, 5]
    assert [(a.op, a.target, a.item) for a in batch.actions] == [("index", "p", 0), ("create", "i2", 1)]
    assert batch.actions[1].doc_id == "7" and batch.actions[0].doc_id == ""  # the answer makes one up
    assert isinstance(batch.items[1], Undecodable) and batch.items[1].kind == "max_entry_bytes"


def test_snappy_refuses_a_body_that_would_grow_past_the_limit_before_inflating_it() -> None:
    packed = bytes(cramjam.snappy.compress_raw(b"a" * 10_000))
    assert unsnappy(packed, 10_000) == b"a" * 10_000
    with pytest.raises(TooLarge, match="10000 bytes"):
        unsnappy(packed, 9_999)
    for bad in (b"", b"\xff" * 11, b"\x05abc"):
        with pytest.raises(DecodeError):
            unsnappy(bad, 1000)


def test_mapping_settings_are_lists_of_names() -> None:
    cfg = load(env={"LOGLENS_INGEST_LOKI_SERVICE_LABELS": "[team, app]", "LOGLENS_INGEST_DEFAULT_SERVICE": "misc"})
    assert LokiMapping.from_settings(cfg.ingest) == LokiMapping(("team", "app"), LokiMapping().level_keys, "misc")
    assert ElasticMapping.from_settings(cfg.ingest).default_service == "misc"
    with pytest.raises(ConfigError, match=r"ingest.loki_level_labels\[1\]"):
        load(env={}, overrides={"ingest": {"loki_level_labels": ["level", ""]}})
    with pytest.raises(ConfigError, match="ingest.default_service"):
        load(env={}, overrides={"ingest": {"default_service": " "}})
