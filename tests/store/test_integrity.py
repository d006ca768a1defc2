"""storage.integrity_check: an existing store is checked when it opens, and a damaged one is refused."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from loglens.store import StoreCorrupt
from loglens.store.sqlite import SQLiteStore
from tests.server.test_store_faults import make_store, overwrite


@pytest.fixture
def damaged(tmp_path: Path) -> Path:
    path = tmp_path / "s.db"
    make_store(path, 2000)
    overwrite(path, path.stat().st_size // 2, random.Random(8).randbytes(4096))
    return path


@pytest.mark.parametrize("check", ["quick", "full"])
def test_damaged_store_is_refused_when_it_opens(damaged: Path, check: str) -> None:
    with pytest.raises(StoreCorrupt, match=r"is damaged \(PRAGMA (quick|integrity)_check: .*restore it"):
        SQLiteStore(str(damaged), integrity_check=check)


def test_check_off_opens_a_damaged_store(damaged: Path) -> None:
    SQLiteStore(str(damaged), integrity_check="off").close()


def test_intact_store_passes_the_check_and_keeps_its_entries(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    make_store(path, 1000)
    store = SQLiteStore(str(path), integrity_check="full")
    try:
        assert store.totals().total_logs == 1000 and store.health().ok
    finally:
        store.close()
