"""Request bodies for the benchmark: the same simulated entries as single JSON, NDJSON, gzip, OTLP protobuf, Loki push
(JSON, and protobuf with snappy) and Elasticsearch bulk."""

from __future__ import annotations

import gzip
import random
import time
from collections import defaultdict
from typing import Any

import cramjam
import orjson
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.resource.v1.resource_pb2 import Resource

from loglens.ingest.loki_protobuf import push_request_class
from loglens.model import parse_timestamp_ms
from loglens.simulator import Simulator

BATCH = 1000
SEVERITY = {"DEBUG": 5, "INFO": 9, "WARNING": 13, "ERROR": 17, "CRITICAL": 21}


def entries(count: int, seed: int) -> list[dict[str, Any]]:
    """Simulated entries with event times in the last five minutes (as live traffic has)."""
    return Simulator(random.Random(seed)).batch(count, time.time(), 300.0)


def ndjson(batch: list[dict[str, Any]]) -> bytes:
    return b"\n".join(orjson.dumps(entry) for entry in batch) + b"\n"


def _value(value: Any) -> AnyValue:
    if isinstance(value, float):
        return AnyValue(double_value=value)
    return AnyValue(string_value=str(value))


def otlp(batch: list[dict[str, Any]]) -> bytes:
    """The entries as one ExportLogsServiceRequest: one ResourceLogs per service, as an SDK would group them."""
    by_service: dict[str, list[LogRecord]] = defaultdict(list)
    for entry in batch:
        attributes = [KeyValue(key=k, value=_value(v)) for k, v in entry.get("metadata", {}).items()]
        if "user_id" in entry:
            attributes.append(KeyValue(key="user.id", value=_value(entry["user_id"])))
        by_service[entry["service"]].append(
            LogRecord(
                time_unix_nano=parse_timestamp_ms(entry["timestamp"]) * 1_000_000,
                severity_number=SEVERITY[entry["level"]],  # type: ignore[arg-type]
                severity_text=entry["level"],
                body=AnyValue(string_value=entry["message"]),
                attributes=attributes,
            )
        )
    request = ExportLogsServiceRequest(
        resource_logs=[
            ResourceLogs(
                resource=Resource(attributes=[KeyValue(key="service.name", value=_value(service))]),
                scope_logs=[ScopeLogs(log_records=records)],
            )
            for service, records in by_service.items()
        ]
    )
    return request.SerializeToString()


def _loki_streams(batch: list[dict[str, Any]]) -> dict[tuple[str, str], list[tuple[int, str]]]:
    """(service, level) -> [(ns, line)]: labels name the service and level, as Promtail's pipelines set them; each
    line is a JSON object carrying the message, user_id and metadata."""
    streams: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
    for entry in batch:
        line = {"message": entry["message"], **entry.get("metadata", {})}
        if "user_id" in entry:
            line["user_id"] = entry["user_id"]
        ns = parse_timestamp_ms(entry["timestamp"]) * 1_000_000
        streams[(entry["service"], entry["level"])].append((ns, orjson.dumps(line).decode()))
    return streams


def loki_json(batch: list[dict[str, Any]]) -> bytes:
    streams = [
        {"stream": {"service_name": service, "level": level}, "values": [[str(ns), line] for ns, line in lines]}
        for (service, level), lines in _loki_streams(batch).items()
    ]
    return orjson.dumps({"streams": streams})


def loki_protobuf(batch: list[dict[str, Any]]) -> bytes:
    """A snappy-compressed logproto.PushRequest, as Promtail sends it."""
    request: Any = push_request_class()()
    for (service, level), lines in _loki_streams(batch).items():
        stream = request.streams.add(labels=f'{{service_name="{service}", level="{level}"}}')
        for ns, line in lines:
            entry = stream.entries.add(line=line)
            entry.timestamp.seconds, entry.timestamp.nanos = divmod(ns, 1_000_000_000)
    return bytes(cramjam.snappy.compress_raw(request.SerializeToString()))


def elastic_bulk(batch: list[dict[str, Any]]) -> bytes:
    """Elasticsearch _bulk NDJSON: a create action naming the service as index, then the document (ECS-ish)."""
    lines = []
    for entry in batch:
        doc = {"@timestamp": entry["timestamp"], "message": entry["message"], "log.level": entry["level"]}
        doc.update(entry.get("metadata", {}))
        if "user_id" in entry:
            doc["user_id"] = entry["user_id"]
        lines.append(orjson.dumps({"create": {"_index": entry["service"]}}))
        lines.append(orjson.dumps(doc))
    return b"\n".join(lines) + b"\n"


def bodies(scenario: str, seed: int, count: int = 8) -> tuple[str, str, list[bytes], int, bool]:
    """(path, content type, request bodies, entries per request, gzip) for one scenario."""
    if scenario == "single":
        return "/api/logs", "application/json", [orjson.dumps(e) for e in entries(1000, seed)], 1, False
    batches = [entries(BATCH, seed * 100 + i) for i in range(count)]
    if scenario == "otlp":
        return "/v1/logs", "application/x-protobuf", [otlp(b) for b in batches], BATCH, False
    if scenario == "loki-json":
        return "/loki/api/v1/push", "application/json", [loki_json(b) for b in batches], BATCH, False
    if scenario == "loki-protobuf":
        return "/loki/api/v1/push", "application/x-protobuf", [loki_protobuf(b) for b in batches], BATCH, False
    if scenario == "es-bulk":
        return "/elasticsearch/_bulk", "application/x-ndjson", [elastic_bulk(b) for b in batches], BATCH, False
    raw = [ndjson(b) for b in batches]
    if scenario == "bulk-gzip":
        return "/api/logs/bulk", "application/x-ndjson", [gzip.compress(r, 6) for r in raw], BATCH, True
    return "/api/logs/bulk", "application/x-ndjson", raw, BATCH, False
