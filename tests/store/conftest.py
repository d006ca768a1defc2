"""The contract suite's backends: every test in tests/store/test_contract.py runs once per backend below."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from loglens.store import Store
from loglens.store.clickhouse import ClickHouseStore, DriverConnection, Endpoint
from loglens.store.sqlite import SQLiteStore
from tests.support.chdb_conn import ChdbConnection

# name -> how to open a store of that backend: (request, tmp_path, **kwargs) -> Store. Reopening with the same
# tmp_path reaches the same data.
Opener = Callable[..., Store]


def _sqlite_file(request: pytest.FixtureRequest, tmp_path: Path, **kwargs: Any) -> Store:
    return SQLiteStore(str(tmp_path / "store.db"), **kwargs)


def _sqlite_memory(request: pytest.FixtureRequest, tmp_path: Path, **kwargs: Any) -> Store:
    return SQLiteStore(":memory:", **kwargs)


def _database(tmp_path: Path) -> str:
    """One database per test (reopening in the same test reaches the same one)."""
    return "t_" + hashlib.sha1(str(tmp_path).encode()).hexdigest()[:16]


def _clickhouse(request: pytest.FixtureRequest, tmp_path: Path, **kwargs: Any) -> Store:
    server = request.getfixturevalue("clickhouse_server")
    endpoint = Endpoint("127.0.0.1", server.tcp_port, "default", "")
    return ClickHouseStore(lambda: DriverConnection(endpoint), database=_database(tmp_path), **kwargs)


_CHDB_LOCK = threading.Lock()


def _chdb(request: pytest.FixtureRequest, tmp_path: Path, **kwargs: Any) -> Store:
    session = request.getfixturevalue("chdb_session")
    return ClickHouseStore(lambda: ChdbConnection(session, _CHDB_LOCK), database=_database(tmp_path), **kwargs)


OPENERS: dict[str, Opener] = {
    "sqlite-file": _sqlite_file,
    "sqlite-memory": _sqlite_memory,
    "clickhouse-18": _clickhouse,
    "clickhouse-26-chdb": _chdb,
}


# test_search.py reads SQLite's dense rowids (ids 1..n in write order) and its per-row eviction; on ClickHouse
# (opaque time-ordered ids, whole-day eviction) search is checked by test_clickhouse_search.py instead.
SQLITE_ONLY_MODULES = {"test_search"}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        module = metafunc.module.__name__.rsplit(".", 1)[-1]
        names = [n for n in OPENERS if n.startswith("sqlite")] if module in SQLITE_ONLY_MODULES else list(OPENERS)
        metafunc.parametrize("backend", names)


@pytest.fixture
def make_store(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Callable[..., Store]]:
    """Open (or reopen) a store of the parametrised backend; every store opened is closed at the end."""
    opened: list[Store] = []

    def make(**kwargs: int) -> Store:
        store = OPENERS[backend](request, tmp_path, **kwargs)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def store(make_store: Callable[..., Store]) -> Store:
    return make_store()
