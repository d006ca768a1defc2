"""SQLite-specific behaviour: durability across reopen, WAL, schema versions."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from loglens.store import NewAlert, StoreError
from loglens.store.migrations import SCHEMA_VERSION
from loglens.store.sqlite import SQLiteStore
from loglens.validation import StatsDelta
from tests.support.entries import T0, entry


def test_reopened_store_keeps_entries_stats_and_alerts(tmp_path: Path) -> None:
    path = str(tmp_path / "s.db")
    store = SQLiteStore(path)
    delta = StatsDelta(valid=2, invalid=1)
    delta.error_types["required"] += 1
    store.write([entry(message="kept", user="u1"), entry(level="ERROR")], delta)
    alert = store.fire_alert(NewAlert("error_rate", "api", "CRITICAL", "m", 0.5, 0.1), T0, 0)
    store.close()

    again = SQLiteStore(path)
    try:
        assert again.totals().total_logs == 2 and again.totals().total_errors == 1
        assert again.validation_stats()["error_types"] == {"required": 1}
        assert [a.id for a in again.alerts("firing")] == [alert.id if alert else -1]
        assert again.recent_logs(5)[1]["message"] == "kept"
    finally:
        again.close()


def test_file_store_uses_wal_and_full_sync(tmp_path: Path) -> None:
    store = SQLiteStore(str(tmp_path / "s.db"))
    try:
        conn = sqlite3.connect(tmp_path / "s.db")
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        conn.close()
    finally:
        store.close()


def test_memory_store_keeps_nothing_across_instances() -> None:
    first = SQLiteStore(":memory:")
    first.write([entry()], StatsDelta(valid=1))
    first.close()
    second = SQLiteStore(":memory:")
    try:
        assert second.totals().total_logs == 0
    finally:
        second.close()


def test_refuses_store_with_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer than this LogLens supports"):
        SQLiteStore(str(path))


def test_refuses_file_that_is_not_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="not a usable LogLens store"):
        SQLiteStore(str(path))


def test_upgrades_store_from_older_version(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    sqlite3.connect(path).close()  # version 0: an empty file from before the first migration
    store = SQLiteStore(str(path))
    try:
        store.write([entry()], StatsDelta(valid=1))
        assert store.totals().total_logs == 1
    finally:
        store.close()


def test_retention_deletes_entries_by_arrival_in_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import loglens.store.sqlite as sqlite_mod

    monkeypatch.setattr(sqlite_mod, "RETENTION_CHUNK", 3)
    store = SQLiteStore(str(tmp_path / "s.db"))
    try:
        for i in range(10):  # arrival times T0 + i minutes; event times all "old"
            store.write([entry(-1000, received=T0 + i * 60_000, message=f"m{i}")], StatsDelta(valid=1))
        assert store.apply_retention(T0 + 7 * 60_000) == 7
        assert [r["message"] for r in store.recent_logs(10)] == ["m9", "m8", "m7"]
        assert store.totals().stored == 3 and store.totals().total_logs == 10
        assert store.apply_retention(T0 + 7 * 60_000) == 0
        assert store.minute_counts(T0 // 60_000 - 2000, T0 // 60_000) == []  # old event-time rollups are gone
    finally:
        store.close()


def test_batches_grouped_into_one_commit_add_up_repeated_keys(tmp_path: Path) -> None:
    from loglens.store.batch import prepare

    store = SQLiteStore(str(tmp_path / "s.db"))
    try:
        first = prepare([entry(0, user="u1", received=T0 + 5), entry(0, level="ERROR", user="u1")], StatsDelta(valid=2))
        second = prepare([entry(0, user="u1", received=T0 + 9), entry(1, service="db")], StatsDelta(valid=2, invalid=1))
        store._writer.submit(lambda conn: store._apply(conn, [first, second]))  # as the writer groups them
        m0 = T0 // 60_000
        assert [(r.minute - m0, r.total, r.errors) for r in store.minute_counts(m0, m0 + 1)] == [(0, 3, 1), (1, 1, 0)]
        assert store.top_users(m0, m0 + 1, 5) == [("u1", 3)]
        assert store.top_users(m0, m0 + 90, 5) == [("u1", 3)]  # the hourly rollup
        api = next(s for s in store.services() if s.service == "api")
        assert (api.first_seen_ms, api.last_seen_ms, api.log_count, api.error_count) == (T0, T0 + 9, 3, 1)
        totals = store.totals()
        assert (totals.total_logs, totals.total_errors, totals.stored) == (4, 1, 4)
        assert store.validation_stats()["invalid"] == 1
        assert len(store.recent_logs(10)) == 4
    finally:
        store.close()


def test_upgrades_version_1_store_keeping_its_data(tmp_path: Path) -> None:
    from loglens.store.migrations import MIGRATIONS, _statements

    path = tmp_path / "v1.db"
    conn = sqlite3.connect(path)
    for statement in _statements(MIGRATIONS[0]):
        conn.execute(statement)
    conn.execute(
        "INSERT INTO logs (ts_ms, received_ms, timestamp, level, service, message)"
        " VALUES (1, 1, 't', 'INFO', 'api', 'old')"
    )
    conn.execute("INSERT INTO counters VALUES ('logs.total', 1), ('logs.stored', 1)")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    store = SQLiteStore(str(path), max_logs=2)
    try:
        store.write([entry(message="new-1"), entry(message="new-2")], StatsDelta(valid=2))
        assert [r["message"] for r in store.recent_logs(5)] == ["new-2", "new-1"]  # max_logs evicted the old one
        assert (store.totals().total_logs, store.totals().stored) == (3, 2)
    finally:
        store.close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_entries_beyond_max_logs_are_evicted_at_write_one_by_one(tmp_path: Path) -> None:
    store = SQLiteStore(str(tmp_path / "s.db"), max_logs=5)
    try:
        for i in range(4):
            store.write([entry(i, message=f"m{i}-a"), entry(i, message=f"m{i}-b")], StatsDelta(valid=2))
        totals = store.totals()
        assert (totals.total_logs, totals.stored) == (8, 5)
        assert [r["message"] for r in store.recent_logs(10)] == ["m3-b", "m3-a", "m2-b", "m2-a", "m1-b"]
    finally:
        store.close()


def test_retention_cuts_at_the_exact_minute(tmp_path: Path) -> None:
    store = SQLiteStore(str(tmp_path / "s.db"))
    try:
        store.write([entry(0), entry(1), entry(10), entry(11, user="u")], StatsDelta(valid=4))
        assert store.apply_retention(T0 + 10 * 60_000) == 2
        assert store.totals().stored == 2
        m0 = T0 // 60_000
        assert [r.minute - m0 for r in store.minute_counts(m0, m0 + 20)] == [10, 11]
    finally:
        store.close()
