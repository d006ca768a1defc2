"""Live tail coalescing: a stream queries the store at most once per poll_seconds, however often entries commit."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from loglens.api.search import _events
from loglens.model import Entry
from loglens.search.query import Node, parse
from loglens.search.tail import TailHub
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
