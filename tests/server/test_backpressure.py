"""Backpressure: with the writer held busy, bulk and OTLP ingest answer 503 + Retry-After, fast and in bounded memory.

The writer is held the way a slow disk or a long transaction would hold it: another connection keeps SQLite's
write lock (BEGIN IMMEDIATE), so the writer thread waits inside its own BEGIN with the first batch pending.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests
from bench.procstat import worker_rss_kb
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs

from loglens.store.sqlite import SQLiteStore
from tests.support.live import LiveServer
from tests.support.write_lock import write_lock

NDJSON = {"Content-Type": "application/x-ndjson"}


def ndjson(count: int, service: str = "bp") -> bytes:
    line = {"timestamp": "2026-01-01T00:00:00Z", "level": "INFO", "service": service, "message": "x" * 40}
    return b"\n".join(orjson.dumps(line) for _ in range(count))


def otlp_json(count: int) -> bytes:
    records = [{"body": {"stringValue": f"r{i}"}} for i in range(count)]
    return orjson.dumps({"resourceLogs": [{"scopeLogs": [{"logRecords": records}]}]})


def otlp_protobuf(count: int) -> bytes:
    records = [LogRecord(body=AnyValue(string_value=f"r{i}")) for i in range(count)]
    request = ExportLogsServiceRequest(resource_logs=[ResourceLogs(scope_logs=[ScopeLogs(log_records=records)])])
    return request.SerializeToString()


REQUESTS = [
    ("/api/logs/bulk", "application/x-ndjson", ndjson(5)),
    ("/v1/logs", "application/json", otlp_json(5)),
    ("/v1/logs", "application/x-protobuf", otlp_protobuf(5)),
]


def test_busy_writer_turns_bulk_and_otlp_requests_into_503_with_retry_after(make_app: Any, tmp_path: Path) -> None:
    app = make_app({"storage": {"max_pending_entries": 5}})
    start = threading.Barrier(21)

    def post(i: int) -> tuple[str, int, dict[str, str], bytes]:
        path, content_type, body = REQUESTS[i % 3]
        client = app.test_client()
        start.wait()
        response = client.post(path, data=body, content_type=content_type)
        return content_type, response.status_code, dict(response.headers), response.data

    with ThreadPoolExecutor(21) as pool:
        with write_lock(tmp_path / "loglens.db"):
            futures = [pool.submit(post, i) for i in range(21)]
            deadline = time.monotonic() + 8
            while sum(f.done() for f in futures) < 20 and time.monotonic() < deadline:
                time.sleep(0.01)
            # one batch is inside the held writer; every other request was refused without waiting for it
            assert sum(f.done() for f in futures) == 20
        results = [f.result(timeout=15) for f in futures]

    assert sorted(status for _, status, _, _ in results) == [200] + [503] * 20
    for content_type, status, headers, body in results:
        if status == 200:
            continue
        assert headers["Retry-After"] == "1"
        if content_type == "application/x-protobuf":
            message = Status.FromString(body).message  # OTLP failures carry a google.rpc.Status
        elif content_type == "application/json":
            message = orjson.loads(body)["message"]
        else:
            message = orjson.loads(body)["error"]
        assert "retry" in message
    stats = app.test_client().get("/api/validation-stats").get_json()
    assert stats["total"] == 5  # refused requests left no trace, stats included


@pytest.mark.server
def test_live_server_sheds_load_with_503_and_stays_within_bounded_memory(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "srv", {"storage": {"max_pending_entries": 1000}, "server": {"threads": 4}})
    with server:
        assert server.proc is not None
        body = ndjson(1000)
        session = requests.Session()
        assert session.post(server.url + "/api/logs/bulk", data=body, headers=NDJSON).status_code == 200
        baseline_kb = worker_rss_kb(server.proc.pid)

        outcomes: list[tuple[int, str | None, float]] = []
        lock = threading.Lock()
        stop = time.monotonic() + 2.0

        def hammer() -> None:
            mine = requests.Session()
            while time.monotonic() < stop:
                sent = time.monotonic()
                response = mine.post(server.url + "/api/logs/bulk", data=body, headers=NDJSON, timeout=15)
                with lock:
                    outcomes.append(
                        (response.status_code, response.headers.get("Retry-After"), time.monotonic() - sent)
                    )

        with write_lock(server.data_dir / "loglens.db"):
            threads = [threading.Thread(target=hammer) for _ in range(6)]
            for thread in threads:
                thread.start()
            peak_kb = baseline_kb
            while time.monotonic() < stop:  # sample the workers' memory while the load runs
                peak_kb = max(peak_kb, worker_rss_kb(server.proc.pid))
                time.sleep(0.1)
            protobuf = session.post(
                server.url + "/v1/logs", data=b"", headers={"Content-Type": "application/x-protobuf"}, timeout=5
            )
        for thread in threads:
            thread.join(15)
        refused = [o for o in outcomes if o[0] == 503]

        assert protobuf.status_code == 200  # an empty export needs no writer
        assert len(refused) >= 20, outcomes[:5]
        assert all(retry == "1" for _, retry, _ in refused)
        assert max(seconds for _, _, seconds in refused) < 2.0  # shed immediately, not queued behind the writer
        assert peak_kb - baseline_kb < 64 * 1024, (baseline_kb, peak_kb)
        accepted = sum(1000 for status, _, _ in outcomes if status == 200)
        assert {status for status, _, _ in outcomes} <= {200, 503}
        assert server.stop() == 0

    store = SQLiteStore(str(server.data_dir / "loglens.db"))
    try:
        assert store.totals().stored == 1000 + accepted
    finally:
        store.close()
