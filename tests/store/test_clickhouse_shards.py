"""Two shards: two local clickhouse-servers joined by a `remote_servers` cluster, LogLens on Distributed tables."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from loglens.config import load
from loglens.model import MINUTE_MS, StatsDelta
from loglens.store import NewAlert, Store, open_store
from loglens.store.clickhouse import DriverConnection, Endpoint
from tests.conftest import require
from tests.support import clickhouse
from tests.support.clickhouse import ClickHouseServer
from tests.support.entries import DAY, M0, T0, entry
from tests.support.live import free_port

CLUSTER = "two_shards"


@pytest.fixture
def shards(tmp_path: Path) -> Iterator[list[ClickHouseServer]]:
    require(clickhouse.available(), "clickhouse-server is not installed (make system-deps)")
    ports = [free_port(), free_port()]
    servers = [
        ClickHouseServer(tmp_path / f"shard{i}", clusters={CLUSTER: ports}, tcp_port=port)
        for i, port in enumerate(ports)
    ]
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()


def open_on(server: ClickHouseServer, **storage: Any) -> Store:
    ch = {"port": server.tcp_port, "database": "sharded", "cluster": CLUSTER}
    overrides = {"storage": {"backend": "clickhouse", "clickhouse": ch, **storage}}
    return open_store(load(env={}, path=None, overrides=overrides))


def local_count(server: ClickHouseServer) -> int:
    conn = DriverConnection(Endpoint("127.0.0.1", server.tcp_port, "default", ""))
    try:
        return int(conn.query("SELECT count() FROM sharded.logs")[0][0])
    finally:
        conn.close()


def test_both_shards_receive_entries_and_every_query_sees_all_of_them(shards: list[ClickHouseServer]) -> None:
    first, second = open_on(shards[0]), open_on(shards[1])
    try:
        for i in range(40):
            level = "ERROR" if i % 4 == 0 else "INFO"
            batch = [
                entry(i % 3, service=f"s{i % 2}", level=level, user=f"u{i % 5}", message=f"m{i}-{j}") for j in range(5)
            ]
            (first if i % 2 else second).write(batch, StatsDelta(valid=5, invalid=1))
        counts = [local_count(s) for s in shards]
        assert all(n > 0 for n in counts) and sum(counts) == 200, counts

        for store in (first, second):  # every node, whichever server it talks to, sees everything
            totals = store.totals()
            assert (totals.total_logs, totals.total_errors, totals.stored) == (200, 50, 200)
            assert store.validation_stats()["valid"] == 200 and store.validation_stats()["invalid"] == 40
            assert sum(r.total for r in store.minute_counts(M0, M0 + 2)) == 200
            assert store.service_window(M0, M0 + 2) == {"s0": (100, 50), "s1": (100, 0)}
            assert {s.service: s.log_count for s in store.services()} == {"s0": 100, "s1": 100}
            assert sorted(store.top_users(M0, M0 + 2, 10)) == [(f"u{k}", 40) for k in range(5)]
            assert store.top_services(M0, M0 + 2, 1)[0][1] == 100
            assert len(store.recent_logs(1000)) == 200
            assert store.minute_range() == (M0, M0 + 2)

        fired = first.fire_alert(NewAlert("error_rate", "s0", "CRITICAL", "m", 0.5, 0.1), T0, 0)
        assert (
            fired is not None
            and second.fire_alert(NewAlert("error_rate", "s0", "CRITICAL", "m", 0.5, 0.1), T0, 0) is None
        )
        assert second.resolve_alert(fired.id, T0 + 1) is not None
        assert [a.state for a in first.alerts()] == ["resolved"]
    finally:
        first.close()
        second.close()


def test_retention_drops_old_days_on_every_shard(shards: list[ClickHouseServer]) -> None:
    store = open_on(shards[0])
    try:
        for _ in range(10):
            store.write([entry(-2 * DAY + i) for i in range(10)] + [entry(i) for i in range(10)], StatsDelta(valid=20))
        assert all(local_count(s) > 0 for s in shards)
        assert store.apply_retention(T0) == 100
        assert store.totals().stored == 100 and sum(local_count(s) for s in shards) == 100
        assert store.minute_range() == (M0, M0 + 9)
        assert store.minute_counts(M0 - 3 * DAY, M0 - 1) == []
        assert T0 // MINUTE_MS == M0
    finally:
        store.close()
