"""The embedded default store: SQLite in WAL mode, one writer thread, per-thread reader connections."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from ..config import StorageSettings
from ..model import MAX_TS_MS, MIN_TS_MS, MINUTE_MS, Entry, StatsDelta
from ..search.query import Node, of_service
from . import integrity
from .base import (
    Alert,
    MinuteCount,
    NewAlert,
    SearchPage,
    ServiceInfo,
    StoreCorrupt,
    StoreError,
    StoreFull,
    StoreHealth,
    Totals,
)
from .batch import ALL_SERVICES, HOUR_MINUTES, PreparedBatch, ingest_params, prepare, search_params
from .indexer import (
    GENERATION,
    INDEX_INTERVAL,
    INDEX_SUFFIX,
    Indexer,
    attach,
    indexed_through,
    newest_rows,
    prepare_index,
)
from .migrations import UNINDEX_ROWS, migrate
from .sqlite_deadline import deadline
from .sqlite_errors import no_space, store_error
from .sqlite_keys import SQLiteKeys
from .sqlite_search import COLUMNS, Cursor, Walk, compile_query, register_functions, row_dict, tail_rows
from .topk import PRUNE_AFTER_ROWS, TOP_USERS_KEPT, Pruner, top_users_sql
from .writer import Writer

log = logging.getLogger(__name__)

MEMORY = ":memory:"
RETENTION_CHUNK = 50_000
PROBE_INTERVAL = 1.0  # seconds between two health probes of a failing store
PROBE_MIN_FREE_BYTES = 1 << 20  # free space a full disk needs again before a probe tries to write
LONG_RANGE_MINUTES = 360  # longer ranges rank services from hourly counts
INGEST = "INSERT INTO ingest (rows, minutes, users, hours, services, counters, max_logs) VALUES (?, ?, ?, ?, ?, ?, ?)"
INGEST_SEARCH = (
    "INSERT INTO ingest_search (rows, minutes, users, hours, services, counters, spans, entries, max_logs)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
UNINDEXED = "search.unindexed"  # a counter set once a store was written without the search indexes
FIELD_SAMPLE_ROWS = 2000
FIELD_SLICES = 16  # fields(): runs of entries sampled across the store, besides the latest


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
        self.integrity_pragma, self.integrity_in_background = integrity.resolve(
            integrity_check, size, sync_check_max_bytes
        )
        self._background_check: integrity.BackgroundCheck | None = None
        self._probe_lock = threading.Lock()
        self._last_probe = 0.0
        self.path = path
        self.synchronous = synchronous
        self.max_logs = max_logs
        self.search_index = search_index
        self.query_timeout = query_timeout
        self._memory = path == MEMORY
        self._shared_lock = threading.Lock() if self._memory else None
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._pruner = Pruner(top_users_kept, prune_after_rows)  # used in the writer thread only
        if not self._memory:
            try:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the data directory for {path}: {exc.strerror}") from None
        self._writer = Writer(
            self._open_writer,
            max_pending_entries=max_pending_entries,
            max_pending_bytes=max_pending_bytes,
            lock=self._shared_lock,
            on_commit=on_commit,
        )
        self.keys = SQLiteKeys(self._read, self._writer.submit)  # API keys (auth.keys.KeyStore)
        if self.integrity_pragma is not None and self.integrity_in_background:
            self._background_check = integrity.BackgroundCheck(
                self._connect, self.integrity_pragma, path, self._writer.condemn
            )
        # the search index's file (store/indexer.py): beside the store, or in memory attached to the writer's
        # connection (a :memory: store has that one connection only)
        self.index_path = None if self._memory else path + INDEX_SUFFIX
        self._index_conn: sqlite3.Connection | None = None
        self._indexer: Indexer | None = None
        if search_index:
            run = self._writer.submit if self._memory else self._run_index_job
            if not self._memory:
                try:
                    self._index_conn = self._open_index()
                except StoreFull as exc:  # the indexer opens it once there is room (_run_index_job)
                    log.warning("search index: %s; searches scan the entries it does not cover meanwhile", exc)
                except StoreError:
                    if self._background_check is not None:
                        self._background_check.stop()
                    self._writer.close()
                    raise
            self._indexer = Indexer(run, self._index_watermark, self._prune_unindexed, index_interval)

    # -- connections -------------------------------------------------------------------------------------

    def _connect(self, *, any_thread: bool = False) -> sqlite3.Connection:
        """A connection to the store; `any_thread`: used by several threads in turn, one at a time."""
        shared = any_thread or self._memory
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=not shared, timeout=10.0)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open {self.path}: {exc}") from None
        conn.execute("PRAGMA busy_timeout = 10000")
        register_functions(conn)
        return conn

    def _open_writer(self) -> sqlite3.Connection:
        conn = self._connect()
        try:
            if not self._memory:
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if mode != "wal":
                    raise StoreError(f"{self.path}: could not switch to WAL mode (got {mode})")
                conn.execute(f"PRAGMA synchronous = {self.synchronous}")
                if self.integrity_pragma is not None and not self.integrity_in_background:
                    integrity.check(conn, self.integrity_pragma, self.path)  # before anything is written
            migrate(conn, self.path)
            self._check_index_mode(conn)
            if self._memory and self.search_index:
                attach(conn, MEMORY)
                prepare_index(conn)
        except sqlite3.DatabaseError as exc:
            conn.close()
            if no_space(exc, self.path):  # the writer starts failing and opens it again later (store/writer.py)
                raise StoreFull(f"the disk holding the store is full: cannot open {self.path} ({exc})") from None
            error = store_error(exc, "open")
            cls = StoreCorrupt if isinstance(error, StoreCorrupt) else StoreError
            raise cls(f"{self.path} is not a usable LogLens store: {exc}") from None
        except StoreError:
            conn.close()
            raise
        return conn

    def _open_index(self) -> sqlite3.Connection:
        """The indexer's connection: the store (read) with the index file attached (written). An index file that
        is not a database is moved aside and rebuilt: it holds nothing the store does not."""
        assert self.index_path is not None
        for attempt in (1, 2):
            conn = self._connect(any_thread=True)  # the indexer's thread, and refresh() in its caller's
            try:
                attach(conn, self.index_path)
                conn.execute("PRAGMA ix.journal_mode = WAL")
                conn.execute("PRAGMA ix.synchronous = NORMAL")  # rebuilt from the store if a crash loses a commit
                if prepare_index(conn) and conn.execute("SELECT 1 FROM logs LIMIT 1").fetchone() is not None:
                    log.info("search index %s: building it for the stored entries, in the background", self.index_path)
                return conn
            except sqlite3.DatabaseError as exc:
                conn.close()
                if no_space(exc, self.index_path):
                    raise StoreFull(f"the disk holding the search index {self.index_path} is full ({exc})") from None
                if attempt == 2 or not isinstance(store_error(exc, "open"), StoreCorrupt):
                    raise StoreError(f"cannot open the search index {self.index_path}: {exc}") from None
                log.warning("search index %s is damaged (%s): moved aside and rebuilt", self.index_path, exc)
                for suffix in ("", "-wal", "-shm"):
                    with contextlib.suppress(FileNotFoundError):
                        os.replace(self.index_path + suffix, self.index_path + ".damaged" + suffix)
        raise AssertionError("unreachable")

    def _run_index_job(self, job: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run an index job on the indexer's connection (the Indexer runs one at a time)."""
        if self._index_conn is None:  # the disk was full when the store opened
            self._index_conn = self._open_index()
        try:
            return job(self._index_conn)
        except sqlite3.Error as exc:
            raise store_error(exc, "index") from None

    def _index_watermark(self) -> tuple[int, int]:
        with self._read() as conn:
            return newest_rows(conn)

    def _prune_unindexed(self, handled: int) -> None:
        """Forget the queued rows the indexer has handled, but the last (so that its qid is never reused)."""
        self._writer.submit(lambda conn: conn.execute("DELETE FROM unindex WHERE qid < ?", (handled,)))

    def _check_index_mode(self, conn: sqlite3.Connection) -> None:
        unindexed = conn.execute("SELECT value FROM counters WHERE name = ?", (UNINDEXED,)).fetchone()
        if self.search_index and unindexed:
            raise StoreError(
                f"{self.path} was written with storage.search_index off, so its search index is incomplete; "
                "keep it off for this store or start a new one"
            )
        if not self.search_index and not unindexed:
            conn.execute("INSERT INTO counters (name, value) VALUES (?, 1)", (UNINDEXED,))

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        try:
            if self._memory:
                assert self._shared_lock is not None and self._writer.connection is not None
                with self._shared_lock, deadline(self._writer.connection, self.query_timeout):
                    yield self._writer.connection
                return
            conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
            if conn is None:
                conn = self._connect()
                if self.index_path is not None and self.search_index:
                    attach(conn, self.index_path)
                conn.execute("PRAGMA query_only = 1")
                self._local.conn = conn
                with self._readers_lock:
                    self._readers.append(conn)
            with deadline(conn, self.query_timeout):
                yield conn
        except sqlite3.Error as exc:  # never a raw sqlite3 error to the caller (the API maps StoreError to 503)
            raise store_error(exc, "read") from None

    # -- health ------------------------------------------------------------------------------------------

    def health(self, *, probe: bool = True) -> StoreHealth:
        writer = self._writer
        if writer.failure is not None and probe:
            self._probe()
        failure, since = writer.failure, writer.failing_since
        return StoreHealth(
            error=str(failure) if failure is not None else None,
            failing_since_ms=int(since * 1000) if failure is not None and since is not None else None,
            pending_entries=writer.pending_entries,
            size_bytes=self.size_bytes(),
        )

    def _probe(self) -> None:
        """While the store is failing, try a small write (at most once per PROBE_INTERVAL), so that the store
        is seen healthy again as soon as it can take writes, even when no client writes."""
        with self._probe_lock:
            now = time.monotonic()
            if now - self._last_probe < PROBE_INTERVAL:
                return
            self._last_probe = now
        if isinstance(self._writer.failure, StoreFull) and not self._memory:
            try:  # a full disk may still take one small write into the WAL's slack: wait for real space
                if shutil.disk_usage(Path(self.path).parent).free < PROBE_MIN_FREE_BYTES:
                    return
            except OSError:
                return
        try:
            self._writer.submit(lambda conn: _add_counter(conn, "store.probes", 1))
        except StoreError:
            pass  # still failing: the writer remembered why

    def size_bytes(self) -> int:
        """Bytes of the store's files on disk (the database, its WAL and shared-memory index, and the same of the
        search index's file)."""
        if self._memory:
            return 0
        total = 0
        for base in (self.path, self.index_path):
            for suffix in ("", "-wal", "-shm"):
                try:
                    total += os.stat(f"{base}{suffix}").st_size
                except OSError:
                    pass
        return total

    def maintain(self) -> None:
        """Compact the user rollups the writes since the last compaction touched (store/topk.py)."""
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
        if self._indexer is not None:
            self._indexer.close()
        if self._index_conn is not None:
            self._index_conn.close()
        self._writer.close()
        with self._readers_lock:
            for conn in self._readers:
                try:
                    conn.close()
                except sqlite3.ProgrammingError:  # closed by its own thread already
                    pass
            self._readers.clear()

    # -- writes ------------------------------------------------------------------------------------------

    def write(self, entries: Sequence[Entry], delta: StatsDelta, *, nbytes: int = 0) -> None:
        # in the caller's thread: the writer thread only runs SQL
        batch = prepare(entries, delta, tokens=self.search_index)
        self._writer.submit_batch(self._apply, batch, entries=len(entries), nbytes=nbytes)

    async def write_async(self, entries: Sequence[Entry], delta: StatsDelta, *, nbytes: int = 0) -> None:
        batch = prepare(entries, delta, tokens=self.search_index)
        await self._writer.submit_batch_async(self._apply, batch, entries=len(entries), nbytes=nbytes)

    def _apply(self, conn: sqlite3.Connection, batches: list[PreparedBatch]) -> None:
        """Apply the batches the writer grouped together, in ONE statement (the `ingest` trigger, migration 2).

        Entries, rollups, counters and max_logs eviction then commit in a single sqlite3_step, which runs without
        the GIL from start to fsync.
        """
        if self.search_index:
            conn.execute(INGEST_SEARCH, search_params(batches, self.max_logs))
        else:  # the schema-2 statement: no time path, no word index (benchmarks compare against it)
            conn.execute(INGEST, ingest_params(batches, self.max_logs))
        for batch in batches:
            self._pruner.wrote(conn, batch.user_rows, batch.user_minutes)

    def apply_retention(self, cutoff_ms: int) -> int:
        """Delete rollups older than `cutoff_ms` (event time) and entries that arrived before it.

        Entries go by arrival order (id), which needs no index on event time: that index cost ingest nearly half
        its speed. Deletes run in chunks so that ingestion waits for at most one chunk at a time.
        """

        def rollups(conn: sqlite3.Connection) -> int | None:
            cutoff_minute = cutoff_ms // 60_000
            conn.execute("DELETE FROM rollup_minute WHERE minute < ?", (cutoff_minute,))
            conn.execute("DELETE FROM rollup_user WHERE minute < ?", (cutoff_minute,))
            conn.execute("DELETE FROM rollup_user_hour WHERE hour < ?", (cutoff_minute // HOUR_MINUTES,))
            first = conn.execute("SELECT id FROM logs ORDER BY id LIMIT 1").fetchone()
            conn.execute("DELETE FROM log_minutes WHERE last_id < ?", (first[0] if first else 1 << 62,))
            return _last_id_received_before(conn, cutoff_ms)

        boundary: int | None = self._writer.submit(rollups)
        deleted = 0
        while boundary is not None:

            def chunk(conn: sqlite3.Connection, boundary: int = boundary) -> int:
                first = conn.execute("SELECT id FROM logs ORDER BY id LIMIT 1").fetchone()
                if first is None or first[0] > boundary:
                    return -1
                upto = min(boundary, first[0] + RETENTION_CHUNK - 1)
                if self.search_index:  # the indexer deletes them from the search index (migration 12)
                    conn.execute(f"{UNINDEX_ROWS} id <= ?", (upto,))
                n = conn.execute("DELETE FROM logs WHERE id <= ?", (upto,)).rowcount
                conn.execute("DELETE FROM log_minutes WHERE last_id <= ?", (upto,))
                _add_counter(conn, "logs.stored", -n)
                if self.search_index and conn.execute("SELECT 1 FROM logs LIMIT 1").fetchone() is None:
                    # none left: SQLite numbers the next entry 1 again, below the indexer's mark; a new generation
                    # makes searches scan until the indexer has started the index over (store/indexer.py)
                    _add_counter(conn, GENERATION, 1)
                return int(n)

            n = self._writer.submit(chunk)
            if n < 0:
                break
            deleted += n
        return deleted

    def fire_alert(self, alert: NewAlert, now_ms: int, cooldown_ms: int) -> Alert | None:
        def run(conn: sqlite3.Connection) -> Alert | None:
            blocked = conn.execute(
                "SELECT 1 FROM alerts WHERE rule = ? AND service = ? AND (state = 'firing' OR fired_at_ms > ?) LIMIT 1",
                (alert.rule, alert.service, now_ms - cooldown_ms),
            ).fetchone()
            if blocked:
                return None
            row = conn.execute(
                "INSERT INTO alerts (rule, service, severity, message, value, threshold, state, fired_at_ms)"
                " VALUES (?, ?, ?, ?, ?, ?, 'firing', ?) RETURNING *",
                (
                    alert.rule,
                    alert.service,
                    alert.severity,
                    alert.message,
                    alert.value,
                    alert.threshold,
                    now_ms,
                ),
            ).fetchone()
            return _alert(row)

        result: Alert | None = self._writer.submit(run)
        return result

    def resolve_alert(self, alert_id: int, now_ms: int, reason: str | None = None) -> Alert | None:
        def run(conn: sqlite3.Connection) -> Alert | None:
            row = conn.execute(
                "UPDATE alerts SET state = 'resolved', resolved_at_ms = ?, resolved_reason = ?"
                " WHERE id = ? AND state = 'firing' RETURNING *",
                (now_ms, reason, alert_id),
            ).fetchone()
            return _alert(row) if row else None

        result: Alert | None = self._writer.submit(run)
        return result

    def ack_alert(self, alert_id: int, now_ms: int) -> Alert | None:
        def run(conn: sqlite3.Connection) -> Alert | None:
            row = conn.execute(
                "UPDATE alerts SET acked_at_ms = coalesce(acked_at_ms, ?) WHERE id = ? AND state = 'firing'"
                " RETURNING *",
                (now_ms, alert_id),
            ).fetchone()
            return _alert(row) if row else None

        result: Alert | None = self._writer.submit(run)
        return result

    def forget_service(self, service: str, silent_since_ms: int) -> bool:
        def run(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "DELETE FROM services WHERE service = ? AND last_seen_ms < ?", (service, silent_since_ms)
            )
            return cursor.rowcount > 0

        result: bool = self._writer.submit(run)
        return result

    def alert(self, alert_id: int) -> Alert | None:
        with self._read() as conn:
            row = conn.execute("SELECT * FROM alerts WHERE id = ?", (alert_id,)).fetchone()
        return _alert(row) if row else None

    # -- reads -------------------------------------------------------------------------------------------

    def totals(self) -> Totals:
        with self._read() as conn:
            values = dict(conn.execute("SELECT name, value FROM counters WHERE name LIKE 'logs.%'").fetchall())
        return Totals(values.get("logs.total", 0), values.get("logs.errors", 0), values.get("logs.stored", 0))

    def validation_stats(self) -> dict[str, Any]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT name, value FROM counters WHERE name LIKE 'validation.%' OR name LIKE 'error_type.%'"
            ).fetchall()
        values = dict(rows)
        valid, invalid = values.get("validation.valid", 0), values.get("validation.invalid", 0)
        error_types = {k.split(".", 1)[1]: v for k, v in sorted(values.items()) if k.startswith("error_type.")}
        return {"total": valid + invalid, "valid": valid, "invalid": invalid, "error_types": error_types}

    def minute_counts(self, first: int, last: int, service: str | None = None) -> list[MinuteCount]:
        """One row per minute of the scope (a service, or ALL_SERVICES): point lookups, however many services."""
        scope = ALL_SERVICES if service is None else service
        with self._read() as conn:
            rows = conn.execute(
                "SELECT minute, total, errors FROM rollup_minute WHERE minute IN (SELECT value FROM json_each(?))"
                " AND service = ? ORDER BY minute",
                (_json_range(first, last), scope),
            ).fetchall()
        return [MinuteCount(m, t, e) for m, t, e in rows]

    def service_window(self, first: int, last: int) -> dict[str, tuple[int, int]]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT service, SUM(total), SUM(errors) FROM rollup_minute WHERE minute BETWEEN ? AND ?"
                " AND service != '' GROUP BY service",
                (first, last),
            ).fetchall()
        return {s: (t, e) for s, t, e in rows}

    def services(self) -> list[ServiceInfo]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT service, first_seen_ms, last_seen_ms, log_count, error_count FROM services ORDER BY service"
            ).fetchall()
        return [ServiceInfo(*r) for r in rows]

    def top_users(self, first: int, last: int, limit: int, service: str | None = None) -> list[tuple[str, int]]:
        """Approximate: from the users each bucket kept (store/topk.py). Long ranges read hourly buckets (the
        range's edges round out to whole hours)."""
        long_range = last - first + 1 > HOUR_MINUTES
        if long_range:
            buckets = range(first // HOUR_MINUTES, last // HOUR_MINUTES + 1)
            dirty = {m // HOUR_MINUTES for m in self._pruner.dirty_minutes()}
        else:
            buckets = range(first, last + 1)
            dirty = set(self._pruner.dirty_minutes())
        params: tuple[Any, ...]
        if service is None:
            clean = orjson.dumps([b for b in buckets if b not in dirty]).decode()
            params = (clean, orjson.dumps([b for b in buckets if b in dirty]).decode(), limit)
        else:
            params = (_json_range(buckets.start, buckets.stop - 1), service, limit)
        with self._read() as conn:
            rows = conn.execute(top_users_sql(long_range, service is None), params)
            return [(u, n) for u, n in rows.fetchall()]

    def top_services(self, first: int, last: int, limit: int) -> list[tuple[str, int]]:
        """Up to LONG_RANGE_MINUTES from the minute rollup; longer ranges from each known service's hourly count
        (rollup_user_hour's ANY_USER rows; the range's edges round out to whole hours)."""
        if last - first + 1 <= LONG_RANGE_MINUTES:
            sql = (
                "SELECT service, SUM(total) AS n FROM rollup_minute WHERE minute BETWEEN ? AND ? AND service != ''"
                " GROUP BY service ORDER BY n DESC, service LIMIT ?"
            )
            params: tuple[Any, ...] = (first, last, limit)
        else:
            sql = (
                "SELECT service, SUM(count) AS n FROM rollup_user_hour WHERE hour IN (SELECT value FROM json_each(?))"
                " AND service IN (SELECT service FROM services) AND user_id = ''"
                " GROUP BY service ORDER BY n DESC, service LIMIT ?"
            )
            params = (_json_range(first // HOUR_MINUTES, last // HOUR_MINUTES), limit)
        with self._read() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [(s, n) for s, n in rows]

    def recent_logs(self, limit: int, service: str | None = None) -> list[dict[str, Any]]:
        """The newest entries by event time (the search's time access path), optionally of one service."""
        return self.search(of_service(service), limit=limit).logs

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
        compiled = compile_query(query)
        with self._read() as conn:
            indexed = indexed_through(conn) if self.search_index else 0
            walk = Walk(
                conn, compiled, from_ms=from_ms, to_ms=to_ms, after=after, use_index=self.search_index, indexed=indexed
            )
            rows, more = walk.page(limit)
        next_cursor = (rows[-1][1], rows[-1][0]) if more and rows else None
        return SearchPage([row_dict(r) for r in rows], next_cursor)

    def refresh(self) -> None:
        """Index every committed entry now (the indexer does it within index_interval on its own)."""
        if self._indexer is not None:
            self._indexer.catch_up()

    def get_log(self, log_id: int) -> dict[str, Any] | None:
        with self._read() as conn:
            row = conn.execute(f"SELECT {COLUMNS} FROM logs WHERE logs.id = ?", (log_id,)).fetchone()
        return row_dict(row) if row is not None else None

    def last_id(self) -> int:
        with self._read() as conn:
            row = conn.execute("SELECT id FROM logs ORDER BY id DESC LIMIT 1").fetchone()
        return int(row[0]) if row else 0

    def tail(self, query: Node, after_id: int, upto_id: int, limit: int) -> list[dict[str, Any]]:
        compiled = compile_query(query)
        with self._read() as conn:
            rows = tail_rows(conn, compiled, after_id, upto_id, limit)
        return [row_dict(r) for r in rows]

    def fields(self, sample_values: int) -> dict[str, list[str]]:
        """Metadata keys seen across the store, each with up to `sample_values` distinct values (as text): the
        latest entries, then FIELD_SLICES runs of entries spread evenly over the ids (the order of arrival), so a
        key that only older batches carry is offered too. Bounded cost: about 2 x FIELD_SAMPLE_ROWS rows, read by
        the primary key, whatever the store's size."""
        pick = (
            "SELECT j.key, j.value, j.type FROM ({}) AS part, json_each(part.metadata) AS j"
            " WHERE j.type IN ('text', 'integer', 'real', 'true', 'false')"
        )
        per_slice = max(1, FIELD_SAMPLE_ROWS // FIELD_SLICES)
        with self._read() as conn:
            rows = conn.execute(
                pick.format("SELECT metadata FROM logs ORDER BY id DESC LIMIT ?"), (FIELD_SAMPLE_ROWS,)
            ).fetchall()
            # one probe each: min(id) and max(id) in one SELECT scan the whole table
            low, high = conn.execute("SELECT (SELECT min(id) FROM logs), (SELECT max(id) FROM logs)").fetchone()
            if low is not None and high - low + 1 > FIELD_SAMPLE_ROWS:
                for k in range(FIELD_SLICES):
                    start = low + (high - low) * k // FIELD_SLICES
                    rows += conn.execute(
                        pick.format("SELECT metadata FROM logs WHERE id >= ? ORDER BY id LIMIT ?"), (start, per_slice)
                    ).fetchall()
        out: dict[str, list[str]] = {}
        for key, value, kind in rows:
            values = out.setdefault(str(key), [])
            text = kind if kind in ("true", "false") else str(value)
            if len(values) < sample_values and text not in values:
                values.append(text)
        return dict(sorted(out.items()))

    def minute_range(self) -> tuple[int, int] | None:
        """The first and last minute holding entries, within the accepted event times: a store written before they
        were enforced may hold an entry in year 10000 (or 0), which no read may trip over (ClickHouse's DateTime
        cannot hold one at all)."""
        bounds = (MIN_TS_MS // MINUTE_MS, MAX_TS_MS // MINUTE_MS)
        where = "FROM rollup_minute WHERE minute BETWEEN ? AND ? ORDER BY minute"
        with self._read() as conn:
            first = conn.execute(f"SELECT minute {where} LIMIT 1", bounds).fetchone()
            last = conn.execute(f"SELECT minute {where} DESC LIMIT 1", bounds).fetchone()
        return None if first is None else (first[0], last[0])

    def alerts(self, state: str = "all", limit: int = 100) -> list[Alert]:
        sql = "SELECT * FROM alerts"
        params: list[Any] = []
        if state != "all":
            sql += " WHERE state = ?"
            params.append(state)
        with self._read() as conn:
            rows = conn.execute(sql + " ORDER BY id DESC LIMIT ?", [*params, limit]).fetchall()
        return [_alert(r) for r in rows]

    def alert_counts(self) -> dict[tuple[str, str], int]:
        with self._read() as conn:
            rows = conn.execute("SELECT rule, state, COUNT(*) FROM alerts GROUP BY rule, state").fetchall()
        return {(rule, state): n for rule, state, n in rows}


def _json_range(first: int, last: int) -> str:
    """first..last inclusive as a JSON array, for `x IN (SELECT value FROM json_each(?))` point lookups."""
    return orjson.dumps(list(range(first, last + 1))).decode()


def _last_id_received_before(conn: sqlite3.Connection, cutoff_ms: int) -> int | None:
    """The highest id whose entry arrived before `cutoff_ms` (ids grow with arrival): a binary search on rowid."""
    first = conn.execute("SELECT id FROM logs ORDER BY id LIMIT 1").fetchone()
    last = conn.execute("SELECT id FROM logs ORDER BY id DESC LIMIT 1").fetchone()
    if first is None:
        return None
    lo, hi, found = first[0], last[0], None
    while lo <= hi:
        mid = (lo + hi) // 2
        row = conn.execute("SELECT id, received_ms FROM logs WHERE id >= ? ORDER BY id LIMIT 1", (mid,)).fetchone()
        if row is None or row[1] >= cutoff_ms:
            hi = mid - 1
        else:
            found, lo = row[0], row[0] + 1
    return found


def _add_counter(conn: sqlite3.Connection, name: str, n: int) -> None:
    if n:
        conn.execute(
            "INSERT INTO counters (name, value) VALUES (?, ?)"
            " ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
            (name, n),
        )


def _alert(row: tuple[Any, ...]) -> Alert:
    return Alert(*row)  # the columns in table order: migration 1's, then acked_at_ms and resolved_reason (3)
