"""Store backends. `open_store(config)` picks the configured one."""

from __future__ import annotations

from collections.abc import Callable

from ..config import Settings, store_path
from .base import (
    SILENCE_LIST_STATES,
    AggregateReader,
    Alert,
    AlertHistory,
    AlertingReader,
    AlertLog,
    AlertQuery,
    AlertStore,
    EntryWriter,
    KeyHolder,
    Leadership,
    Lifecycle,
    LogSearch,
    Maintenance,
    NewAlert,
    Notification,
    NotificationStore,
    QueryTimeout,
    SearchPage,
    ServiceCounts,
    ServiceInfo,
    ServiceRetirement,
    SilenceBook,
    SilenceHolder,
    Store,
    StoreBusy,
    StoreCorrupt,
    StoreError,
    StoreFailing,
    StoreFull,
    StoreHealth,
    Totals,
)

__all__ = [
    "AggregateReader",
    "Alert",
    "AlertHistory",
    "AlertLog",
    "AlertQuery",
    "AlertStore",
    "AlertingReader",
    "EntryWriter",
    "KeyHolder",
    "Leadership",
    "Lifecycle",
    "LogSearch",
    "Maintenance",
    "NewAlert",
    "Notification",
    "NotificationStore",
    "QueryTimeout",
    "SILENCE_LIST_STATES",
    "SearchPage",
    "ServiceCounts",
    "SilenceBook",
    "SilenceHolder",
    "ServiceInfo",
    "ServiceRetirement",
    "Store",
    "StoreBusy",
    "StoreCorrupt",
    "StoreError",
    "StoreFailing",
    "StoreFull",
    "StoreHealth",
    "Totals",
    "open_store",
]


def open_store(config: Settings, *, on_commit: Callable[[int, int, float], None] | None = None) -> Store:
    """Open the configured store. `on_commit(jobs, entries, seconds)` is told about every group commit."""
    storage = config.storage
    backend = storage.backend
    query_timeout = config.search.query_timeout_seconds
    if backend == "sqlite":
        from .sqlite import SQLiteStore

        return SQLiteStore(
            store_path(config),
            max_logs=storage.max_logs,
            max_pending_entries=storage.max_pending_entries,
            max_pending_bytes=storage.max_pending_bytes,
            synchronous=storage.synchronous,
            integrity_check=storage.integrity_check,
            on_commit=on_commit,
            search_index=storage.search_index,
            query_timeout=query_timeout,
        )
    if backend == "clickhouse":
        from .clickhouse import open_clickhouse

        return open_clickhouse(storage, on_commit=on_commit, query_timeout=query_timeout)
    raise StoreError(f"unknown storage.backend {backend!r}")
