"""storage.integrity_check: an existing store is checked (at startup, or in the background when big), and a
damaged one is refused."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from loglens.store import StoreCorrupt
from loglens.store.sqlite import SQLiteStore
from loglens.validation import StatsDelta
from tests.support.entries import entry
from tests.support.store_files import make_store, overwrite
from tests.support.wait import wait_until


@pytest.fixture
def damaged(tmp_path: Path) -> Path:
    path = tmp_path / "s.db"
    make_store(path, 2000)
    # a page of the entries themselves (the one holding entry 1000's message): which table the file's middle page
    # belongs to depends on how the writer's and the indexer's commits interleaved
    offset = path.read_bytes().index(b"entry 1000 mmm")
    overwrite(path, offset - offset % 4096, random.Random(8).randbytes(4096))
    return path


@pytest.mark.parametrize("check", ["quick", "full"])
def test_damaged_store_is_refused_when_it_opens(damaged: Path, check: str) -> None:
    with pytest.raises(StoreCorrupt, match=r"is damaged \(PRAGMA (quick|integrity)_check: .*restore it"):
        SQLiteStore(str(damaged), integrity_check=check)


def test_check_off_opens_a_damaged_store_unchecked_and_only_reads_of_damaged_pages_fail(damaged: Path) -> None:
    store = SQLiteStore(str(damaged), integrity_check="off")
    try:
        assert store._connections.integrity_pragma is None and not store.integrity_in_background  # no check at all
        assert store.health().ok  # nothing has looked at the damaged pages yet
        assert store.totals().total_logs == 2000  # the counters are intact
        with pytest.raises(StoreCorrupt, match="damaged"):  # reading every entry reaches the damage
            store.recent_logs(2000)
    finally:
        store.close()


def test_intact_store_passes_the_check_and_keeps_its_entries(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    make_store(path, 1000)
    store = SQLiteStore(str(path), integrity_check="full")
    try:
        assert store.totals().total_logs == 1000 and store.health().ok
    finally:
        store.close()


def test_auto_checks_a_big_store_in_the_background_and_stops_writes_when_it_is_damaged(damaged: Path) -> None:
    store = SQLiteStore(str(damaged), integrity_check="auto", sync_check_max_bytes=0)  # "big": opens at once
    try:
        assert store.integrity_in_background
        wait_until(lambda: not store.health().ok, 20, "the background check found the damage")
        health = store.health()
        assert not health.ok and "is damaged (PRAGMA quick_check" in str(health.error)
        with pytest.raises(StoreCorrupt):
            store.write([entry(message="refused")], StatsDelta(valid=1))
    finally:
        store.close()


def test_auto_checks_a_small_store_before_it_opens(damaged: Path) -> None:
    with pytest.raises(StoreCorrupt, match="is damaged"):
        SQLiteStore(str(damaged))  # the default, auto: this store is far below SYNC_CHECK_MAX_BYTES


def test_background_check_of_an_intact_store_leaves_it_healthy(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    make_store(path, 1000)
    store = SQLiteStore(str(path), sync_check_max_bytes=0)
    try:
        assert store._background_check is not None and store._background_check.done.wait(20)
        assert store.health().ok
        store.write([entry(message="accepted")], StatsDelta(valid=1))
        assert store.totals().total_logs == 1001
    finally:
        store.close()
