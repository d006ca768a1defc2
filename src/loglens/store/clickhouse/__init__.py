"""The ClickHouse backend (`storage.backend: clickhouse`): see store.py, schema.py, lease.py."""

from __future__ import annotations

from collections.abc import Callable

from ...config import ClickHouseSettings, StorageSettings
from ..base import StoreError
from . import driver  # noqa: F401  (first: without the driver, one line saying how to install it)
from .connection import Connection, DriverConnection, Endpoint
from .schema import migrate
from .store import ClickHouseStore

__all__ = ["ClickHouseStore", "Connection", "DriverConnection", "Endpoint", "open_clickhouse", "preflight"]


def preflight(storage: StorageSettings) -> str:
    """Reach ClickHouse and bring its tables to this version (every server of a cluster); returns where the store
    is, for the startup line. StoreError when it is unreachable or refuses the credentials."""
    ch = storage.clickhouse
    connect, servers = _connectors(ch)
    first = connect()
    try:
        for conn in servers() if ch.cluster else [first]:
            try:
                migrate(conn, ch.database, ch.cluster)
            finally:
                conn.close()
    finally:
        first.close()
    suffix = f" cluster {ch.cluster}" if ch.cluster else ""
    return f"clickhouse://{ch.host}:{ch.port}/{ch.database}{suffix}"


def _connectors(ch: ClickHouseSettings) -> tuple[Callable[[], Connection], Callable[[], list[Connection]]]:
    cluster = ch.cluster
    settings = {"insert_distributed_sync": 1} if cluster else {}
    endpoint = Endpoint(ch.host, ch.port, ch.user, ch.password)
    timeout = ch.connect_timeout_seconds

    def connect() -> Connection:
        conn = DriverConnection(endpoint, settings=settings, timeout=timeout)
        conn.query("SELECT 1")  # connect now: a wrong password or an unreachable server fails here
        return conn

    def servers() -> list[Connection]:
        conn = connect()
        try:
            rows = conn.query(
                "SELECT host_address, port FROM system.clusters WHERE cluster = %(c)s ORDER BY shard_num, replica_num",
                {"c": cluster},
            )
        finally:
            conn.close()
        if not rows:
            raise StoreError(f"ClickHouse at {endpoint} has no cluster {cluster!r} in its remote_servers")
        return [
            DriverConnection(Endpoint(str(h), int(p), endpoint.user, endpoint.password), timeout=timeout)
            for h, p in rows
        ]

    return connect, servers


def open_clickhouse(
    storage: StorageSettings,
    *,
    on_commit: Callable[[int, int, float], None] | None = None,
    query_timeout: float | None = None,
) -> ClickHouseStore:
    """The store for the `storage` config section; StoreError (one line) when ClickHouse is unreachable or
    refuses the credentials. `query_timeout`: seconds each read may run (search.query_timeout_seconds)."""
    ch = storage.clickhouse
    connect, servers = _connectors(ch)
    return ClickHouseStore(
        connect,
        database=ch.database,
        cluster=ch.cluster,
        servers=servers,
        max_logs=storage.max_logs,
        max_pending_entries=storage.max_pending_entries,
        max_pending_bytes=storage.max_pending_bytes,
        lease_seconds=ch.lease_seconds,
        on_commit=on_commit,
        query_timeout=query_timeout,
    )
