"""The store's search: time order over late entries, keyset pages, eviction and retention, and migrating in place."""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from loglens.model import Entry
from loglens.search.query import parse
from loglens.store import Store, StoreError
from loglens.store.batch import ingest_params, prepare, search_params
from loglens.store.indexer import INDEX_SUFFIX, indexed_through
from loglens.store.migrations import _FIELDS_TEXT_V10, MIGRATIONS, _statements
from loglens.store.sqlite import INGEST, INGEST_SEARCH, SQLiteStore
from loglens.store.sqlite_search import register_functions
from loglens.validation import StatsDelta
from tests.support.entries import BASE_MS, make_entry


def all_pages(store: Store, query: str, limit: int) -> list[int]:
    ids: list[int] = []
    after = None
    while True:
        page = store.search(parse(query), limit=limit, after=after)
        ids += [log["id"] for log in page.logs]
        if page.next is None:
            return ids
        after = page.next


def test_late_entries_take_their_place_in_event_time(store: Store) -> None:
    # in order over ~2 hours, every 40th arriving 90 minutes late
    entries = []
    for i in range(2000):
        ts = BASE_MS + i * 3_500 - (5_400_000 if i % 40 == 0 else 0)
        entries.append(make_entry(i, ts, level="ERROR" if i % 3 == 0 else "INFO"))
    for k in range(0, 2000, 250):
        store.write(entries[k : k + 250], StatsDelta(250))
        if k == 1000:
            store.refresh()  # half through the word index, half newer than it
    by_time = sorted(range(2000), key=lambda i: (entries[i].ts_ms, i), reverse=True)
    assert all_pages(store, "", 33) == [i + 1 for i in by_time]
    assert all_pages(store, "entry", 40) == [i + 1 for i in by_time]
    assert all_pages(store, "level:ERROR", 50) == [i + 1 for i in by_time if i % 3 == 0]
    assert [log["id"] for log in store.recent_logs(5)] == [i + 1 for i in by_time[:5]]


def test_pages_after_eviction_hold_each_kept_match_once(make_store: Callable[..., Store]) -> None:
    """The issue's small case: max_logs 20,000 of 60,000 entries half a second apart, 3% up to an hour late."""
    store = make_store(max_logs=20_000)
    rnd = random.Random(3)
    entries = []
    for i in range(60_000):
        ts = BASE_MS + i * 500 - (rnd.randint(0, 3_600_000) if rnd.random() < 0.03 else 0)
        words = "alpha beta" if i % 3 == 0 else "beta gamma"
        entries.append(make_entry(i, ts, f"{words} {i}", service=f"svc-{i % 7}"))
    for k in range(0, 60_000, 1000):
        store.write(entries[k : k + 1000], StatsDelta(1000))
        if k % 7000 == 0:
            store.refresh()
    kept = sorted(range(40_000, 60_000), key=lambda i: (entries[i].ts_ms, i), reverse=True)  # the newest arrivals
    assert all_pages(store, "alpha", 1000) == [i + 1 for i in kept if i % 3 == 0]
    assert all_pages(store, "service:svc-3", 1000) == [i + 1 for i in kept if i % 7 == 3]
    assert all_pages(store, "", 100)[:3000] == [i + 1 for i in kept[:3000]]


def test_from_to_bounds_are_half_open(store: Store) -> None:
    store.write([make_entry(i, BASE_MS + i * 60_000) for i in range(10)], StatsDelta(10))
    page = store.search(parse(""), from_ms=BASE_MS + 2 * 60_000, to_ms=BASE_MS + 5 * 60_000)
    assert [log["message"] for log in page.logs] == ["entry number 4", "entry number 3", "entry number 2"]


def test_evicted_entries_leave_the_word_index(make_store: Callable[..., Store]) -> None:
    store = make_store(max_logs=100)
    for k in range(3):
        store.write(
            [make_entry(k * 100 + i, BASE_MS + k * 100 + i, f"batch{k} word") for i in range(100)], StatsDelta(100)
        )
    assert all_pages(store, "word", 1000) == list(range(300, 200, -1))
    assert store.search(parse("batch0")).logs == []
    assert len(store.search(parse("batch2"), limit=1000).logs) == 100


