"""A commit's work must not grow with the store: counted in SQLite VM steps (deterministic), not in seconds.

Migration 5's trigger computed the first new id as `max(id) - n + 1` over `logs`, which SQLite ran as a scan of
every stored row, so each commit of 1,000 entries cost 11 ms on an empty store and 57 ms at 1M. These tests run
the same batch through the store's own ingest statement on a small and on a big store and compare the steps.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from loglens.model import StatsDelta
from loglens.store.batch import ingest_params, prepare, search_params
from loglens.store.sqlite import INGEST, INGEST_SEARCH, SQLiteStore
from tests.support.entries import BASE_MS, make_entry
from tests.support.vmsteps import VMSteps

BIG = 300_000  # stored rows of the big store


def _store_with(path: Path, rows: int) -> sqlite3.Connection:
    SQLiteStore(str(path)).close()  # the current schema
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(
        "WITH RECURSIVE n(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM n WHERE value < ?2)"
        " INSERT INTO logs (ts_ms, received_ms, timestamp, level, service, message, user_id, metadata)"
        " SELECT ?1 + value, ?1, 'ts', 'INFO', 'svc-' || (value % 50), 'filler ' || value, NULL, NULL FROM n",
        (BASE_MS, rows),
    )
    return conn


def _steps(conn: sqlite3.Connection, sql: str, params: tuple[object, ...]) -> int:
    with VMSteps(conn) as steps:
        conn.execute(sql, params)
    return steps.count


@pytest.mark.slow
@pytest.mark.parametrize(("statement", "params"), [(INGEST_SEARCH, search_params), (INGEST, ingest_params)])
def test_a_commit_costs_the_same_on_a_big_store(tmp_path: Path, statement: str, params: object) -> None:
    batch = prepare(
        [make_entry(i, BASE_MS + i * 10, f"request {i} done", user_id=f"user-{i % 97}") for i in range(1000)],
        StatsDelta(1000),
    )
    costs = []
    for name, rows in (("small.db", 10), ("big.db", BIG)):
        conn = _store_with(tmp_path / name, rows)
        costs.append(_steps(conn, statement, params([batch], 5_000_000)))  # type: ignore[operator]
        assert conn.execute("SELECT count(*) FROM logs").fetchone()[0] == rows + 1000
        conn.close()
    small, big = costs
    # a scan of BIG rows is several steps per row: it would make `big` several times `small`
    assert big < small * 1.3, f"one commit took {small:,} VM steps on a 10-row store but {big:,} at {BIG:,} rows"
