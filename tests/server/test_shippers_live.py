"""Real shipper clients against a real `loglens serve` with auth on: the official Elasticsearch client
(`helpers.bulk`), python-logging-loki's handler, a Loki protobuf push built from push.proto, and rsyslog's
omelasticsearch running the snippet of docs/shippers.md. Each sends entries that must arrive with their service,
level, message and metadata, and one that LogLens refuses, which the client must report its own way."""

from __future__ import annotations

import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cramjam
import logging_loki
import pytest
import requests
from elasticsearch import Elasticsearch, helpers

from tests.conftest import require
from tests.support.keys_cli import create_key
from tests.support.live import LiveServer, free_port
from tests.support.loki_proto import compile_push_proto
from tests.support.wait import wait_until

pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parents[2]
MAX_CHARS = 200  # ingest.max_string_chars here: a longer message is the entry LogLens refuses
TOO_LONG = "refused-" + "z" * MAX_CHARS


@pytest.fixture(scope="module", params=["sqlite", "clickhouse"])
def guarded(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    """A server with auth on, on each store backend (every real client below runs against both)."""
    config: dict[str, dict[str, Any]] = {"auth": {"enabled": True}, "ingest": {"max_string_chars": MAX_CHARS}}
    if request.param == "clickhouse":
        server = request.getfixturevalue("clickhouse_server")
        config["storage"] = {"backend": "clickhouse", "clickhouse": {"port": server.tcp_port, "database": "shippers"}}
    with LiveServer(tmp_path_factory.mktemp(f"shippers-{request.param}"), config) as live:
        yield live


@pytest.fixture(scope="module")
def keys(guarded: LiveServer) -> dict[str, str]:
    return {role: create_key(guarded, role) for role in ("ingest", "read")}


def arrived(server: LiveServer, read_key: str, service: str, count: int, timeout: float = 15.0) -> list[dict[str, Any]]:
    """The service's entries, oldest first, once there are `count` of them; fails after `timeout` seconds."""

    def found() -> list[dict[str, Any]]:
        response = requests.get(
            f"{server.url}/api/advanced-dashboard-data",
            params={"service": service},
            headers={"X-API-Key": read_key},
            timeout=5,
        )
        rows = list(reversed(response.json()["recent_logs"]))
        return rows if len(rows) >= count else []

    return wait_until(found, timeout, f"{count} entries of {service} arrived")


def now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def test_elasticsearch_client_helpers_bulk(guarded: LiveServer, keys: dict[str, str]) -> None:
    es = Elasticsearch(f"{guarded.url}/elasticsearch", basic_auth=("elastic", keys["ingest"]), request_timeout=10)
    assert es.info()["version"]["number"].startswith("8.")  # the client's product check passed, too
    actions = [
        {"_index": "es-py", "_source": {"@timestamp": now(), "message": "started", "log": {"level": "info"}}},
        {
            "_op_type": "create",
            "_index": "es-py",
            "_source": {"@timestamp": now(), "message": "slow", "level": "warn", "trace": {"id": "t1"}},
        },
        {"_index": "es-py", "_id": "bad-1", "_source": {"@timestamp": now(), "message": TOO_LONG}},
        {"_index": "other", "_source": {"@timestamp": now(), "msg": "boom", "severity": "3", "service": "es-py"}},
    ]
    with pytest.raises(helpers.BulkIndexError) as refused:
        helpers.bulk(es, actions)
    (failed,) = refused.value.errors
    item = failed["index"]
    assert item["_id"] == "bad-1" and item["status"] == 400
    assert item["error"]["type"] == "document_parsing_exception" and "message" in item["error"]["reason"]
    stored = arrived(guarded, keys["read"], "es-py", 3)
    assert [(e["message"], e["level"]) for e in stored] == [("started", "INFO"), ("slow", "WARNING"), ("boom", "ERROR")]
    assert stored[1]["metadata"] == {"trace": {"id": "t1"}}
    ok, errors = helpers.bulk(es, actions[:1], raise_on_error=False)
    assert (ok, errors) == (1, [])


def test_python_logging_loki_handler(guarded: LiveServer, keys: dict[str, str]) -> None:
    handler = logging_loki.LokiHandler(
        url=f"{guarded.url}/loki/api/v1/push",
        tags={"application": "py-loki", "env": "test"},
        auth=("loki", keys["ingest"]),
        version="1",
    )
    failures: list[BaseException | None] = []
    handler.handleError = lambda record: failures.append(sys.exc_info()[1])  # type: ignore[method-assign]
    logger = logging.getLogger(f"shippers.loki.{uuid.uuid4().hex}")
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        logger.warning("disk almost full", extra={"tags": {"mount": "/var"}})
        logger.error("write failed")
        logger.debug("details")
        assert failures == []
        logger.info(TOO_LONG)
    finally:
        handler.close()
    (failure,) = failures  # the handler's way to report a refused record: handleError with the emitter's error
    assert isinstance(failure, ValueError) and "400" in str(failure)
    stored = arrived(guarded, keys["read"], "py-loki", 3)
    levels = [(e["message"], e["level"]) for e in stored]
    assert levels == [("disk almost full", "WARNING"), ("write failed", "ERROR"), ("details", "DEBUG")]
    assert stored[0]["metadata"] == {"env": "test", "logger": logger.name, "mount": "/var"}


def test_loki_protobuf_push_from_push_proto(guarded: LiveServer, keys: dict[str, str], tmp_path: Path) -> None:
    pb = compile_push_proto(tmp_path)
    push = pb.PushRequest()
    stream = push.streams.add(labels='{service_name="pb-live", level="error", region="eu"}')
    ns = time.time_ns()
    for i, line in enumerate(["first", '{"msg": "second", "level": "info", "user_id": "u9"}', TOO_LONG]):
        entry = stream.entries.add(line=line)
        entry.timestamp.seconds, entry.timestamp.nanos = divmod(ns + i, 1_000_000_000)
        entry.structuredMetadata.add(name="pod", value=f"p{i}")
    body = bytes(cramjam.snappy.compress_raw(push.SerializeToString()))
    response = requests.post(
        f"{guarded.url}/loki/api/v1/push",
        data=body,
        headers={"Content-Type": "application/x-protobuf"},
        auth=("promtail", keys["ingest"]),
        timeout=10,
    )
    assert response.status_code == 400 and response.headers["Content-Type"].startswith("text/plain")
    assert response.text.startswith("1 of 3 entries rejected, the others stored") and "entry 2:" in response.text
    first, second = arrived(guarded, keys["read"], "pb-live", 2)
    assert (first["message"], first["level"], first["metadata"]) == ("first", "ERROR", {"region": "eu", "pod": "p0"})
    assert (second["message"], second["level"], second["user_id"]) == ("second", "INFO", "u9")


def rsyslog_snippet() -> str:
    """The omelasticsearch configuration docs/shippers.md gives users."""
    doc = (ROOT / "docs" / "shippers.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- rsyslog-omelasticsearch -->\n```rsyslog\n(.*?)```", doc, re.DOTALL)
    assert found is not None, "docs/shippers.md lost its rsyslog omelasticsearch snippet"
    return found.group(1)


def test_rsyslog_omelasticsearch_with_the_documented_snippet(
    guarded: LiveServer, keys: dict[str, str], tmp_path: Path
) -> None:
    rsyslogd = shutil.which("rsyslogd") or ("/usr/sbin/rsyslogd" if os.path.exists("/usr/sbin/rsyslogd") else None)
    require(rsyslogd is not None, "rsyslogd is not installed (make system-deps)")
    assert rsyslogd is not None
    errors = tmp_path / "errors.json"
    snippet = (
        rsyslog_snippet()
        .replace("http://loglens.example:5000", guarded.url)
        .replace("YOUR_INGEST_KEY", keys["ingest"])
        .replace("/var/log/rsyslog-loglens-errors.json", str(errors))
    )
    port = free_port()
    (tmp_path / "work").mkdir()
    config = tmp_path / "rsyslog.conf"
    config.write_text(
        f'global(workDirectory="{tmp_path / "work"}")\n'
        'module(load="imtcp")\n'
        f'input(type="imtcp" address="127.0.0.1" port="{port}")\n' + snippet,
        encoding="utf-8",
    )
    checked = subprocess.run([rsyslogd, "-N1", "-f", str(config)], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr + checked.stdout
    log = (tmp_path / "rsyslogd.log").open("wb")
    proc = subprocess.Popen(
        [rsyslogd, "-n", "-f", str(config), "-i", str(tmp_path / "rsyslogd.pid")],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    try:

        def listening() -> socket.socket | None:
            assert proc.poll() is None, (tmp_path / "rsyslogd.log").read_text()
            try:
                return socket.create_connection(("127.0.0.1", port), timeout=1)
            except OSError:
                return None

        conn = wait_until(listening, 15, "rsyslogd listened on its imtcp port")
        stamp = now()
        lines = [
            f"<11>1 {stamp} web-1 rs-app 42 - - payment failed",  # user.err
            f"<12>1 {stamp} web-1 rs-app 42 - - queue is long",  # user.warning
            f"<14>1 {stamp} web-1 rs-app 42 - - {TOO_LONG}",
            f"<14>1 {stamp} web-1 rs-app 42 - - all good",  # user.info
        ]
        with conn:
            conn.sendall("".join(line + "\n" for line in lines).encode())
        stored = arrived(guarded, keys["read"], "rs-app", 3, timeout=30)
        levels = [(e["message"].strip(), e["level"]) for e in stored]
        assert levels == [("payment failed", "ERROR"), ("queue is long", "WARNING"), ("all good", "INFO")]
        assert stored[0]["metadata"] == {"facility": "user", "host": "web-1"}
        wait_until(  # rsyslog's way to report refused entries: its error file
            lambda: errors.exists() and "document_parsing_exception" in errors.read_text(),
            30,
            "rsyslog wrote LogLens's refusal into its error file",
        )
        assert "refused-zzz" in errors.read_text()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
