"""The writer thread's group commit: jobs that queue up while a transaction runs share the next one."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from loglens.store import StoreCorrupt, StoreError, StoreFull
from loglens.store.sqlite.writer import Writer


class Target:
    """Batch jobs of one bound method, as the store submits them."""

    def __init__(self) -> None:
        self.calls: list[list[Any]] = []
        self.in_transaction: list[bool] = []

    def apply(self, conn: sqlite3.Connection, payloads: list[Any]) -> None:
        self.in_transaction.append(conn.in_transaction)
        self.calls.append(payloads)
        conn.execute("INSERT INTO t (v) SELECT value FROM json_each(?)", (str(payloads),))


def test_queued_batch_jobs_of_one_bound_method_are_applied_in_one_call(tmp_path: Path) -> None:
    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(tmp_path / "w.db", isolation_level=None, check_same_thread=False)
        conn.execute("CREATE TABLE IF NOT EXISTS t (v INTEGER)")
        return conn

    writer = Writer(connect, max_pending_entries=1000, max_pending_bytes=1 << 20)
    target = Target()
    threads = [
        threading.Thread(target=writer.submit_batch, args=(target.apply, n), kwargs={"entries": 1, "nbytes": 1})
        for n in range(5)
    ]
    release = queue_behind_a_blocking_job(writer, threads)  # all five wait behind the blocking job
    release.set()
    for thread in threads:
        thread.join(10)
    writer.close()
    assert [sorted(call) for call in target.calls] == [[0, 1, 2, 3, 4]]
    assert target.in_transaction == [False]  # alone in its group, the batch function commits on its own
    conn = sqlite3.connect(tmp_path / "w.db")
    assert sorted(v for (v,) in conn.execute("SELECT v FROM t")) == [0, 1, 2, 3, 4]
    conn.close()


def checked_writer(path: Path, **kwargs: Any) -> Writer:
    """A writer on a table that refuses negative values (a CHECK constraint), for jobs that fail on their own."""

    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute("CREATE TABLE IF NOT EXISTS t (v INTEGER CHECK (v >= 0))")
        return conn

    return Writer(connect, max_pending_entries=1000, max_pending_bytes=1 << 20, **kwargs)


def queue_behind_a_blocking_job(writer: Writer, jobs: list[threading.Thread]) -> threading.Event:
    """Start `jobs` while the writer is busy, so that they all land in one group; returns the release switch."""
    running, release = threading.Event(), threading.Event()

    def block(conn: sqlite3.Connection) -> None:
        running.set()
        release.wait(10)

    blocker = threading.Thread(target=writer.submit, args=(block,))
    blocker.start()
    assert running.wait(10)
    for job in jobs:
        job.start()
    deadline = time.monotonic() + 10
    while writer._queue.qsize() < len(jobs) and time.monotonic() < deadline:
        time.sleep(0.001)
    assert writer._queue.qsize() == len(jobs)
    jobs.append(blocker)
    return release


def stored(path: Path) -> list[int]:
    conn = sqlite3.connect(path)
    try:
        return sorted(v for (v,) in conn.execute("SELECT v FROM t"))
    finally:
        conn.close()


def test_one_bad_job_in_a_failed_group_fails_alone_and_the_others_commit(tmp_path: Path) -> None:
    commits: list[tuple[int, int]] = []
    writer = checked_writer(tmp_path / "w.db", on_commit=lambda jobs, entries, seconds: commits.append((jobs, entries)))
    target = Target()
    outcomes: dict[int, BaseException | None] = {}

    def submit(n: int) -> None:
        try:
            writer.submit_batch(target.apply, n, entries=1, nbytes=1)
            outcomes[n] = None
        except BaseException as exc:
            outcomes[n] = exc

    jobs = [threading.Thread(target=submit, args=(n,)) for n in (1, 2, -3, 4, 5)]
    release = queue_behind_a_blocking_job(writer, jobs)
    release.set()
    for job in jobs:
        job.join(10)
    writer.close()
    assert sorted(target.calls[0]) == [-3, 1, 2, 4, 5]  # the group was tried as one, first
    assert sorted(call for [call] in target.calls[1:]) == [-3, 1, 2, 4, 5]  # then each job on its own
    assert stored(tmp_path / "w.db") == [1, 2, 4, 5]  # then each on its own: the good ones committed
    assert {n for n, exc in outcomes.items() if exc is None} == {1, 2, 4, 5}
    error = outcomes[-3]
    assert isinstance(error, StoreError) and not isinstance(error, sqlite3.Error)
    assert "CHECK constraint failed" in str(error)
    assert writer.failure is None  # one job's own fault is not a failing store
    assert commits[-1] == (4, 4)  # the retried group reports what committed


def test_a_sqlite_error_in_a_function_job_reaches_the_caller_as_a_store_error(tmp_path: Path) -> None:
    writer = checked_writer(tmp_path / "w.db")
    try:
        with pytest.raises(StoreError, match="no such table: missing"):
            writer.submit(lambda conn: conn.execute("SELECT * FROM missing"))
        writer.submit(lambda conn: conn.execute("INSERT INTO t (v) VALUES (7)"))  # the writer goes on
    finally:
        writer.close()
    assert stored(tmp_path / "w.db") == [7]


def test_a_full_store_fails_the_whole_group_without_retries_and_recovers_when_space_returns(tmp_path: Path) -> None:
    writer = checked_writer(tmp_path / "w.db")
    calls: list[list[int]] = []

    def apply_many(conn: sqlite3.Connection, payloads: list[int]) -> None:  # 2,000 rows per payload
        calls.append(payloads)
        conn.execute("INSERT INTO t (v) SELECT value FROM json_each(?)", (json.dumps(payloads * 2000),))

    writer.submit(lambda conn: conn.execute("PRAGMA max_page_count = 2"))  # the schema page and t: no room
    outcomes: list[BaseException | None] = []

    def submit(n: int) -> None:
        try:
            writer.submit_batch(apply_many, n, entries=1, nbytes=1)
            outcomes.append(None)
        except BaseException as exc:
            outcomes.append(exc)

    jobs = [threading.Thread(target=submit, args=(n,)) for n in range(3)]
    release = queue_behind_a_blocking_job(writer, jobs)
    release.set()
    for job in jobs:
        job.join(10)
    assert len(calls) == 1  # tried once as a group; a full store fails every job alike, no retries
    assert len(outcomes) == 3 and all(isinstance(exc, StoreFull) for exc in outcomes)
    assert isinstance(writer.failure, StoreFull) and writer.failing_since is not None
    writer.submit(lambda conn: conn.execute("PRAGMA max_page_count = 1000000"))  # space returns
    writer.submit_batch(apply_many, 9, entries=1, nbytes=1)
    assert writer.failure is None
    writer.close()
    assert stored(tmp_path / "w.db") == [9] * 2000


def test_a_damaged_file_found_while_writing_stops_every_later_write(tmp_path: Path) -> None:
    writer = checked_writer(tmp_path / "w.db")

    def hits_a_damaged_page(conn: sqlite3.Connection) -> None:
        exc = sqlite3.DatabaseError("database disk image is malformed")  # as SQLite raises it: code 11
        exc.sqlite_errorcode = 11  # type: ignore[attr-defined]
        exc.sqlite_errorname = "SQLITE_CORRUPT"  # type: ignore[attr-defined]
        raise exc

    try:
        with pytest.raises(StoreCorrupt, match="damaged"):
            writer.submit(hits_a_damaged_page)
        with pytest.raises(StoreCorrupt):  # refused before it reaches SQLite: nothing more is written
            writer.submit(lambda conn: conn.execute("INSERT INTO t (v) VALUES (1)"))
        assert isinstance(writer.failure, StoreCorrupt)
    finally:
        writer.close()
    assert stored(tmp_path / "w.db") == []
