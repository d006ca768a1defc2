from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from loglens.store import Store
from loglens.store.sqlite import SQLiteStore

BACKENDS = ["sqlite-file", "sqlite-memory"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_store(backend: str, tmp_path: Path) -> Iterator[Callable[..., Store]]:
    """Open (or reopen) a store of the parametrised backend; every store opened is closed at the end."""
    opened: list[Store] = []

    def make(**kwargs: int) -> Store:
        path = ":memory:" if backend == "sqlite-memory" else str(tmp_path / "store.db")
        store = SQLiteStore(path, **kwargs)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def store(make_store: Callable[..., Store]) -> Store:
    return make_store()
