"""ClickHouse-specific behaviour: startup errors, schema versions, group insert, errors mapped to StoreError."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from loglens.config import Settings, StorageSettings, load
from loglens.model import StatsDelta
from loglens.store import StoreError, open_store
from loglens.store.clickhouse import ClickHouseStore, DriverConnection, Endpoint, preflight
from loglens.store.clickhouse.lease import Lease
from loglens.store.clickhouse.schema import MIGRATIONS, SCHEMA_VERSION
from tests.support.clickhouse import PASSWORD_USER, ClickHouseServer
from tests.support.entries import T0, entry
from tests.support.live import free_port
from tests.support.wait import wait_until


def storage(server: ClickHouseServer, database: str, **clickhouse: Any) -> StorageSettings:
    values = {"port": server.tcp_port, "database": database, "connect_timeout_seconds": 3, **clickhouse}
    return load(env={}, path=None, overrides={"storage": {"backend": "clickhouse", "clickhouse": values}}).storage


def test_config_selects_clickhouse_and_fills_unset_keys(clickhouse_server: ClickHouseServer) -> None:
    cfg = load(env={}, path=None, overrides={"storage": {"backend": "clickhouse", "clickhouse": {"port": 9}}})
    assert cfg.storage.clickhouse.port == 9 and cfg.storage.clickhouse.database == "loglens"
    store = open_store(Settings(storage=storage(clickhouse_server, "cfg_select")))
    try:
        assert isinstance(store, ClickHouseStore)
        store.write([entry()], StatsDelta(valid=1))
        assert store.totals().stored == 1
    finally:
        store.close()


def test_unreachable_clickhouse_is_a_one_line_store_error() -> None:
    port = free_port()
    with pytest.raises(StoreError) as info:
        preflight(load(env={}, path=None, overrides={"storage": {"clickhouse": {"port": port}}}).storage)
    assert str(info.value).startswith(f"cannot reach ClickHouse at 127.0.0.1:{port}")
    assert "\n" not in str(info.value)


def test_wrong_password_is_named_as_such(clickhouse_server: ClickHouseServer) -> None:
    user, _ = PASSWORD_USER
    with pytest.raises(StoreError, match="refused user 'loglens': wrong user or password"):
        preflight(storage(clickhouse_server, "auth_wrong", user=user, password="not-it"))
    where = preflight(storage(clickhouse_server, "auth_right", user=user, password=PASSWORD_USER[1]))
    assert where == f"clickhouse://127.0.0.1:{clickhouse_server.tcp_port}/auth_right"


def test_refuses_a_database_with_a_newer_schema(clickhouse_server: ClickHouseServer) -> None:
    preflight(storage(clickhouse_server, "newer"))
    conn = DriverConnection(Endpoint("127.0.0.1", clickhouse_server.tcp_port, "default", ""))
    conn.insert("newer.schema_version", ("version", "applied_ms"), [(SCHEMA_VERSION + 1, 0)])
    conn.close()
    with pytest.raises(StoreError, match="newer than this LogLens supports"):
        preflight(storage(clickhouse_server, "newer"))


def test_migration_is_idempotent_and_reopen_keeps_everything(clickhouse_server: ClickHouseServer) -> None:
    cfg = Settings(storage=storage(clickhouse_server, "reopen"))
    first = open_store(cfg)
    delta = StatsDelta(valid=1, invalid=1)
    delta.error_types["required"] += 1
    first.write([entry(message="kept")], delta)
    first.close()
    second = open_store(cfg)
    try:
        assert second.totals().total_logs == 1
        assert second.validation_stats()["error_types"] == {"required": 1}
        assert [r["message"] for r in second.recent_logs(5)] == ["kept"]
    finally:
        second.close()


def test_concurrent_writes_share_inserts(clickhouse_server: ClickHouseServer) -> None:
    store = open_store(Settings(storage=storage(clickhouse_server, "grouping")))
    assert isinstance(store, ClickHouseStore)
    gate, started = threading.Event(), threading.Event()

    def block(conn: object) -> None:
        started.set()
        gate.wait(10)

    try:
        blocker = threading.Thread(target=store._writer.submit, args=(block,))
        blocker.start()
        assert started.wait(5)
        threads = [threading.Thread(target=store.write, args=([entry()], StatsDelta(valid=1))) for _ in range(10)]
        for t in threads:
            t.start()
        groups_before = store._writer.groups
        gate.set()  # the ten writes waited behind the blocker: they go out together
        for t in threads + [blocker]:
            t.join(10)
        assert store.totals().stored == 10
        assert store._writer.groups - groups_before < 10
    finally:
        store.close()


def test_driver_errors_reach_callers_as_store_errors(tmp_path: Path) -> None:
    server = ClickHouseServer(tmp_path / "ch").start()
    try:
        store = open_store(Settings(storage=storage(server, "down")))
    except BaseException:
        server.stop()
        raise
    try:
        store.write([entry()], StatsDelta(valid=1))
        server.stop()
        with pytest.raises(StoreError, match="cannot reach ClickHouse"):
            store.write([entry()], StatsDelta(valid=1))
        with pytest.raises(StoreError):
            store.totals()
        with pytest.raises(StoreError):
            store.recent_logs(5)
    finally:
        store.close()
        server.stop()


def test_lease_elects_the_oldest_live_node_and_hands_over_when_it_resigns(clickhouse_server: ClickHouseServer) -> None:
    preflight(storage(clickhouse_server, "lease_t"))
    endpoint = Endpoint("127.0.0.1", clickhouse_server.tcp_port, "default", "")
    first = Lease(lambda: DriverConnection(endpoint), "lease_t.leases", lease_seconds=1)
    second: Lease | None = None
    try:
        assert first.wait_beats(1, 10)
        second = Lease(lambda: DriverConnection(endpoint), "lease_t.leases", lease_seconds=1)
        assert second.wait_beats(2, 10)
        assert second.holder == first.node and not second.is_leader()
        first.close()  # resigns: the other takes over at its next heartbeat, without waiting for expiry
        wait_until(second.is_leader, 10, "the second node took the lease over")
        assert second.holder == second.node
    finally:
        first.close()
        if second is not None:
            second.close()


def test_retention_drops_old_lease_heartbeats(clickhouse_server: ClickHouseServer) -> None:
    store = open_store(Settings(storage=storage(clickhouse_server, "lease_prune")))
    assert isinstance(store, ClickHouseStore)
    conn = DriverConnection(Endpoint("127.0.0.1", clickhouse_server.tcp_port, "default", ""))
    try:
        old = T0 - 3 * 86_400_000
        conn.insert("lease_prune.leases", ("name", "node", "started_ms", "renewed_ms"), [("leader", "gone", old, old)])
        assert conn.query("SELECT count() FROM lease_prune.leases WHERE node = 'gone'")[0][0] == 1
        store.apply_retention(T0)
        assert conn.query("SELECT count() FROM lease_prune.leases WHERE node = 'gone'")[0][0] == 0
        assert store.is_leader()  # its own fresh heartbeats are kept
    finally:
        conn.close()
        store.close()


def test_a_schema_1_database_is_upgraded_and_keeps_its_alerts(clickhouse_server: ClickHouseServer) -> None:
    """Schema 2 adds the alert columns of acknowledgements and reasons with ADD COLUMN: an alert stored by
    schema 1 (before them) reads back, and can be acknowledged and resolved with a reason."""
    conn = DriverConnection(Endpoint("127.0.0.1", clickhouse_server.tcp_port, "default", ""))
    try:
        conn.query("CREATE DATABASE IF NOT EXISTS v1")
        conn.query(
            "CREATE TABLE v1.schema_version (version UInt32, applied_ms Int64) ENGINE = MergeTree() ORDER BY version"
        )
        for statement in MIGRATIONS[0]:
            assert isinstance(statement, str)
            conn.query(statement.format(db="v1"))
        conn.insert("v1.schema_version", ("version", "applied_ms"), [(1, 0)])
        columns = (
            "id",
            "rule",
            "service",
            "severity",
            "message",
            "value",
            "threshold",
            "state",
            "fired_at_ms",
            "resolved_at_ms",
            "version",
        )
        conn.insert("v1.alerts", columns, [(7, "error_rate", "api", "WARNING", "old", 0.5, 0.1, "firing", T0, None, 1)])
    finally:
        conn.close()
    store = open_store(Settings(storage=storage(clickhouse_server, "v1")))
    try:
        old = store.alert(7)
        assert old is not None and old.state == "firing" and old.acked_at_ms is None and old.resolved_reason is None
        assert store.ack_alert(7, T0 + 1) is not None
        resolved = store.resolve_alert(7, T0 + 2, "because")
        assert resolved is not None and (resolved.acked_at_ms, resolved.resolved_reason) == (T0 + 1, "because")
        assert store.keys.list_keys() == []
    finally:
        store.close()
    assert preflight(storage(clickhouse_server, "v1")).endswith("/v1")  # migrating again changes nothing
