"""The scale-out store: ClickHouse, shared by any number of stateless `loglens serve` nodes.

Writes: the request thread prepares rows, a writer thread groups concurrent requests into one INSERT into `logs`
(materialized views fill the rollups, services and totals inside ClickHouse) plus one into `counters`
(validation stats), and the request returns once ClickHouse has acknowledged both. Reads use one connection per
thread. Retention and max_logs drop whole day partitions, on the node that holds the lease.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson

from ...config import ClickHouseSettings, StorageSettings
from ...model import Entry, StatsDelta
from ...search.query import Node
from ...search.stats import AggregateRequest
from ..base import Facet, MinuteCount, ServiceInfo, StoreError, StoreHealth, Totals
from ..entry_rows import ROW_FIELDS, delta_counters
from . import count, facets, rollup_stats, top_users
from .alert_history import AlertHistoryMethods
from .alert_rows import AlertMethods
from .connection import Connection, NativeConnection
from .ids import IdSource
from .inserter import GroupInserter
from .keys import ClickHouseKeys
from .lease import Lease
from .native import ColumnTypes, EncodedInsert, EncodedRows, columns_of
from .notification_rows import NotificationMethods
from .rule_rows import AlertRuleMethods
from .saved import ClickHouseSavedSearches
from .schema import Tables, column_types, migrate
from .search import SearchMethods, field_words, message_words, meta_arrays
from .silences import ClickHouseSilences

EPOCH = date(1970, 1, 1)
LOG_COLUMNS = (
    "id",
    "ts_ms",
    "received_ms",
    "timestamp",
    "level",
    "service",
    "message",
    "user_id",
    "metadata",
    "words",
    "meta_k",
    "meta_t",
    "meta_s",
    "meta_n",
    "field_words",
)
ROLLUPS = (
    "rollup_minute",
    "rollup_user",
    "rollup_user_hour",
    "rollup_level",
    "rollup_user_top",
)


# A write of at least this many entries is encoded by the thread that prepared it (native.py); smaller ones
# (single POSTs) are encoded together by the writer, which saves the per-block overhead.
ENCODE_MIN_ROWS = 100
INSERT_COLUMNS = (*LOG_COLUMNS[1:], "id")  # the order of encoded blocks: the ids, taken at flush, come last


@dataclass(frozen=True, slots=True)
class Payload:
    rows: list[tuple[Any, ...]]  # LOG_COLUMNS without the id (taken at flush)
    counters: Counter[str]
    encoded: EncodedRows | None = None  # the rows already in Native format (INSERT_COLUMNS but the last)
    kept: top_users.KeptRows = field(default_factory=list)  # the write's biggest users per minute and hour


class ClickHouseStore(SearchMethods, NotificationMethods, AlertMethods, AlertRuleMethods, AlertHistoryMethods):
    def __init__(
        self,
        connect: Callable[[], Connection],
        *,
        database: str = ClickHouseSettings.database,
        cluster: str = ClickHouseSettings.cluster,
        servers: Callable[[], list[Connection]] | None = None,
        max_logs: int = StorageSettings.max_logs,
        max_pending_entries: int = StorageSettings.max_pending_entries,
        max_pending_bytes: int = StorageSettings.max_pending_bytes,
        lease_seconds: float = ClickHouseSettings.lease_seconds,
        on_commit: Callable[[int, int, float], None] | None = None,
        query_timeout: float | None = None,
    ) -> None:
        """`connect` opens a connection to the server this node uses; `servers` (cluster mode) opens one to every
        server of the cluster, for the DDL and partition drops that 18.16 cannot send ON CLUSTER. `query_timeout`:
        seconds each read may run (search.query_timeout_seconds; None: no limit)."""
        self.query_timeout = query_timeout
        self.database = database
        self.cluster = cluster
        self.max_logs = max_logs
        self.tables = Tables(database, cluster)
        self.ids = IdSource()
        self._connect = connect
        self._servers = servers
        self._local = threading.local()
        self._opened: list[Connection] = []
        self._opened_lock = threading.Lock()
        self._alert_lock = threading.Lock()
        self._outbox_lock = threading.Lock()  # the notification outbox (notification_rows.py)
        self._outbox_version = 0
        first = connect()
        targets: list[Connection] = []
        try:
            targets = self._each_server(first)
            for conn in targets:
                migrate(conn, database, cluster)
            # the encoded blocks' columns (all but the ids) as the server names their types
            types = column_types(first, database, self.tables["logs"].partition(".")[2])
            self._insert_types: ColumnTypes = tuple((c, types[c]) for c in INSERT_COLUMNS[:-1])
        finally:
            for conn in {id(c): c for c in [first, *targets]}.values():
                conn.close()
        self._writer: GroupInserter[Payload] = GroupInserter(
            connect,
            self._flush,
            max_pending_entries=max_pending_entries,
            max_pending_bytes=max_pending_bytes,
            on_commit=on_commit,
        )
        self.lease = Lease(connect, self.tables["leases"], lease_seconds=lease_seconds)
        self._keys = ClickHouseKeys(
            self._conn, self.tables["api_keys"], self.tables["auth_secrets"], self.tables["ended_sessions"]
        )
        self._probe_lock = threading.Lock()
        self._last_probe = 0.0
        self.saved_searches = ClickHouseSavedSearches(self._conn, self.tables["saved_searches"])
        self.silence_book = ClickHouseSilences(self._conn, self.tables["silences"], query_timeout)

    def _each_server(self, conn: Connection) -> list[Connection]:
        return self._servers() if self.cluster and self._servers is not None else [conn]

    def _conn(self) -> Connection:
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            with self._opened_lock:
                self._opened.append(conn)
        return conn

    def _query(
        self, sql: str, params: dict[str, Any] | None = None, *, timeout: float | None = None
    ) -> list[tuple[Any, ...]]:
        """`timeout`: a deadline shorter than search.query_timeout_seconds for this query."""
        sql = sql.format(**{name: self.tables[name] for name in _TABLE_NAMES})
        if self.query_timeout is not None:
            timeout = self.query_timeout if timeout is None else min(timeout, self.query_timeout)
        return self._conn().query(sql, params, timeout=timeout)

    def aggregate(self, request: AggregateRequest) -> list[Any]:
        """Grouped aggregates of the matching entries (search/stats.py shapes them into an answer)."""
        return rollup_stats.answer(self._query, request)

    def facet_counts(self, query: Node, from_ms: int, to_ms: int, fields: Sequence[str], limit: int) -> list[Facet]:
        """The most frequent values of each of `fields` among the matching entries, in one SELECT (facets.py)."""
        return facets.facet_counts(self._query, query, from_ms, to_ms, fields, limit)

    def count_matches(self, query: Node, from_ms: int | None, to_ms: int | None, most: int, seconds: float) -> int:
        """How many entries match, up to most + 1, within `seconds` (count.py; ClickHouse's max_execution_time
        counts whole seconds)."""

        def ask(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
            return self._query(sql, params, timeout=seconds)

        return count.count_matches(ask, query, from_ms, to_ms, most)

    def is_leader(self) -> bool:
        return self.lease.is_leader()

    @property
    def keys(self) -> ClickHouseKeys:
        return self._keys

    def health(self, *, probe: bool = True) -> StoreHealth:
        """Failing while the last INSERT failed (ClickHouse unreachable, refusing writes); while failing, `probe`
        asks ClickHouse through the writer's connection (at most once per PROBE_INTERVAL), which clears the
        failure once it answers again."""
        writer = self._writer
        if writer.failure is not None and probe:
            with self._probe_lock:
                now = time.monotonic()
                due = now - self._last_probe >= PROBE_INTERVAL
                if due:
                    self._last_probe = now
            if due:
                try:
                    writer.submit(lambda conn: conn.query("SELECT 1"))
                except StoreError:
                    pass  # still failing: the writer remembered why
        failure, since = writer.failure, writer.failing_since
        return StoreHealth(
            error=str(failure) if failure is not None else None,
            failing_since_ms=int(since * 1000) if failure is not None and since is not None else None,
            pending_entries=writer.pending_entries,
            size_bytes=self._size_bytes() if failure is None else 0,
        )

    def _size_bytes(self) -> int:
        """Bytes on disk of this database's active parts on the server this node uses (0 when unreadable)."""
        try:
            rows = self._conn().query(
                "SELECT sum(bytes_on_disk) FROM system.parts WHERE database = %(db)s AND active", {"db": self.database}
            )
        except StoreError:
            return 0
        return int(rows[0][0] or 0)

    def maintain(self) -> None:
        """Nothing to compact: ClickHouse merges the rollups itself, and user counts are exact."""

    def close(self) -> None:
        self.lease.close()
        self._writer.close()
        with self._opened_lock:
            for conn in self._opened:
                conn.close()
            self._opened.clear()

    # -- writes ------------------------------------------------------------------------------------------

    def write(self, entries: Sequence[Entry], delta: StatsDelta, *, nbytes: int = 0) -> None:
        self._writer.submit_batch(self._payload(entries, delta), entries=len(entries), nbytes=nbytes)

    async def write_async(self, entries: Sequence[Entry], delta: StatsDelta, *, nbytes: int = 0) -> None:
        await self._writer.submit_batch_async(self._payload(entries, delta), entries=len(entries), nbytes=nbytes)

    def _payload(self, entries: Sequence[Entry], delta: StatsDelta) -> Payload:
        counters = delta_counters(delta)
        rows = [
            ROW_FIELDS(e)
            + (orjson.dumps(e.metadata).decode() if e.metadata is not None else None, message_words(e.message))
            + meta_arrays(e.metadata)
            + (field_words(e.service, e.user_id, e.metadata),)
            for e in entries
        ]
        kept = top_users.kept_rows((e.ts_ms, e.user_id) for e in entries)  # here: off the writer thread
        writer = self._writer.connection
        # Not in cluster mode: a Distributed table inserts each block of an INSERT on its own (no squashing)
        if len(rows) >= ENCODE_MIN_ROWS and not self.cluster and isinstance(writer, NativeConnection):
            return Payload(rows, counters, writer.encode(self._insert_types, columns_of(rows)), kept)
        return Payload(rows, counters, kept=kept)

    def _flush(self, conn: Connection, payloads: list[Payload]) -> None:
        rows: list[tuple[Any, ...]] = []
        counters: Counter[str] = Counter()
        encoded: list[EncodedRows] = []
        for payload in payloads:
            if payload.encoded is not None:
                encoded.append(payload.encoded)
            else:
                rows += payload.rows
            counters.update(payload.counters)
        if isinstance(conn, NativeConnection):
            if rows:  # encoded here, together
                encoded.append(conn.encode(self._insert_types, columns_of(rows)))
            if encoded:
                self._insert_encoded(conn, encoded)
        elif rows:  # ids taken here, on the writer thread: on one node they grow in commit order (the live tail)
            ids = self.ids.new_ids(len(rows))
            conn.insert_columns(self.tables["logs"], LOG_COLUMNS, [ids, *zip(*rows, strict=True)])  # zip: in C
        conn.insert(self.tables["counters"], ("name", "value"), [(k, v) for k, v in counters.items() if v])
        kept = [row for payload in payloads for row in payload.kept]
        if kept:  # into a Buffer table: no part per INSERT (schema.py, migration 10)
            conn.insert_columns(self.tables["rollup_user_top_buffer"], top_users.COLUMNS, list(zip(*kept, strict=True)))

    def _insert_encoded(self, conn: NativeConnection, encoded: list[EncodedRows]) -> None:
        """One INSERT of the encoded blocks, each followed by its ids (taken here, on the writer thread: on one
        node they grow in commit order, which the live tail relies on)."""
        ids = self.ids.new_ids(sum(block.rows for block in encoded))
        blocks = EncodedInsert()
        start = 0
        for block in encoded:
            blocks.append((block, ids[start : start + block.rows]))
            start += block.rows
        conn.insert_encoded(self.tables["logs"], INSERT_COLUMNS, blocks)

    def apply_retention(self, cutoff_ms: int) -> int:
        """Drop the day partitions before the cutoff's day (logs and rollups), then the oldest days of logs while
        more than max_logs are stored (never the newest day). Returns the entries dropped."""
        cutoff_day = datetime.fromtimestamp(max(cutoff_ms, 0) / 1000, tz=UTC).date()
        first = self._connect()
        servers: list[Connection] = []
        try:
            servers = self._each_server(first)
            deleted = 0
            for table in ("logs", *ROLLUPS):
                parts = self._partitions(servers, table)
                for day in sorted(d for d in parts if d < cutoff_day):
                    self._drop(servers, table, day)
                    deleted += parts[day] if table == "logs" else 0
            # heartbeats: only the last lease_seconds matter; a day of margin keeps those of just before midnight.
            # 1970-01-01 holds the resignations (renewed_ms -1), kept: one tiny row per clean stop.
            for day in self._partitions(servers, "leases"):
                if EPOCH < day < cutoff_day - timedelta(days=1):
                    self._drop(servers, "leases", day)
            for day in self._partitions(servers, "ended_sessions"):  # days their sessions would have expired
                if day < cutoff_day - timedelta(days=1):
                    self._drop(servers, "ended_sessions", day)
            stored = int(self._query("SELECT count() FROM {logs}")[0][0])
            parts = self._partitions(servers, "logs")
            for day in sorted(parts)[:-1]:
                if stored <= self.max_logs:
                    break
                self._drop(servers, "logs", day)
                self._drop(servers, "rollup_level", day)  # it counts stored entries (rollup_stats.py)
                stored -= parts[day]
                deleted += parts[day]
            return deleted
        finally:
            for conn in {id(c): c for c in [first, *servers]}.values():
                conn.close()

    def _partitions(self, servers: list[Connection], table: str) -> dict[date, int]:
        """Rows per day partition of a local table, summed over the servers."""
        days: Counter[date] = Counter()
        for conn in servers:
            for partition, rows in conn.query(
                "SELECT partition, sum(rows) FROM system.parts WHERE database = %(db)s AND table = %(table)s"
                " AND active GROUP BY partition",
                {"db": self.database, "table": table},
            ):
                name = str(partition).strip("'")  # 18.16 names the day of the epoch (and before) 0000-00-00
                days[EPOCH if name.startswith("0000-") else date.fromisoformat(name)] += int(rows)
        return dict(days)

    def _drop(self, servers: list[Connection], table: str, day: date) -> None:
        for conn in servers:
            conn.query(f"ALTER TABLE {self.tables.local(table)} DROP PARTITION '{day.isoformat()}'")

    def forget_service(self, service: str, silent_since_ms: int) -> bool:
        """Hide a service last seen before `silent_since_ms` from services() (a row in retired_services); it comes
        back when it sends again. Unlike SQLite, which deletes its row, its first-seen time and counts are kept."""
        with self._alert_lock:  # between nodes, only the leader retires services
            info = {i.service: i for i in self.services()}.get(service)
            if info is None or info.last_seen_ms >= silent_since_ms:
                return False
            self._conn().insert(self.tables["retired_services"], ("service", "before_ms"), [(service, silent_since_ms)])
            return True

    # -- reads -------------------------------------------------------------------------------------------

    def totals(self) -> Totals:
        total, errors = self._query("SELECT sum(total), sum(errors) FROM {totals}")[0]
        stored = self._query("SELECT count() FROM {logs}")[0][0]
        return Totals(int(total or 0), int(errors or 0), int(stored))

    def validation_stats(self) -> dict[str, Any]:
        values = {str(k): int(v) for k, v in self._query("SELECT name, sum(value) FROM {counters} GROUP BY name")}
        valid, invalid = values.get("validation.valid", 0), values.get("validation.invalid", 0)
        error_types = {k.split(".", 1)[1]: v for k, v in sorted(values.items()) if k.startswith("error_type.") and v}
        return {"total": valid + invalid, "valid": valid, "invalid": invalid, "error_types": error_types}

    def minute_counts(self, first: int, last: int, service: str | None = None) -> list[MinuteCount]:
        sql = (
            "SELECT intDiv(toUInt32(minute), 60) AS m, sum(total), sum(errors) FROM {rollup_minute}"
            " WHERE minute >= toDateTime(%(a)s) AND minute <= toDateTime(%(b)s)"
        )
        params: dict[str, Any] = {"a": max(first, 0) * 60, "b": max(last, 0) * 60}
        if service is not None:
            sql += " AND service = %(s)s"
            params["s"] = service
        rows = self._query(sql + " GROUP BY m HAVING sum(total) > 0 ORDER BY m", params)
        return [MinuteCount(int(m), int(t), int(e)) for m, t, e in rows]

    def service_window(self, first: int, last: int) -> dict[str, tuple[int, int]]:
        rows = self._query(
            "SELECT service, sum(total), sum(errors) FROM {rollup_minute}"
            " WHERE minute >= toDateTime(%(a)s) AND minute <= toDateTime(%(b)s) GROUP BY service",
            {"a": max(first, 0) * 60, "b": max(last, 0) * 60},
        )
        return {str(s): (int(t), int(e)) for s, t, e in rows}

    def services(self) -> list[ServiceInfo]:
        """Every service that sent entries, except those retired since (forget_service) that have not sent again."""
        rows = self._query(
            "SELECT service, minMerge(first_seen), maxMerge(last_seen), sumMerge(log_count), sumMerge(error_count)"
            " FROM {services} GROUP BY service ORDER BY service"
        )
        retired = {
            str(s): int(b)
            for s, b in self._query("SELECT service, max(before_ms) FROM {retired_services} GROUP BY service")
        }
        return [
            ServiceInfo(str(s), int(f), int(la), int(n), int(e))
            for s, f, la, n, e in rows
            if int(la) >= retired.get(str(s), -1)
        ]

    def top_users(self, first: int, last: int, limit: int, service: str | None = None) -> list[tuple[str, int]]:
        """Exact counts of the users a per-bucket sketch names (top_users.py)."""
        return top_users.top_users(self._query, first, last, limit, service)

    def top_services(self, first: int, last: int, limit: int) -> list[tuple[str, int]]:
        rows = self._query(
            "SELECT service, sum(total) AS n FROM {rollup_minute}"
            " WHERE minute >= toDateTime(%(a)s) AND minute <= toDateTime(%(b)s)"
            f" GROUP BY service HAVING n > 0 ORDER BY n DESC, service LIMIT {int(limit)}",
            {"a": max(first, 0) * 60, "b": max(last, 0) * 60},
        )
        return [(str(s), int(n)) for s, n in rows]

    def minute_range(self) -> tuple[int, int] | None:
        n, first, last = self._query(
            "SELECT count(), intDiv(toUInt32(min(minute)), 60), intDiv(toUInt32(max(minute)), 60)"
            " FROM {rollup_minute} WHERE total > 0"
        )[0]
        return None if not int(n) else (int(first), int(last))


_TABLE_NAMES = (
    "logs",
    "totals",
    "counters",
    "services",
    "alerts",
    "leases",
    "retired_services",
    "notifications",
    "alert_rules",
    *ROLLUPS,
    "rollup_user_top_buffer",
)
PROBE_INTERVAL = 1.0  # seconds between two health probes of a failing store
