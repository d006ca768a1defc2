"""The word and field indexer: it trails the writer by at most about `interval` seconds, like Elasticsearch's refresh.

Filling FTS5 inside every group commit was measured to cost single-entry POSTs about a third of their rate: each
commit of a few entries paid FTS5's fixed cost of writing a segment. Instead this thread wakes every `interval`
seconds and, when new entries were committed, hands the writer one job that indexes all of them (up to CHUNK per
job) and advances the `search.indexed` counter in the same transaction. Searches use the index for ids up to
that counter and check the newer ones directly, so nothing committed is ever missing from results.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

from .migrations import INDEXES

log = logging.getLogger(__name__)

CHUNK = 200_000
INDEXED = "search.indexed"
# Elasticsearch's default refresh interval too. Each job costs a commit and FTS5 segment merges: at 0.25 s, HTTP
# bulk ingest with the indexes ran 0.90-0.94x as fast as at 1 s (bench/search.py --ingest-only, alternating
# servers, 6-8 rounds). Searches are no slower for the unindexed rows: 50k of them cost nothing measurable.
INDEX_INTERVAL = 1.0


def indexed_through(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM counters WHERE name = ?", (INDEXED,)).fetchone()
    return int(row[0]) if row else 0


def index_pending(conn: sqlite3.Connection) -> int:
    """Index up to CHUNK committed entries beyond the counter (run by the writer); returns how many remain."""
    done = indexed_through(conn)
    row = conn.execute("SELECT id FROM logs ORDER BY id DESC LIMIT 1").fetchone()
    top = int(row[0]) if row else done
    if top <= done:
        return 0
    upto = min(top, done + CHUNK)
    for table, text in INDEXES:
        conn.execute(
            f"INSERT INTO {table} (rowid, text) SELECT id, {text} FROM logs WHERE id > ? AND id <= ?", (done, upto)
        )
    conn.execute(
        "INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        (INDEXED, upto),
    )
    return top - upto


class Indexer:
    def __init__(
        self,
        submit: Callable[[Callable[[sqlite3.Connection], Any]], Any],
        last_id: Callable[[], int],
        interval: float,
    ) -> None:
        self._submit = submit
        self._last_id = last_id
        self.interval = interval
        self._stop = threading.Event()
        self._seen = -1
        self._thread = threading.Thread(target=self._run, name="loglens-indexer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                latest = self._last_id()
                if latest == self._seen:
                    continue
                while not self._stop.is_set() and self._submit(index_pending) > 0:
                    pass
                self._seen = latest
            except Exception:  # a closed or failing store: the next round retries
                if not self._stop.is_set():
                    log.exception("search indexer: indexing failed")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
