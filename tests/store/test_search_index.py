"""The search index's own file (store/indexer.py): indexing takes no lock on the store, the file is rebuilt when it
is damaged or foreign, and entries that leave the store leave the index through the queue."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

import pytest

from loglens.search.query import parse
from loglens.store import StoreError
from loglens.store.indexer import INDEX_SUFFIX, attach
from loglens.store.sqlite import SQLiteStore
from loglens.validation import StatsDelta
from tests.support.entries import BASE_MS, make_entry


def _messages(store: SQLiteStore, query: str) -> list[str]:
    return sorted(log["message"] for log in store.search(parse(query), limit=1000).logs)


def _fill(store: SQLiteStore, first: int, count: int, word: str) -> None:
    store.write([make_entry(i, BASE_MS + i, f"{word} {i}") for i in range(first, first + count)], StatsDelta(count))
    store.refresh()


def test_a_long_index_transaction_does_not_hold_up_writes(tmp_path: Path) -> None:
    """An index job reads the store in one snapshot and writes only the index file: the writer commits meanwhile
    (with the indexes in the store's file, a job held the store's write lock for its whole length)."""
    path = str(tmp_path / "lock.db")
    store = SQLiteStore(path, index_interval=3600)
    job = sqlite3.connect(path, isolation_level=None)
    try:
        _fill(store, 0, 10, "before")
        attach(job, path + INDEX_SUFFIX)
        job.execute("BEGIN")
        job.execute("SELECT count(*) FROM logs").fetchone()  # a read snapshot of the store, as a job holds
        job.execute("INSERT INTO ix.state (name, value) VALUES ('held', 1)")  # and the index file's write lock
        done = threading.Event()
        errors: list[BaseException] = []

        def write() -> None:
            try:
                store.write([make_entry(100, BASE_MS, "during 100")], StatsDelta(1))
                done.set()
            except BaseException as exc:  # reported below
                errors.append(exc)

        writer = threading.Thread(target=write)
        writer.start()
        assert done.wait(5), f"a write waited for the index transaction: {errors}"
        writer.join()
        job.execute("ROLLBACK")
        store.refresh()
        assert _messages(store, "during") == ["during 100"]
    finally:
        job.close()
        store.close()


def test_a_damaged_index_file_is_moved_aside_and_rebuilt(tmp_path: Path) -> None:
    path = str(tmp_path / "damaged.db")
    store = SQLiteStore(path)
    _fill(store, 0, 50, "kept")
    store.close()
    with open(path + INDEX_SUFFIX, "r+b") as f:
        f.write(os.urandom(4096))  # its header and first page
    store = SQLiteStore(path)
    try:
        store.refresh()
        assert _messages(store, "kept") == sorted(f"kept {i}" for i in range(50))
        assert os.path.exists(path + INDEX_SUFFIX + ".damaged")
    finally:
        store.close()


def test_an_index_file_built_for_another_store_is_rebuilt(tmp_path: Path) -> None:
    """Each store names its index (counter search.epoch): a copied or restored file of another store would name
    rows that are not the ones with its ids."""
    first, second = str(tmp_path / "first.db"), str(tmp_path / "second.db")
    for path, word in ((first, "alpha"), (second, "beta")):
        store = SQLiteStore(path)
        _fill(store, 0, 30, word)
        store.close()
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(first + INDEX_SUFFIX + suffix):
            os.replace(first + INDEX_SUFFIX + suffix, second + INDEX_SUFFIX + suffix)
    store = SQLiteStore(second)
    try:
        assert _messages(store, "alpha") == []  # the first store's index names these ids "alpha"
        store.refresh()
        assert _messages(store, "beta") == sorted(f"beta {i}" for i in range(30))
        assert _messages(store, "alpha") == []
    finally:
        store.close()


@pytest.mark.parametrize("how", ["max_logs", "retention"])
def test_entries_that_leave_the_store_leave_the_index_and_the_queue(tmp_path: Path, how: str) -> None:
    path = str(tmp_path / "queue.db")
    store = SQLiteStore(path, max_logs=100 if how == "max_logs" else 1000, index_interval=3600)
    try:
        _fill(store, 0, 100, "first")
        _fill(store, 100, 100, "second")  # beyond max_logs: the first 100 go
        if how == "retention":
            assert store.apply_retention(BASE_MS + 100) == 100
        store.refresh()
        assert _messages(store, "first") == []
        assert len(_messages(store, "second")) == 100
        with store._read() as conn:
            assert conn.execute("SELECT count(*) FROM unindex").fetchone()[0] <= 1  # the last one stays
    finally:
        store.close()
    conn = sqlite3.connect(path + INDEX_SUFFIX)
    try:
        conn.execute("INSERT INTO search (search) VALUES ('integrity-check')")  # raises if a delete did not match
        assert conn.execute("SELECT rowid FROM search WHERE search MATCH 'first'").fetchall() == []
        assert len(conn.execute("SELECT rowid FROM search WHERE search MATCH 'second'").fetchall()) == 100
    finally:
        conn.close()


def test_an_index_file_that_cannot_be_opened_stops_the_store_with_a_clear_error(tmp_path: Path) -> None:
    path = str(tmp_path / "blocked.db")
    os.mkdir(path + INDEX_SUFFIX)  # a directory where the index file goes: not damage, so not moved aside
    with pytest.raises(StoreError, match="search index"):
        SQLiteStore(path)
    assert os.path.isdir(path + INDEX_SUFFIX)
