"""Counting what SQLite does, for tests that a cost does not grow with volume (deterministic, unlike timing)."""

from __future__ import annotations

import sqlite3
from types import TracebackType


class VMSteps:
    """The virtual-machine instructions `conn` runs inside the `with` block, counted every `every` instructions
    (so to within `every`). Work that SQLite does in C outside the VM (FTS5's own lookups) is not counted."""

    def __init__(self, conn: sqlite3.Connection, every: int = 100) -> None:
        self.conn = conn
        self.every = every
        self.count = 0

    def _tick(self) -> int:
        self.count += self.every
        return 0  # go on

    def __enter__(self) -> VMSteps:
        self.conn.set_progress_handler(self._tick, self.every)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.conn.set_progress_handler(None, self.every)
