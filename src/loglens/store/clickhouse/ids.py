"""Entry and alert ids of the ClickHouse store, made by each node without asking the others."""

from __future__ import annotations

import threading
import time
import uuid


class IdSource:
    """Time-ordered 64-bit ids: milliseconds << 22 | node (10 bits) << 12 | sequence (12 bits), increasing per
    node, so `ORDER BY id` is arrival order within a node and across nodes up to clock skew."""

    def __init__(self) -> None:
        self.node = uuid.uuid4().int & 0x3FF
        self._last = 0
        self._lock = threading.Lock()

    def take(self, n: int) -> int:
        """Reserve n consecutive counter values; returns the first (turn each into an id with `id_of`)."""
        with self._lock:
            first = max(self._last + 1, int(time.time() * 1000) << 12)
            self._last = first + n - 1
            return first

    def id_of(self, counter: int) -> int:
        return ((counter >> 12) << 22) | (self.node << 12) | (counter & 0xFFF)

    def new_ids(self, n: int) -> list[int]:
        """n new ids, in increasing order."""
        first, id_of = self.take(n), self.id_of
        return [id_of(counter) for counter in range(first, first + n)]
