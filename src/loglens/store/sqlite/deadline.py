"""A deadline for the reads on one SQLite connection, enforced inside SQLite: its progress handler looks at the
clock every CHECK_EVERY virtual-machine instructions and stops the running statement once the deadline has passed
(SQLITE_INTERRUPT). The handler is removed when the read ends, so the next read on the (pooled)
connection starts without it; an interrupted statement leaves the connection usable.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

from ..base import QueryTimeout
from .errors import primary_code

SQLITE_INTERRUPT = 9
CHECK_EVERY = 10_000  # VM instructions between two looks at the clock (well under a millisecond of work)


@contextmanager
def deadline(conn: sqlite3.Connection, seconds: float | None) -> Iterator[None]:
    """Run the statements of the `with` block on `conn` within `seconds` in all (None: no limit); past it the
    running statement is stopped and QueryTimeout raised."""
    if seconds is None:
        yield
        return
    ends = time.monotonic() + seconds

    def past() -> int:
        return 1 if time.monotonic() >= ends else 0

    conn.set_progress_handler(past, CHECK_EVERY)
    try:
        yield
    except sqlite3.OperationalError as exc:
        if primary_code(exc) == SQLITE_INTERRUPT and time.monotonic() >= ends:
            raise QueryTimeout(seconds) from None
        raise
    finally:
        conn.set_progress_handler(None, 0)
