"""Several `loglens serve` nodes on one ClickHouse: shared data, one elected node for alerts, failover."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from loglens.store.clickhouse import DriverConnection, Endpoint
from tests.support.clickhouse import ClickHouseServer
from tests.support.live import LiveServer, free_port
from tests.support.webhook import WebhookReceiver

pytestmark = pytest.mark.server
NOW = "2026-01-01T00:00:00Z"


def node_config(server: ClickHouseServer, database: str, **alerting: Any) -> dict[str, Any]:
    return {
        "storage": {
            "backend": "clickhouse",
            "clickhouse": {"port": server.tcp_port, "database": database, "lease_seconds": 2},
        },
        "alerting": {"check_interval_seconds": 1, **alerting},
    }


def post(url: str, body: Any, path: str = "/api/logs") -> tuple[int, dict[str, Any]]:
    data = json.dumps(body).encode() if not isinstance(body, bytes) else body
    kind = "application/x-ndjson" if isinstance(body, bytes) else "application/json"
    request = urllib.request.Request(url + path, data=data, headers={"Content-Type": kind}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def get(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=10) as response:
        result: dict[str, Any] = json.loads(response.read())
        return result


def log(service: str, message: str = "hello", level: str = "INFO", **extra: Any) -> dict[str, Any]:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return {"timestamp": stamp, "level": level, "service": service, "message": message, **extra}


@pytest.fixture
def nodes(tmp_path: Path, clickhouse_server: ClickHouseServer) -> Iterator[Any]:
    started: list[LiveServer] = []

    def start(name: str, config: dict[str, Any]) -> LiveServer:
        node = LiveServer(tmp_path / name, config)
        started.append(node)
        return node.start()

    yield start
    for node in started:
        node.kill()


def test_entries_and_stats_are_visible_through_every_node(nodes: Any, clickhouse_server: ClickHouseServer) -> None:
    config = node_config(clickhouse_server, "shared_view")
    a, b = nodes("a", config), nodes("b", config)
    assert post(a.url, log("via-a", "first", user_id="u1"))[0] == 201
    assert post(b.url, log("via-b", "second", level="ERROR"))[0] == 201
    assert post(b.url, {"level": "INFO"})[0] == 400  # rejected entries count in the shared validation stats
    for node in (a, b):
        health = get(node.url + "/health")
        assert (health["total_logs"], health["current_stored"]) == (2, 2)
        data = get(node.url + "/api/advanced-dashboard-data")
        assert [r["message"] for r in data["recent_logs"]] == ["second", "first"]
        assert data["summary"]["total_errors"] == 1
        assert set(data["service_health"]) == {"via-a", "via-b"}
        assert data["validation_stats"]["invalid"] == 1 and data["validation_stats"]["valid"] == 2
        assert data["user_activity"] == [{"user_id": "u1", "count": 1}]


def test_one_elected_node_notifies_each_transition_and_another_takes_over(
    nodes: Any, clickhouse_server: ClickHouseServer
) -> None:
    hooks = WebhookReceiver()
    alerting = {"service_down_minutes": 0.02, "cooldown_seconds": 0, "ingest_check_seconds": 0}

    def config(name: str) -> dict[str, Any]:
        cfg = node_config(clickhouse_server, "election", **alerting)
        cfg["alerting"]["handlers"] = [{"type": "webhook", "url": f"{hooks.url}/{name}", "retries": 0}]
        return cfg

    try:
        a = nodes("a", config("a"))  # started first: the leader while it lives
        b = nodes("b", config("b"))
        services = [f"svc{i}" for i in range(4)]
        for service in services:  # through the node that is NOT the leader
            assert post(b.url, log(service))[0] == 201

        def transitions(state: str, wanted: list[str]) -> Any:
            return lambda got: (
                {s for s in wanted if any(x["service"] == s and x["state"] == state for _, x in got)} == set(wanted)
            )

        hooks.wait_for(transitions("firing", services), 30, "service_down firing for every service")
        for service in services:
            assert post(b.url, log(service))[0] == 201
        got = hooks.wait_for(transitions("resolved", services), 30, "every service_down resolved")
        mine = [(path, x) for path, x in got if x["service"] in services]
        assert {path for path, _ in mine} == {"/a"}, "only the elected node evaluates and notifies"
        assert all(n == 1 for n in Counter((x["id"], x["state"]) for _, x in got).values()), got

        a.kill()  # a crash: no resignation, the lease has to expire (2 s)
        killed = time.monotonic()
        assert post(b.url, log("after-failover"))[0] == 201
        got = hooks.wait_for(
            lambda got: any(p == "/b" and x["service"] == "after-failover" for p, x in got), 60, "the new leader"
        )
        assert time.monotonic() - killed < 60
        assert all(n == 1 for n in Counter((x["id"], x["state"]) for _, x in got).values()), got
        assert {p for p, x in got if x["service"] == "after-failover"} == {"/b"}
    finally:
        hooks.close()


def test_client_retrying_against_the_other_node_loses_nothing_when_one_is_killed(
    nodes: Any, clickhouse_server: ClickHouseServer
) -> None:
    config = node_config(clickhouse_server, "failover_ingest")
    a, b = nodes("a", config), nodes("b", config)
    batches, per_batch = 60, 50
    sent_to_b_after_failure = 0
    for i in range(batches):
        if i == 20:
            a.kill()  # mid-ingestion: a client talking to a sees connection errors from now on
        lines = [json.dumps(log("bulk", f"m{i}-{j}")) for j in range(per_batch)]
        body = ("\n".join(lines) + "\n").encode()
        for target in (a, b):  # the client's retry: the next node
            try:
                status, answer = post(target.url, body, "/api/logs/bulk")
            except (urllib.error.URLError, ConnectionError, OSError):
                continue
            if status == 200 and answer["accepted"] == per_batch:
                sent_to_b_after_failure += target is b
                break
        else:
            pytest.fail(f"batch {i} was acknowledged by no node")
    assert sent_to_b_after_failure >= batches - 20
    conn = DriverConnection(Endpoint("127.0.0.1", clickhouse_server.tcp_port, "default", ""))
    try:
        [(distinct,)] = conn.query("SELECT uniqExact(message) FROM failover_ingest.logs")
    finally:
        conn.close()
    assert distinct == batches * per_batch
    assert get(b.url + "/health")["current_stored"] >= batches * per_batch


def test_serve_stops_with_one_line_when_clickhouse_is_unreachable(tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "config.yaml"
    config.write_text(
        f"storage: {{backend: clickhouse, clickhouse: {{port: {port}, connect_timeout_seconds: 2}}}}\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGLENS_") and k != "CONFIG_PATH"}
    done = subprocess.run(
        [sys.executable, "-m", "loglens.cli", "serve", "--port", str(free_port()), "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f"loglens: store error: cannot reach ClickHouse at 127.0.0.1:{port}: ")
