"""A genuinely full disk (a small tmpfs): writes fail with StoreFull, nothing acknowledged is lost, and the
store recovers by itself once space returns."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from loglens.store import StoreError, StoreFull
from loglens.store.sqlite import SQLiteStore
from loglens.validation import StatsDelta
from tests.conftest import require
from tests.support.entries import entry
from tests.support.smallfs import can_mount, fill, small_filesystem
from tests.support.wait import wait_until


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    require(can_mount(), "mounting a small tmpfs needs root")
    with small_filesystem(tmp_path / "fs", 8 << 20) as path:
        yield path


def write_until_full(store: SQLiteStore) -> tuple[int, StoreFull]:
    acknowledged = 0
    for _ in range(10_000):
        try:
            store.write([entry(message="x" * 500) for _ in range(20)], StatsDelta(valid=20))
        except StoreFull as exc:
            return acknowledged, exc
        acknowledged += 20
    raise AssertionError("the small filesystem never filled up")


def test_full_disk_fails_writes_cleanly_and_the_store_recovers_when_space_returns(small_fs: Path) -> None:
    path = str(small_fs / "store.db")
    store = SQLiteStore(path)
    try:
        filler = fill(small_fs, 1 << 20)
        acknowledged, error = write_until_full(store)
        assert acknowledged > 0
        assert "disk holding the store is full" in str(error)
        health = store.health()
        assert not health.ok and "full" in str(health.error) and health.failing_since_ms is not None
        assert store.totals().total_logs == acknowledged  # reads still work, and nothing acknowledged is lost

        filler.unlink()  # space returns: the store notices by itself (a rate-limited probe), with no write
        wait_until(lambda: store.health().ok, 10, "the store is healthy again", interval=0.1)
        store.write([entry(message="after")], StatsDelta(valid=1))
    finally:
        store.close()
    again = SQLiteStore(path)
    try:
        assert again.totals().total_logs == acknowledged + 1
        assert again.totals().stored == acknowledged + 1
        assert again.recent_logs(1)[0]["message"] == "after"
    finally:
        again.close()


def test_a_store_opened_on_a_full_disk_starts_failing_and_opens_for_writes_once_space_returns(small_fs: Path) -> None:
    path = str(small_fs / "store.db")
    store = SQLiteStore(path)
    store.write([entry(message="before") for _ in range(10)], StatsDelta(valid=10))
    store.close()  # a clean stop: the write-ahead log and shared-memory files are gone, opening must make them
    filler = fill(small_fs, 0)
    store = SQLiteStore(path)  # used to raise StoreError ("is not a usable LogLens store: disk I/O error")
    try:
        health = store.health()
        assert not health.ok and "the disk holding the store is full" in str(health.error)
        with pytest.raises(StoreFull):
            store.write([entry(message="refused")], StatsDelta(valid=1))

        filler.unlink()
        # the health probe opens the store once there is room
        wait_until(lambda: store.health().ok, 10, "the store is healthy again", interval=0.1)
        store.write([entry(message="after")], StatsDelta(valid=1))
        assert store.totals().total_logs == 11 and store.recent_logs(1)[0]["message"] == "after"
    finally:
        store.close()


def test_only_a_full_disk_is_a_failing_start_other_open_errors_still_stop_it(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    path.write_bytes(b"not a database at all" * 200)
    with pytest.raises(StoreError, match="is not a usable LogLens store") as raised:
        SQLiteStore(str(path))
    assert not isinstance(raised.value, StoreFull)
