"""ClickHouse's recent logs (store/clickhouse/search.py): bounded by the newest minutes that hold enough entries by
the minute rollup, the same entries as sorting the whole store; when the rollup counts entries max_logs dropped,
the whole store answers."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from loglens.model import MINUTE_MS, Entry, iso_from_ms
from loglens.store.clickhouse import ClickHouseStore
from loglens.validation import StatsDelta
from tests.store.conftest import OPENERS

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
DAY_MS = 86_400_000


@pytest.fixture(params=["clickhouse-18", "clickhouse-26-chdb"])
def make(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., ClickHouseStore]]:
    opened: list[ClickHouseStore] = []

    def open_store(**kwargs: int) -> ClickHouseStore:
        store = OPENERS[request.param](request, tmp_path, **kwargs)
        assert isinstance(store, ClickHouseStore)
        opened.append(store)
        return store

    yield open_store
    for store in opened:
        store.close()


def entries(count: int, start_ms: int, minutes: int, seed: int) -> list[Entry]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        ts = start_ms + rng.randrange(minutes * MINUTE_MS)
        out.append(Entry(ts, ts, iso_from_ms(ts), "INFO", f"svc-{rng.randrange(4)}", f"m{i}", None, None))
    return out


def newest(batch: list[Entry], limit: int, service: str | None = None) -> list[str]:
    """Messages of the newest `limit` entries by event time (written one per ts here, so no ties)."""
    chosen = sorted((e for e in batch if service in (None, e.service)), key=lambda e: -e.ts_ms)
    return [e.message for e in chosen[:limit]]


def test_recent_logs_are_the_newest_entries_of_the_whole_store(make: Callable[..., ClickHouseStore]) -> None:
    store = make()
    batch = list({e.ts_ms: e for e in entries(3000, T0, 300, 3)}.values())  # one entry per ts: the order has no ties
    for lo in range(0, len(batch), 400):
        store.write(batch[lo : lo + 400], StatsDelta(valid=len(batch[lo : lo + 400])))
    for limit in (1, 20, 500):
        assert [r["message"] for r in store.recent_logs(limit)] == newest(batch, limit)
        assert [r["message"] for r in store.recent_logs(limit, "svc-2")] == newest(batch, limit, "svc-2")
    assert len(store.recent_logs(5000)) == len(batch) and store.recent_logs(5, "nope") == []


def test_recent_logs_are_whole_when_max_logs_dropped_entries_the_rollup_still_counts(
    make: Callable[..., ClickHouseStore],
) -> None:
    store = make(max_logs=10)
    old = entries(50, T0, 60, 4)
    new = entries(5, T0 + DAY_MS, 60, 5)
    store.write(old, StatsDelta(valid=len(old)))
    store.write(new, StatsDelta(valid=len(new)))
    assert store.apply_retention(0) == 50  # the older day goes; the minute rollup keeps counting it
    assert [r["message"] for r in store.recent_logs(20)] == newest(new, 20)
