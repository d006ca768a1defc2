"""The newest entries by event time cost the same on a busy minute of 20k or 200k entries (SQLite VM steps).

The time path (`log_minutes`) knows which id ranges hold each minute, but not the order inside a minute: without
more, the dashboard's "recent logs" read every row of the newest minute to sort it (about 100 ms for a minute of
166k entries, at 10M entries an hour). Each time-path block keeps the newest event time of its rows (migration 8),
and a page skips the blocks that cannot beat what it already has.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import orjson
import pytest

from loglens.model import StatsDelta
from loglens.search.query import Node, parse
from loglens.store.batch import SPAN_IDS, prepare
from loglens.store.field_tokens import BUCKETS, token
from loglens.store.indexer import INDEX_SUFFIX, attach, indexed_through
from loglens.store.sqlite import SQLiteStore
from loglens.store.sqlite_search import Walk, compile_query, register_functions
from loglens.store.topk import top_users_sql
from tests.support.entries import BASE_MS, make_entry
from tests.support.vmsteps import VMSteps

BATCH = 10_000


def _fill(path: Path, count: int) -> None:
    """`count` entries in one busy minute, in event-time order (as live traffic arrives), 1% late by up to 5 s."""
    store = SQLiteStore(str(path), synchronous="NORMAL", max_logs=count * 2)
    try:
        for first in range(0, count, BATCH):
            batch = []
            for i in range(first, min(first + BATCH, count)):
                ts = BASE_MS + i * 50_000 // count - (5_000 if i % 100 == 7 else 0)
                batch.append(make_entry(i, ts, f"entry {i}", user_id=f"user-{i % 500}"))
            store.write(batch, StatsDelta(len(batch)))
    finally:
        store.close()


def _page(path: Path, query: Node, limit: int) -> tuple[list[int], int]:
    """The ids of the first page, newest first, and the VM steps it took."""
    conn = sqlite3.connect(path)
    register_functions(conn)
    try:
        with VMSteps(conn) as steps:
            rows, _ = Walk(conn, compile_query(query), from_ms=None, to_ms=None, after=None, indexed=0).page(limit)
    finally:
        conn.close()
    return [row[0] for row in rows], steps.count


@pytest.mark.slow
@pytest.mark.parametrize("text", ["", "service:svc", "level>=INFO"])
def test_the_newest_entries_of_a_busy_minute_cost_the_same_at_ten_times_the_volume(tmp_path: Path, text: str) -> None:
    costs = []
    for name, count in (("small.db", 20_000), ("big.db", 200_000)):
        _fill(tmp_path / name, count)
        ids, steps = _page(tmp_path / name, parse(text), 20)
        assert ids == list(range(count, count - 20, -1))  # the newest 20 by event time (no late one among them)
        costs.append(steps)
    small, big = costs
    # reading the whole newest minute would be ten times the work
    assert big < small * 2, f"the first page took {small:,} VM steps at 20k entries in a minute, {big:,} at 200k"


def test_a_late_entry_newer_than_the_last_block_is_still_found(tmp_path: Path) -> None:
    store = SQLiteStore(str(tmp_path / "late.db"))
    try:
        store.write([make_entry(i, BASE_MS + i * 10, f"in order {i}") for i in range(6_000)], StatsDelta(6_000))
        # committed later but with the newest event time of all: a block that came before it must not hide it
        store.write([make_entry(0, BASE_MS + 59_999, "newest event, committed last")], StatsDelta(1))
        store.write([make_entry(i, BASE_MS + i, f"old {i}") for i in range(5_000)], StatsDelta(5_000))
        assert [log["message"] for log in store.search(parse(""), limit=2).logs] == [
            "newest event, committed last",
            "in order 5999",
        ]
    finally:
        store.close()


def _busy_hour(path: Path, services: int) -> None:
    """An hour in which each of `services` services sees 120 users a minute."""
    store = SQLiteStore(str(path), synchronous="NORMAL")
    try:
        for minute in range(60):
            batch = [
                make_entry(0, BASE_MS + minute * 60_000 + u, service=f"svc-{s}", user_id=f"user-{u}")
                for s in range(services)
                for u in range(120)
            ]
            store.write(batch, StatsDelta(len(batch)))
        store.maintain()  # compacts the touched buckets: the all-services scope is built
    finally:
        store.close()


@pytest.mark.slow
def test_top_users_of_an_hour_cost_the_same_with_many_services(tmp_path: Path) -> None:
    """The all-services top users read their own rows (migration 9), not every service's rows of each minute."""
    costs = []
    for services in (4, 40):
        path = tmp_path / f"{services}.db"
        _busy_hour(path, services)
        conn = sqlite3.connect(path)
        minutes = orjson.dumps(list(range(BASE_MS // 60_000, BASE_MS // 60_000 + 60))).decode()
        with VMSteps(conn) as steps:
            top = conn.execute(top_users_sql(False, True), (minutes, "[]", 5)).fetchall()
        conn.close()
        assert [user for user, _ in top] == ["user-0", "user-1", "user-10", "user-100", "user-101"]
        assert top[0][1] == 60 * services  # every service's entries of user-0, summed over the hour
        costs.append(steps.count)
    few, many = costs
    assert many < few * 2, f"an hour's top users took {few:,} VM steps with 4 services, {many:,} with 40"


def test_a_big_batch_gives_the_time_path_spans_of_at_most_one_block() -> None:
    entries = [make_entry(i, BASE_MS + i, service=f"svc-{i % 3}") for i in range(10_000)]  # one minute
    spans = prepare(entries, StatsDelta(len(entries))).spans
    assert all(last - first < SPAN_IDS for _, first, last, _ in spans)
    assert sorted((first, last) for _, first, last, _ in spans) == [(0, 4095), (4096, 8191), (8192, 9999)]
    assert [newest for *_, newest in sorted(spans, key=lambda s: s[1])] == [
        BASE_MS + 4095,
        BASE_MS + 8191,
        BASE_MS + 9999,
    ]


def _with_request_ids(path: Path, count: int, **kwargs: Any) -> SQLiteStore:
    store = SQLiteStore(str(path), synchronous="NORMAL", **kwargs)
    for first in range(0, count, BATCH):
        batch = [
            make_entry(i, BASE_MS + i * 1000, f"call {i}", user_id=f"user-{i % 7}", metadata={"request_id": f"req-{i}"})
            for i in range(first, min(first + BATCH, count))
        ]
        store.write(batch, StatsDelta(len(batch)))
        store.refresh()
    return store


@pytest.mark.slow
def test_a_request_id_is_found_through_the_field_index_at_any_volume(tmp_path: Path) -> None:
    """The field index names the rows of the value's bucket, about 1 in BUCKETS (store/field_tokens.py): the SQL
    around it runs some 40 VM instructions per named row, not a scan of the store."""
    for name, count in (("small.db", 20_000), ("big.db", 200_000)):
        _with_request_ids(tmp_path / name, count).close()
        conn = sqlite3.connect(tmp_path / name)
        register_functions(conn)
        attach(conn, str(tmp_path / name) + INDEX_SUFFIX)
        indexed = indexed_through(conn)
        assert indexed == count
        query = compile_query(parse("metadata.request_id:req-777"))
        with VMSteps(conn, every=1) as steps:
            rows, more = Walk(conn, query, from_ms=None, to_ms=None, after=None, indexed=indexed).page(10)
        conn.close()
        assert [row[5] for row in rows] == ["call 777"] and not more
        budget = 1_000 + 50 * count // BUCKETS
        assert steps.count < budget, f"one request id among {count:,} entries took {steps.count:,} VM instructions"


@pytest.mark.slow
def test_evicted_entries_leave_the_field_index(tmp_path: Path) -> None:
    store = _with_request_ids(tmp_path / "evict.db", 30_000, max_logs=12_000)
    try:
        assert store.search(parse("metadata.request_id:req-5"), limit=5).logs == []
        assert [log["message"] for log in store.search(parse("metadata.request_id:req-29999"), limit=5).logs] == [
            "call 29999"
        ]
        assert len(store.search(parse("user_id:user-3"), limit=5000).logs) == 12_000 // 7 + 1  # kept ids 18000-29999
        store.apply_retention(BASE_MS + 25_000)  # arrival times are BASE_MS + i: ids before 25,000 go
        assert store.search(parse("metadata.request_id:req-24000"), limit=5).logs == []
        assert len(store.search(parse("metadata.request_id:req-25000"), limit=5).logs) == 1
        store.refresh()  # the indexer deletes from the index file the evicted rows it had indexed
    finally:
        store.close()
    conn = sqlite3.connect(str(tmp_path / "evict.db") + INDEX_SUFFIX)
    conn.execute("INSERT INTO fields (fields) VALUES ('integrity-check')")  # raises if the deletes did not match
    conn.execute("INSERT INTO search (search) VALUES ('integrity-check')")
    user = f'"{token("user_id", "user-3")}"'
    named = [row[0] for row in conn.execute("SELECT rowid FROM fields WHERE fields MATCH ?", (user,))]
    assert named and min(named) >= 25_000, "an evicted entry is still in the field index"
    conn.close()
