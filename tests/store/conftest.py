"""The contract suite's backends: every test in tests/store/test_contract.py runs once per backend below."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from loglens.store import Store
from loglens.store.sqlite import SQLiteStore

# name -> how to open a store of that backend: (request, tmp_path, **kwargs) -> Store. Reopening with the same
# tmp_path reaches the same data.
Opener = Callable[..., Store]


def _sqlite_file(request: pytest.FixtureRequest, tmp_path: Path, **kwargs: Any) -> Store:
    return SQLiteStore(str(tmp_path / "store.db"), **kwargs)


def _sqlite_memory(request: pytest.FixtureRequest, tmp_path: Path, **kwargs: Any) -> Store:
    return SQLiteStore(":memory:", **kwargs)


OPENERS: dict[str, Opener] = {"sqlite-file": _sqlite_file, "sqlite-memory": _sqlite_memory}


@pytest.fixture(params=list(OPENERS))
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


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
