"""Both production HTTP servers (server.http_server): they serve every ingest endpoint, and SIGTERM drains
in-flight requests, commits what they acknowledged, closes the app and exits 0."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import orjson
import pytest
import requests
from bench.procstat import children
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest, ExportLogsServiceResponse
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.resource.v1.resource_pb2 import Resource

from loglens.store.sqlite import SQLiteStore
from tests.support.live import LiveServer

pytestmark = pytest.mark.server
SERVERS = ["granian", "gunicorn"]


def ndjson(count: int, service: str) -> bytes:
    entry = {"timestamp": "2026-01-01T00:00:00Z", "level": "INFO", "service": service, "message": "drain me"}
    return b"\n".join(orjson.dumps(entry) for _ in range(count))


def stored(data_dir: Path) -> int:
    store = SQLiteStore(str(data_dir / "loglens.db"))
    try:
        return store.totals().stored
    finally:
        store.close()


@pytest.mark.parametrize("http_server", SERVERS)
def test_serves_health_bulk_and_otlp(tmp_path: Path, http_server: str) -> None:
    with LiveServer(tmp_path / "srv", {"server": {"http_server": http_server}}) as server:
        bulk = requests.post(
            server.url + "/api/logs/bulk",
            data=ndjson(3, "both") + b"\nnot json",
            headers={"Content-Type": "application/x-ndjson"},
            timeout=5,
        )
        assert bulk.status_code == 200 and bulk.json()["accepted"] == 3 and bulk.json()["rejected"] == 1

        record = LogRecord(severity_number=17, body=AnyValue(string_value="from otlp"))  # type: ignore[arg-type]
        resource = Resource(attributes=[KeyValue(key="service.name", value=AnyValue(string_value="both"))])
        export = ExportLogsServiceRequest(
            resource_logs=[ResourceLogs(resource=resource, scope_logs=[ScopeLogs(log_records=[record])])]
        )
        otlp = requests.post(
            server.url + "/v1/logs",
            data=export.SerializeToString(),
            headers={"Content-Type": "application/x-protobuf"},
            timeout=5,
        )
        assert otlp.status_code == 200 and otlp.headers["Content-Type"] == "application/x-protobuf"
        assert not ExportLogsServiceResponse.FromString(otlp.content).HasField("partial_success")
        assert requests.get(server.url + "/health", timeout=5).json()["total_logs"] == 4
        assert server.stop() == 0


@pytest.mark.parametrize("http_server", SERVERS)
def test_sigterm_drains_in_flight_requests_and_loses_nothing(tmp_path: Path, http_server: str) -> None:
    server = LiveServer(tmp_path / "srv", {"server": {"http_server": http_server}}).start()
    body = ndjson(500, "drain")
    acked = 0
    failures: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    sent_some = threading.Semaphore(0)

    def load() -> None:
        nonlocal acked
        session = requests.Session()
        while not stop.is_set():
            try:
                response = session.post(
                    server.url + "/api/logs/bulk",
                    data=body,
                    headers={"Content-Type": "application/x-ndjson"},
                    timeout=30,
                )
            except requests.ConnectionError:
                return  # the server has stopped listening
            with lock:
                if response.status_code == 200:
                    acked += response.json()["accepted"]
                else:
                    failures.append(f"{response.status_code}: {response.text[:200]}")
            sent_some.release()

    threads = [threading.Thread(target=load) for _ in range(4)]
    try:
        for thread in threads:
            thread.start()
        for _ in range(8):  # a few requests done, more in flight
            assert sent_some.acquire(timeout=20)
        code = server.stop()
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
        server.kill()

    assert code == 0, server.output()[-2000:]
    assert failures == []
    assert acked >= 8 * 500
    assert stored(server.data_dir) == acked, "every acknowledged entry is stored, and only those"
    assert "stopped: pending writes committed" in server.output()  # the app's close() ran in the worker


def test_granian_replaces_a_crashed_worker(tmp_path: Path) -> None:
    with LiveServer(tmp_path / "srv", {"server": {"http_server": "granian"}}) as server:
        assert server.proc is not None
        [worker] = children(server.proc.pid)
        os.kill(worker, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            replacements = [pid for pid in children(server.proc.pid) if pid != worker]
            if replacements:
                try:
                    if requests.get(server.url + "/health", timeout=2).status_code == 200:
                        break
                except requests.ConnectionError:
                    pass
            time.sleep(0.1)
        else:
            pytest.fail(f"no replacement worker answered:\n{server.output()[-2000:]}")
        assert server.proc.poll() is None
        assert server.stop() == 0
