"""A bare word or phrase also matches service, user_id and metadata strings: on stores upgraded from before that
(SQLite migration 18 and its index rebuild; ClickHouse's `field_words` column), before and after the rebuild."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from loglens.model import Entry
from loglens.search.query import parse
from loglens.store import Store
from loglens.store.clickhouse.store import LOG_COLUMNS
from loglens.store.sqlite import SQLiteStore, indexer
from loglens.store.sqlite.indexer import INDEX_SUFFIX, index_pending, indexed_through
from loglens.store.sqlite.migrations import SCHEMA_VERSION
from loglens.validation import StatsDelta
from tests.support.entries import BASE_MS, make_entry

FIELD_QUERIES = {  # a query of field words -> the entry numbers it finds (in entries() below)
    "checkout": [3, 0],  # the service `checkout-svc`
    "ünïcode": [1],  # a word of the user id `Bob-Ünïcode`
    '"eu west"': [2],  # a phrase within one metadata string
    "zed": [2],  # after a NUL in a metadata string
    "message:checkout": [],  # the message only
    '"svc bob"': [],  # never across two fields
}


def entries(first: int, count: int) -> list[Entry]:
    out = []
    for i in range(first, first + count):
        k = i % 4
        out.append(
            make_entry(
                i,
                BASE_MS + i * 1000,
                f"plain {i}",
                service="checkout-svc" if k in (0, 3) else "auth",
                user_id="Bob-Ünïcode" if k == 1 else None,
                metadata={"region": "EU-West\x00zed", "n": 7} if k == 2 else {"n": 8},
            )
        )
    return out


def found(store: Store, query: str) -> list[int]:
    """The entry numbers (message `plain N`) the query finds, newest first."""
    return [int(log["message"].split()[1]) for log in store.search(parse(query), limit=1000).logs]


def expected(query: str, first: int, count: int) -> list[int]:
    kinds = FIELD_QUERIES[query]
    return [i for i in range(first + count - 1, first - 1, -1) if i % 4 in kinds]


def downgrade_to_message_only_index(path: Path) -> None:
    """Make a store written by this code look as one from before migration 18: its schema version, no queue
    trigger, no per-level rollups (migration 19, which startup then applies again), and an index file of version 1
    whose word index holds each message only."""
    conn = sqlite3.connect(path, isolation_level=None)
    assert SCHEMA_VERSION >= 18
    conn.execute("PRAGMA user_version = 17")
    conn.execute("DROP TRIGGER unindex_words")
    conn.execute("DROP TABLE rollup_level")
    conn.execute("DROP TABLE rollup_level_hour")
    conn.execute("ATTACH DATABASE ? AS ix", (str(path) + INDEX_SUFFIX,))
    conn.execute("INSERT INTO ix.search (search) VALUES ('delete-all')")
    conn.execute("INSERT INTO ix.search (rowid, text) SELECT id, message FROM logs")
    conn.execute("PRAGMA ix.user_version = 1")
    conn.close()


def index_integrity(path: Path) -> None:
    conn = sqlite3.connect(str(path) + INDEX_SUFFIX)
    for table in ("search", "fields"):  # raises if a delete did not remove exactly what was indexed
        conn.execute(f"INSERT INTO {table} ({table}) VALUES ('integrity-check')")
    conn.close()


def test_an_upgraded_store_finds_field_words_before_and_after_its_index_is_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.db"
    store = SQLiteStore(str(path), index_interval=3600)
    store.write(entries(0, 40), StatsDelta(40))
    store.refresh()
    store.close()
    downgrade_to_message_only_index(path)

    monkeypatch.setattr(indexer, "CHUNK", 15)  # the rebuild goes in jobs of 15 entries
    store = SQLiteStore(str(path), index_interval=3600)  # the test runs the indexer's jobs
    try:
        with store._connections.read() as conn:
            assert indexed_through(conn) == 0  # the old index was dropped: every row is checked one by one
        for query in FIELD_QUERIES:
            assert found(store, query) == expected(query, 0, 40), query
        assert store._index is not None
        store._index._run_job(index_pending)  # one job of the rebuild
    finally:
        store.close()

    store = SQLiteStore(str(path), index_interval=3600)  # reopened: the rebuild goes on where it stopped
    try:
        with store._connections.read() as conn:
            assert indexed_through(conn) == 15
        for query in FIELD_QUERIES:  # the first 15 through the index, the others one by one
            assert found(store, query) == expected(query, 0, 40), query
        store.refresh()
        with store._connections.read() as conn:
            assert indexed_through(conn) == 40
            ids = {row[0] for row in conn.execute("SELECT rowid FROM search WHERE search MATCH 'checkout'")}
        assert ids == {i + 1 for i in range(40) if i % 4 in (0, 3)}  # the index holds the service's words
        for query in FIELD_QUERIES:
            assert found(store, query) == expected(query, 0, 40), query
    finally:
        store.close()


def test_entries_leave_the_rebuilt_index_with_the_words_they_were_indexed_with(tmp_path: Path) -> None:
    path = tmp_path / "evict.db"
    store = SQLiteStore(str(path), index_interval=3600, max_logs=40)
    try:
        store.write(entries(0, 40), StatsDelta(40))
        store.refresh()
        store.write(entries(40, 20), StatsDelta(20))  # past max_logs: entries 0-19 go, queued for the indexer
        store.refresh()
        assert store.apply_retention(BASE_MS + 30) == 10  # entries 20-29 go too (received before the cutoff)
        store.refresh()
        for query in FIELD_QUERIES:
            assert found(store, query) == expected(query, 30, 30), query
    finally:
        store.close()
    index_integrity(path)
    conn = sqlite3.connect(str(path) + INDEX_SUFFIX)
    for word, kinds in (("checkout", (0, 3)), ("bob", (1,)), ("west", (2,)), ("plain", (0, 1, 2, 3))):
        ids = {row[0] for row in conn.execute("SELECT rowid FROM search WHERE search MATCH ?", (word,))}
        assert ids == {i + 1 for i in range(30, 60) if i % 4 in kinds}, word  # none of the deleted rows left
    conn.close()


# -- ClickHouse: entries stored before `field_words` existed ------------------------------------------------------

OLD_COLUMNS = tuple(c for c in LOG_COLUMNS if c != "field_words")  # the columns before migration 8


@pytest.fixture(params=["clickhouse-18", "clickhouse-26-chdb"])
def ch_opener(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Any]]:
    from tests.store.conftest import OPENERS

    opened: list[Store] = []

    def open_store() -> Any:
        store = OPENERS[str(request.param)](request, tmp_path)
        opened.append(store)
        return store

    yield open_store
    for store in opened:
        store.close()


def test_clickhouse_entries_stored_before_field_words_are_found_by_their_fields(ch_opener: Callable[[], Any]) -> None:
    import orjson

    from loglens.store.clickhouse.search import message_words, meta_arrays

    store = ch_opener()
    database = store.database
    conn = store._connect()
    try:
        conn.query(f"ALTER TABLE {database}.logs DROP COLUMN field_words")  # as before the migration
        conn.query(f"DROP TABLE {database}.schema_version")  # every migration runs again: they are idempotent
        rows = [
            (
                1000 + i,
                e.ts_ms,
                e.received_ms,
                e.timestamp,
                e.level,
                e.service,
                e.message,
                e.user_id,
                orjson.dumps(e.metadata).decode() if e.metadata is not None else None,
                message_words(e.message),
                *meta_arrays(e.metadata),
            )
            for i, e in enumerate(entries(0, 20))
        ]
        conn.insert(f"{database}.logs", OLD_COLUMNS, rows)
    finally:
        conn.close()
    store.close()

    store = ch_opener()  # migrates: the column comes back, read from its DEFAULT for the old rows
    store.write(entries(20, 20), StatsDelta(20))
    for query in FIELD_QUERIES:
        assert found(store, query) == expected(query, 0, 40), query
