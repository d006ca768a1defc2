"""Store backends. `open_store(config)` picks the configured one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..config import store_path
from .base import Alert, NewAlert, SearchPage, ServiceInfo, Store, StoreBusy, StoreError, Totals

__all__ = ["Alert", "NewAlert", "SearchPage", "ServiceInfo", "Store", "StoreBusy", "StoreError", "Totals", "open_store"]


def open_store(config: Mapping[str, Mapping[str, Any]]) -> Store:
    storage = config["storage"]
    backend = storage["backend"]
    if backend == "sqlite":
        from .sqlite import SQLiteStore

        return SQLiteStore(
            store_path(config),
            max_logs=storage["max_logs"],
            max_pending_entries=storage["max_pending_entries"],
            max_pending_bytes=storage["max_pending_bytes"],
            synchronous=storage["synchronous"],
            search_index=storage["search_index"],
        )
    raise StoreError(f"unknown storage.backend {backend!r}")
