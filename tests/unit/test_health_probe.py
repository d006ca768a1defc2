"""The store probe behind /health (health_probe.py): a request gets a reading begun after it arrived when the store
answers within `wait`, the newest one while the store is slow, and Silence once the store has not answered for
`stale_after`; however many ask at once, one reading runs at a time."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from loglens.health_probe import Reading, Silence, StoreProbe
from loglens.model import Entry, StatsDelta
from loglens.store.base import Totals
from loglens.store.sqlite import SQLiteStore


class GatedStore(SQLiteStore):
    """A real SQLite store whose totals() can be held at a gate (a store busy elsewhere), counting the readings
    in progress at once."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.gate = threading.Event()
        self.gate.set()
        self.reading_now = 0
        self.most_at_once = 0
        self._count = threading.Lock()

    def totals(self) -> Totals:
        with self._count:
            self.reading_now += 1
            self.most_at_once = max(self.most_at_once, self.reading_now)
        try:
            self.gate.wait(30)
            return super().totals()
        finally:
            with self._count:
                self.reading_now -= 1


def write(store: SQLiteStore, n: int) -> None:
    entries = [
        Entry(1_767_225_600_000 + i, 1_767_225_600_000 + i, "t", "INFO", "svc", f"m {i}", None, None) for i in range(n)
    ]
    store.write(entries, StatsDelta(n))


def test_counts_are_those_of_the_request_and_a_slow_store_is_answered_from_the_last_reading_then_reported(
    tmp_path: Path,
) -> None:
    store = GatedStore(str(tmp_path / "s.db"))
    probe = StoreProbe(store, interval=0.2, wait=0.05, stale_after=1.0)
    try:
        write(store, 3)
        first = probe.read()
        assert isinstance(first, Reading) and first.totals is not None and first.totals.total_logs == 3
        store.gate.clear()  # the store stops answering
        write(store, 2)
        time.sleep(0.3)  # a reading is now held at the gate
        took: list[float] = []
        answers: list[Reading | Silence] = []
        deadline = time.monotonic() + 5
        while not answers or isinstance(answers[-1], Reading):
            assert time.monotonic() < deadline, answers[-3:]
            started = time.monotonic()
            answers.append(probe.read())
            took.append(time.monotonic() - started)
            time.sleep(0.05)
        assert max(took) < 0.5, took  # never waiting for the store
        older = [a for a in answers if isinstance(a, Reading)]
        assert older and all(a.totals is not None and a.totals.total_logs == 3 for a in older)
        silence = answers[-1]
        assert isinstance(silence, Silence) and silence.seconds >= 1.0 and "has not answered" in silence.error
        store.gate.set()  # it answers again: the next request sees the counts of its moment
        deadline = time.monotonic() + 5
        while not isinstance(answer := probe.read(), Reading):
            assert time.monotonic() < deadline
        assert answer.totals is not None and answer.totals.total_logs == 5 and answer.health.ok
    finally:
        store.gate.set()
        probe.close()
        store.close()


def test_a_flood_of_requests_costs_the_store_one_reading_at_a_time(tmp_path: Path) -> None:
    store = GatedStore(str(tmp_path / "s.db"))
    probe = StoreProbe(store, interval=0.2, wait=0.05, stale_after=5.0)
    try:
        assert isinstance(probe.read(), Reading)
        with ThreadPoolExecutor(32) as pool:
            answers = list(pool.map(lambda _: probe.read(), range(500)))
        assert all(isinstance(a, Reading) for a in answers)
        assert store.most_at_once == 1
    finally:
        probe.close()
        store.close()