def test_retention_removes_entries_from_search(store: Store) -> None:
    old = [make_entry(i, BASE_MS + i, "stale thing") for i in range(50)]
    store.write(old, StatsDelta(50))
    store.refresh()
    fresh = [
        make_entry(100 + i, BASE_MS + 10_000_000 + i, "fresh thing")._replace(received_ms=BASE_MS + 10_000_000)
        for i in range(50)
    ]
    store.write(fresh, StatsDelta(50))
    assert store.apply_retention(BASE_MS + 5_000_000) == 50
    assert [log["message"] for log in store.search(parse("thing"), limit=1000).logs] == ["fresh thing"] * 50


def test_a_schema_2_store_is_migrated_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    for version, script in enumerate(MIGRATIONS[:2], 1):
        for statement in _statements(script):
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {version}")
    old = [make_entry(i, BASE_MS + (40 - i) * 1000, f"legacy entry {i}", user_id=f"user-{i % 4}") for i in range(40)]
    conn.execute(INGEST, ingest_params([prepare(old, StatsDelta(40))], 1000))
    # today's batches also carry the all-services ('') and all-users ('') rollup rows that migration 6 derives;
    # a schema-2 writer never wrote them
    conn.execute("DELETE FROM rollup_minute WHERE service = ''")
    conn.execute("DELETE FROM rollup_user WHERE service = '' OR user_id = ''")
    conn.execute("DELETE FROM rollup_user_hour WHERE service = '' OR user_id = ''")
    conn.close()

    store = SQLiteStore(str(path))
    try:
        assert [log["message"] for log in store.recent_logs(3)] == [
            "legacy entry 0",
            "legacy entry 1",
            "legacy entry 2",
        ]
        assert len(store.search(parse("legacy user_id:user-1"), limit=100).logs) == 10
        store.write([make_entry(99, BASE_MS + 99_000, "new legacy entry")], StatsDelta(1))
        assert [log["message"] for log in store.search(parse("legacy"), limit=2).logs] == [
            "new legacy entry",
            "legacy entry 0",
        ]
    finally:
        store.close()


def test_rows_indexed_by_schema_10_are_found_and_evicted_after_the_upgrade(tmp_path: Path) -> None:
    """Migration 11 leaves the field index's older rows with migration 10's tokens: lookups ask for both forms,
    and evicting them deletes exactly the tokens they were indexed with (FTS5's integrity-check says so)."""
    path = tmp_path / "v10.db"
    conn = sqlite3.connect(path, isolation_level=None)
    register_functions(conn)
    conn.execute("PRAGMA legacy_alter_table = ON")  # as migrate() runs them
    for version, script in enumerate(MIGRATIONS[:10], 1):
        for statement in _statements(script):
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {version}")

    def entries(first: int, text: str) -> list[Entry]:
        return [
            make_entry(i, BASE_MS + i * 1000, f"{text} {i}", user_id=f"user-{i % 4}", metadata={"request_id": f"r-{i}"})
            for i in range(first, first + 40)
        ]

    conn.execute(INGEST_SEARCH, search_params([prepare(entries(0, "old"), StatsDelta(40), tokens=False)], 1000))
    conn.execute(f"INSERT INTO fields (rowid, text) SELECT id, {_FIELDS_TEXT_V10} FROM logs")
    conn.execute("INSERT INTO search (rowid, text) SELECT id, message FROM logs")
    conn.execute(
        "INSERT INTO counters (name, value) VALUES ('search.indexed', 40)"
        " ON CONFLICT (name) DO UPDATE SET value = excluded.value"
    )
    conn.close()

    store = SQLiteStore(str(path), max_logs=80)
    try:
        store.write(entries(100, "new"), StatsDelta(40))
        store.refresh()

        def messages(query: str) -> list[str]:
            return [log["message"] for log in store.search(parse(query), limit=100).logs]

        assert messages("metadata.request_id:r-7") == ["old 7"]
        assert messages("metadata.request_id:r-107") == ["new 107"]
        users = [f"old {i}" for i in range(1, 40, 4)] + [f"new {i}" for i in range(101, 140, 4)]
        assert sorted(messages("user_id:user-1")) == sorted(users)
        store.write(entries(200, "newer"), StatsDelta(40))  # past max_logs: the 40 old rows go
        store.refresh()
        assert messages("metadata.request_id:r-7") == []
        assert messages("metadata.request_id:r-207") == ["newer 207"]
    finally:
        store.close()
    conn = sqlite3.connect(path)  # migration 12 moved the indexes into their own file, and rebuilt them there
    assert not conn.execute("SELECT name FROM sqlite_schema WHERE name IN ('search', 'fields')").fetchall()
    conn.close()
    conn = sqlite3.connect(str(path) + INDEX_SUFFIX)
    conn.execute("INSERT INTO fields (fields) VALUES ('integrity-check')")  # raises if a delete did not match
    conn.close()


