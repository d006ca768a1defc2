"""SQLiteStore, the embedded default store: SQLite in WAL mode, one writer thread, pooled reader connections.

The facade over the package's parts, each of which gets only what it needs: connections (connections.py), the
writer thread (writer.py), entry writes (writes.py), retention (retention.py), aggregate reads (reads.py), entry
reads and search (search.py), the search index (index.py), alerts (alerts.py), API keys (keys.py), health
(health.py) and the startup integrity check (integrity.py).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ...config import StorageSettings
from ...model import Entry, StatsDelta
from ...search.query import Node, of_service
from ...search.stats import AggregateRequest
from ..base import (
    Alert,
    AlertQuery,
    Facet,
    MinuteCount,
    NewAlert,
    Notification,
    NotificationStatus,
    SearchPage,
    ServiceInfo,
    StoredRule,
    StoreError,
    StoreHealth,
    Totals,
)
from . import integrity, retention
from .alert_history import alert_history
from .alert_rules import AlertRules
from .alerts import Alerts
from .connections import MEMORY, Connections
from .health import Health
from .index import SearchIndex
from .indexer import INDEX_INTERVAL
from .keys import SQLiteKeys
from .notifications import Notifications
from .reads import Reads
from .saved import SQLiteSavedSearches
from .search import Search
from .silences import SQLiteSilences
from .topk import PRUNE_AFTER_ROWS, TOP_USERS_KEPT, Pruner
from .walk import Cursor
from .writer import Writer
from .writes import Writes


class SQLiteStore:
    def __init__(
        self,
        path: str,
        *,
        max_logs: int = StorageSettings.max_logs,
        max_pending_entries: int = StorageSettings.max_pending_entries,
        max_pending_bytes: int = StorageSettings.max_pending_bytes,
        synchronous: str = StorageSettings.synchronous,
        integrity_check: str = StorageSettings.integrity_check,
        sync_check_max_bytes: int = integrity.SYNC_CHECK_MAX_BYTES,
        on_commit: Callable[[int, int, float], None] | None = None,
        search_index: bool = StorageSettings.search_index,
        index_interval: float = INDEX_INTERVAL,
        top_users_kept: int = TOP_USERS_KEPT,
        prune_after_rows: int = PRUNE_AFTER_ROWS,
        query_timeout: float | None = None,
    ) -> None:
        """`query_timeout`: seconds each read may run (search.query_timeout_seconds; None: no limit)."""
        if synchronous not in ("FULL", "NORMAL"):
            raise StoreError(f"synchronous must be FULL or NORMAL, got {synchronous!r}")
        if integrity_check not in integrity.MODES:
            raise StoreError(f"integrity_check must be one of {', '.join(integrity.MODES)}, got {integrity_check!r}")
        size = 0 if path == MEMORY or not os.path.exists(path) else os.path.getsize(path)
        # the check to run (None: none), and whether it runs in the background (big stores, `auto`)
        pragma, in_background = integrity.resolve(integrity_check, size, sync_check_max_bytes)
        self.path = path
        self.max_logs = max_logs
        self.search_index = search_index
        self.integrity_in_background = in_background
        self._connections = connections = Connections(
            path,
            synchronous=synchronous,
            search_index=search_index,
            query_timeout=query_timeout,
            integrity_pragma=pragma,
            integrity_in_background=in_background,
        )
        self.index_path = connections.index_path
        self._pruner = Pruner(top_users_kept, prune_after_rows)  # used in the writer thread only
        if not connections.memory:
            try:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the data directory for {path}: {exc.strerror}") from None
        self._writer = writer = Writer(
            connections.open_writer,
            max_pending_entries=max_pending_entries,
            max_pending_bytes=max_pending_bytes,
            lock=connections.shared_lock,
            on_commit=on_commit,
        )
        self.keys = SQLiteKeys(connections.read, writer.submit)  # API keys (auth.keys.KeyStore)
        self.saved_searches = SQLiteSavedSearches(connections.read, writer.submit)  # search.saved.SavedSearches
        self.silence_book = SQLiteSilences(connections.read, writer.submit)  # silences (store.base.SilenceBook)
        self._background_check: integrity.BackgroundCheck | None = None
        if pragma is not None and in_background:
            self._background_check = integrity.BackgroundCheck(connections.connect, pragma, path, writer.condemn)
        self._index: SearchIndex | None = None
        if search_index:
            try:
                self._index = SearchIndex(connections, writer, index_interval)
            except StoreError:
                if self._background_check is not None:
                    self._background_check.stop()
                writer.close()
                raise
        self._writes = Writes(writer, self._pruner, max_logs=max_logs, search_index=search_index)
        self._reads = Reads(connections, self._pruner)
        self._search = Search(connections)
        self._alerts = Alerts(connections, writer)
        self._notifications = Notifications(connections, writer)
        self._alert_rules = AlertRules(connections, writer)
        self._health = Health(connections, writer)

    # -- lifecycle, leadership, upkeep -------------------------------------------------------------------

    def health(self, *, probe: bool = True) -> StoreHealth:
        return self._health.health(probe=probe)

    def size_bytes(self) -> int:
        return self._connections.size_bytes()

    def maintain(self) -> None:
        """Compact the user rollups the writes since the last compaction touched (topk.py)."""
        self._writer.submit(self._pruner.prune)

    def is_leader(self) -> bool:
        return True  # one file, arbitrated by SQLite's write lock: every process may run the jobs

    def close(self) -> None:
        try:
            self.maintain()
        except StoreError:  # closed already
            pass
        if self._background_check is not None:
            self._background_check.stop()
        if self._index is not None:
            self._index.close()
        self._writer.close()
        self._connections.close_readers()

    # -- writes and retention ----------------------------------------------------------------------------

    def write(self, entries: Sequence[Entry], delta: StatsDelta, *, nbytes: int = 0) -> None:
        self._writes.write(entries, delta, nbytes=nbytes)

    async def write_async(self, entries: Sequence[Entry], delta: StatsDelta, *, nbytes: int = 0) -> None:
        await self._writes.write_async(entries, delta, nbytes=nbytes)

    def apply_retention(self, cutoff_ms: int) -> int:
        return retention.apply_retention(self._writer, cutoff_ms, search_index=self.search_index)

    def forget_service(self, service: str, silent_since_ms: int) -> bool:
        return retention.forget_service(self._writer, service, silent_since_ms)

    # -- alerts ------------------------------------------------------------------------------------------

    def fire_alert(self, alert: NewAlert, now_ms: int, cooldown_ms: int, *, notify: Sequence[str] = ()) -> Alert | None:
        return self._alerts.fire_alert(alert, now_ms, cooldown_ms, notify=notify)

    def resolve_alert(
        self, alert_id: int, now_ms: int, reason: str | None = None, *, notify: Sequence[str] = ()
    ) -> Alert | None:
        return self._alerts.resolve_alert(alert_id, now_ms, reason, notify=notify)

    def ack_alert(self, alert_id: int, now_ms: int) -> Alert | None:
        return self._alerts.ack_alert(alert_id, now_ms)

    def alert(self, alert_id: int) -> Alert | None:
        return self._alerts.alert(alert_id)

    def alerts(self, state: str = "all", limit: int = 100) -> list[Alert]:
        return self._alerts.alerts(state, limit)

    def alert_counts(self) -> dict[tuple[str, str], int]:
        return self._alerts.alert_counts()

    # -- the notification outbox (notifications.py) ------------------------------------------------------

    def claim_notifications(
        self, notifier: str, owner: str, now_ms: int, lease_ms: int, limit: int
    ) -> list[Notification]:
        return self._notifications.claim_notifications(notifier, owner, now_ms, lease_ms, limit)

    def finish_notification(
        self, notification_id: str, owner: str, status: NotificationStatus, now_ms: int, reason: str | None
    ) -> bool:
        return self._notifications.finish_notification(notification_id, owner, status, now_ms, reason)

    def retry_notification(self, notification_id: str, owner: str, next_at_ms: int, reason: str) -> bool:
        return self._notifications.retry_notification(notification_id, owner, next_at_ms, reason)

    def hold_notification(self, notification_id: str, owner: str, next_at_ms: int) -> bool:
        return self._notifications.hold_notification(notification_id, owner, next_at_ms)

    def queue_repeats(self, notifier: str, now_ms: int, every_ms: int) -> int:
        return self._notifications.queue_repeats(notifier, now_ms, every_ms)

    def renotify(self, alert: Alert, notifiers: Sequence[str], now_ms: int, event: str = "repeat") -> int:
        return self._notifications.renotify(alert, notifiers, now_ms, event)

    def notifications(self, alert_id: int) -> list[Notification]:
        return self._notifications.notifications(alert_id)

    def notification(self, notification_id: str) -> Notification | None:
        return self._notifications.notification(notification_id)

    def notification_counts(self) -> dict[tuple[str, str], int]:
        return self._notifications.notification_counts()

    # -- alert rules made through the API ----------------------------------------------------------------

    def alert_rules(self) -> list[StoredRule]:
        return self._alert_rules.alert_rules()

    def save_alert_rule(self, name: str, body: dict[str, Any], now_ms: int) -> None:
        self._alert_rules.save_alert_rule(name, body, now_ms)

    def delete_alert_rule(self, name: str, now_ms: int) -> bool:
        return self._alert_rules.delete_alert_rule(name, now_ms)

    def alert_history(self, query: AlertQuery) -> list[Alert]:
        return alert_history(self._connections, query)

    # -- aggregate reads ---------------------------------------------------------------------------------

    def totals(self) -> Totals:
        return self._reads.totals()

    def validation_stats(self) -> dict[str, Any]:
        return self._reads.validation_stats()

    def minute_counts(self, first: int, last: int, service: str | None = None) -> list[MinuteCount]:
        return self._reads.minute_counts(first, last, service)

    def service_window(self, first: int, last: int) -> dict[str, tuple[int, int]]:
        return self._reads.service_window(first, last)

    def services(self) -> list[ServiceInfo]:
        return self._reads.services()

    def top_users(self, first: int, last: int, limit: int, service: str | None = None) -> list[tuple[str, int]]:
        return self._reads.top_users(first, last, limit, service)

    def top_services(self, first: int, last: int, limit: int) -> list[tuple[str, int]]:
        return self._reads.top_services(first, last, limit)

    def minute_range(self) -> tuple[int, int] | None:
        return self._reads.minute_range()

    def recent_logs(self, limit: int, service: str | None = None) -> list[dict[str, Any]]:
        """The newest entries by event time (the search's time access path), optionally of one service."""
        return self._search.search(of_service(service), None, None, limit, None).logs

    # -- search ------------------------------------------------------------------------------------------

    def search(
        self,
        query: Node,
        *,
        from_ms: int | None = None,
        to_ms: int | None = None,
        limit: int = 100,
        after: Cursor | None = None,
    ) -> SearchPage:
        return self._search.search(query, from_ms, to_ms, limit, after)

    def refresh(self) -> None:
        """Index every committed entry now (the indexer does it within index_interval on its own)."""
        if self._index is not None:
            self._index.catch_up()

    def aggregate(self, request: AggregateRequest) -> list[Any]:
        return self._search.aggregate(request)

    def facet_counts(self, query: Node, from_ms: int, to_ms: int, fields: Sequence[str], limit: int) -> list[Facet]:
        return self._search.facet_counts(query, from_ms, to_ms, fields, limit)

    def count_matches(self, query: Node, from_ms: int | None, to_ms: int | None, most: int, seconds: float) -> int:
        return self._search.count_matches(query, from_ms, to_ms, most, seconds)

    def get_log(self, log_id: int) -> dict[str, Any] | None:
        return self._search.get_log(log_id)

    def last_id(self) -> int:
        return self._search.last_id()

    def tail(self, query: Node, after_id: int, upto_id: int, limit: int) -> list[dict[str, Any]]:
        return self._search.tail(query, after_id, upto_id, limit)

    def fields(self, sample_values: int) -> dict[str, list[str]]:
        return self._search.fields(sample_values)
