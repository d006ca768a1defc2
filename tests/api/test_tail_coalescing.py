"""Live tail coalescing: a stream queries the store at most once per poll_seconds, however often entries commit, and
streams woken together query it a few at a time."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from loglens.api.search import _events
from loglens.model import Entry
from loglens.search.query import Node, parse
from loglens.search.tail import READERS, TailHub
from loglens.store.sqlite import SQLiteStore
from loglens.validation import StatsDelta

BASE_MS = 1_767_225_600_000
POLL = 0.1


class CountingStore:
    """A real store that counts the tail queries made on it."""

    def __init__(self, store: SQLiteStore) -> None:
        self.store = store
        self.tails = 0

    def tail(self, query: Node, after_id: int, upto_id: int, limit: int) -> list[dict[str, Any]]:
        self.tails += 1
        return self.store.tail(query, after_id, upto_id, limit)


def entry(i: int) -> Entry:
    return Entry(BASE_MS + i, BASE_MS + i, f"t{i}", "INFO", "svc", f"entry {i}", None, None)


def test_many_commits_lead_to_few_tail_queries_and_every_entry_arrives(tmp_path: Path) -> None:
    store = SQLiteStore(str(tmp_path / "store.db"))
    counting = CountingStore(store)
    hub = TailHub(store.last_id, max_streams=4, poll_seconds=POLL)
    try:
        assert hub.attach()
        received: list[int] = []
        events = _events(counting, hub, parse(""), store.last_id(), heartbeat=30.0)  # type: ignore[arg-type]

        def consume() -> None:
            for chunk in events:
                for line in chunk.split(b"\n"):
                    if line.startswith(b"id: "):
                        received.append(int(line[4:]))

        reader = threading.Thread(target=consume, daemon=True)
        reader.start()
        total = 600
        started = time.monotonic()
        for i in range(total):  # one commit per entry, as fast as the writer goes
            store.write([entry(i)], StatsDelta(1))
        writing = time.monotonic() - started
        deadline = time.monotonic() + 10
        while len(received) < total and time.monotonic() < deadline:
            time.sleep(0.01)
        elapsed = time.monotonic() - started
        assert received == list(range(1, total + 1)), f"got {len(received)} of {total} entries"
        # at most one query per POLL (plus the first and rounding), far fewer than the commits
        assert counting.tails <= elapsed / POLL + 3, (counting.tails, elapsed, writing)
        assert counting.tails < total / 10
    finally:
        hub.close()
        reader.join(timeout=5)
        store.close()
    assert not reader.is_alive()


class OverlapStore:
    """A real store that records how many tail queries run at once (each held a little, as a slow read would)."""

    def __init__(self, store: SQLiteStore) -> None:
        self.store = store
        self.running = 0
        self.most = 0
        self._lock = threading.Lock()

    def tail(self, query: Node, after_id: int, upto_id: int, limit: int) -> list[dict[str, Any]]:
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep(0.02)
            return self.store.tail(query, after_id, upto_id, limit)
        finally:
            with self._lock:
                self.running -= 1


def test_streams_woken_by_one_commit_query_a_few_at_a_time_and_each_gets_every_entry(tmp_path: Path) -> None:
    store = SQLiteStore(str(tmp_path / "store.db"))
    overlap = OverlapStore(store)
    streams = 16
    hub = TailHub(store.last_id, max_streams=streams, poll_seconds=POLL)
    received: list[list[int]] = [[] for _ in range(streams)]
    readers: list[threading.Thread] = []
    try:
        for mine in received:
            assert hub.attach()
            events = _events(overlap, hub, parse(""), store.last_id(), heartbeat=30.0)  # type: ignore[arg-type]

            def consume(events: Any = events, mine: list[int] = mine) -> None:
                for chunk in events:
                    mine += [int(line[4:]) for line in chunk.split(b"\n") if line.startswith(b"id: ")]

            readers.append(threading.Thread(target=consume, daemon=True))
            readers[-1].start()
        total = 50
        for i in range(total):
            store.write([entry(i)], StatsDelta(1))
            time.sleep(0.005)
        deadline = time.monotonic() + 20
        while any(len(mine) < total for mine in received) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert all(mine == list(range(1, total + 1)) for mine in received), [len(mine) for mine in received]
        assert 1 < overlap.most <= READERS, overlap.most
    finally:
        hub.close()
        for reader in readers:
            reader.join(timeout=5)
        store.close()
    assert not any(reader.is_alive() for reader in readers)


def test_a_stream_waiting_for_a_read_slot_ends_when_the_hub_closes(tmp_path: Path) -> None:
    hub = TailHub(lambda: 0, max_streams=READERS + 1, poll_seconds=POLL)
    held = [hub.reading() for _ in range(READERS)]
    assert all(slot.__enter__() for slot in held)  # every slot taken
    outcome: list[bool] = []

    def wait() -> None:
        with hub.reading() as granted:
            outcome.append(granted)

    waiter = threading.Thread(target=wait, daemon=True)
    waiter.start()
    hub.close()
    waiter.join(timeout=5)
    assert outcome == [False]
    for slot in held:
        slot.__exit__(None, None, None)