def test_tail_reads_new_matches_in_commit_order(store: Store) -> None:
    store.write([make_entry(i, BASE_MS - i * 1000, "x" if i % 2 else "y") for i in range(10)], StatsDelta(10))
    assert store.last_id() == 10
    assert [log["id"] for log in store.tail(parse("x"), 3, 10, 100)] == [4, 6, 8, 10]
    assert [log["id"] for log in store.tail(parse("x"), 3, 10, 2)] == [4, 6]


def test_pages_return_every_match_once_while_entries_arrive(store: Store) -> None:
    existing = [make_entry(i, BASE_MS + (i * 7919) % 600_000, "steady") for i in range(1500)]
    for k in range(0, 1500, 300):
        store.write(existing[k : k + 300], StatsDelta(300))
    stop = threading.Event()

    def keep_writing() -> None:
        n = 0
        while not stop.is_set() and n < 20_000:  # new entries all over the same time range, and newer ones
            store.write(
                [make_entry(10_000 + n + j, BASE_MS + ((n + j) * 104_729) % 700_000, "steady") for j in range(50)],
                StatsDelta(50),
            )
            n += 50

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        seen: list[int] = []
        after = None
        while True:
            page = store.search(parse("steady"), limit=40, after=after)
            seen += [log["id"] for log in page.logs]
            if page.next is None:
                break
            after = page.next
    finally:
        stop.set()
        writer.join()
    assert len(seen) == len(set(seen)), "an entry came back twice"
    assert set(range(1, 1501)) <= set(seen), "an entry stored before the first page was missed"


def test_a_store_written_without_the_search_index_refuses_it_later(tmp_path: Path) -> None:
    path = str(tmp_path / "plain.db")
    plain = SQLiteStore(path, search_index=False)
    try:
        plain.write([make_entry(i, BASE_MS + i, "no index here") for i in range(5)], StatsDelta(5))
        assert [log["id"] for log in plain.search(parse("index"), limit=3).logs] == [5, 4, 3]  # by scanning
    finally:
        plain.close()
    with pytest.raises(StoreError, match="search_index"):
        SQLiteStore(path)


def test_the_indexer_catches_up_on_its_own(make_store: Callable[..., Store]) -> None:
    store = make_store()
    store.write([make_entry(i, BASE_MS + i, "catch me") for i in range(30)], StatsDelta(30))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with store._read() as conn:  # type: ignore[attr-defined]
            if indexed_through(conn) == 30:
                break
        time.sleep(0.05)
    else:
        pytest.fail("the indexer did not index 30 entries within 10 s")
    assert len(store.search(parse('"catch me"'), limit=100).logs) == 30


def test_ids_that_start_again_after_retention_emptied_the_store_are_searched(tmp_path: Path) -> None:
    """Retention can delete every entry; SQLite then gives the next one id 1 again, below the indexer's mark."""
    store = SQLiteStore(str(tmp_path / "again.db"), index_interval=3600)
    try:
        store.write([make_entry(i, BASE_MS + i, f"old {i}") for i in range(40)], StatsDelta(40))
        store.refresh()
        assert store.apply_retention(BASE_MS + 10**9) == 40
        store.write([make_entry(i, BASE_MS + i, f"new {i}") for i in range(1000, 1010)], StatsDelta(10))
        assert store.last_id() == 10
        expected = [f"new {i}" for i in range(1009, 999, -1)]
        assert [log["message"] for log in store.search(parse("new"), limit=100).logs] == expected
        store.refresh()
        assert [log["message"] for log in store.search(parse("new"), limit=100).logs] == expected
        assert store.search(parse("old"), limit=100).logs == []
    finally:
        store.close()
