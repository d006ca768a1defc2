"""The search index and its indexer: word and field indexes in a file of their own, trailing the writer by about
`interval` seconds, like Elasticsearch's refresh.

Filling FTS5 inside every group commit was measured to cost single-entry POSTs about a third of their rate: each
commit of a few entries paid FTS5's fixed cost of writing a segment. So a thread indexes, every `interval` seconds,
everything committed since its last round (up to CHUNK entries per job), and advances its `indexed` mark in the same
transaction. Searches use the index for ids up to that mark and check the newer ones directly, so nothing committed
is ever missing from results.

The index lives in its own SQLite file (INDEX_SUFFIX beside the store), attached to the indexer's and the readers'
connections as `ix`, so that indexing takes no lock on the store: with the indexes in the store's file, each job
held its write lock, and bulk ingest over HTTP (bounded by the writer thread) ran 0.78x as fast as without the
indexes; without the jobs, 0.88x (bench/search.py's ingest comparison, alternating servers; README). The file
holds only what can be rebuilt from the store: a missing, damaged or foreign one is rebuilt in the background.

Entries leave the store (max_logs, retention) before the indexer could delete them from a contentless FTS5 index,
which needs each row's indexed text: the store copies that text into its `unindex` queue (migration 12) in the
same transaction as the delete, and the indexer deletes from the index the queued rows it had indexed (`queued` is
the last queue row it has handled; the store prunes the queue behind it).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

from ..base import StoreFailing
from . import index_words
from .migrations.fragments import FIELDS_TEXT, SEARCH_TEXT_V18

log = logging.getLogger(__name__)

CHUNK = 200_000
INDEX_SUFFIX = "-search"  # the index file: the store's path and this (with its own -wal and -shm)
# 2: the word index holds the words of service, user_id and metadata strings too (migration 18); an index of
# version 1 is rebuilt in the background, like any index of another version.
# 3: the word index holds the query language's words of ASCII letters, and the leading ASCII letters of the other
# words (index_words.py), where it held every run of letters: it decides a bare word of ASCII letters exactly.
INDEX_VERSION = 3
INDEXED, QUEUED, EPOCH = "indexed", "queued", "epoch"  # the index's `state` rows (and GENERATION)
STORE_EPOCH = "search.epoch"  # the store's counter that names the index built for it
# The store's counter of the times retention emptied it: SQLite then numbers entries from 1 again, so the index
# (built for the generation in its own state) names rows that are gone; searches scan until it starts over.
GENERATION = "search.generation"
# Elasticsearch's default refresh interval too. Each job costs a commit and FTS5 segment merges: at 0.25 s, HTTP
# bulk ingest with the indexes ran 0.90-0.94x as fast as at 1 s (bench/search.py --ingest-only, alternating
# servers, 6-8 rounds). Searches are no slower for the unindexed rows: 50k of them cost nothing measurable.
INDEX_INTERVAL = 1.0

# The word index's tokens are made in Python (index_words.py) from each row's text, SEARCH_TEXT_V18, which the
# store also queues (`unindex.words`) for the delete; the field index holds FIELDS_TEXT (queued as `tokens`).
INDEXES = ("search", "fields")

_SCHEMA = [
    # the ascii tokenizer: the text is ASCII letters, digits and spaces (index_words.py)
    """CREATE VIRTUAL TABLE ix.search USING fts5(
        text, content='', detail='none', columnsize=0, tokenize="ascii"
    )""",
    """CREATE VIRTUAL TABLE ix.fields USING fts5(
        text, content='', detail='none', columnsize=0, tokenize="unicode61 remove_diacritics 0"
    )""",
    "CREATE TABLE ix.state (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
]


def attach(conn: sqlite3.Connection, path: str) -> None:
    conn.execute("ATTACH DATABASE ? AS ix", (path,))


def prepare_index(conn: sqlite3.Connection) -> bool:
    """Make the index attached to `conn` (as `ix`) the one of this store, creating or rebuilding it as needed: when
    it is new, of another version, or was built for another store (its epoch, migration 12). Returns whether it
    starts empty. Writes only the index."""
    epoch = conn.execute("SELECT value FROM counters WHERE name = ?", (STORE_EPOCH,)).fetchone()[0]
    fresh: bool = conn.execute("PRAGMA ix.user_version").fetchone()[0] != INDEX_VERSION
    if not fresh:
        fresh = _state(conn).get(EPOCH) != epoch
    if fresh:
        conn.execute("BEGIN")  # deferred: IMMEDIATE would lock the store's file too
        try:
            for name in ("search", "fields", "state"):  # FTS5 drops its own shadow tables
                conn.execute(f"DROP TABLE IF EXISTS ix.{name}")
            for statement in _SCHEMA:
                conn.execute(statement)
            conn.execute("INSERT INTO ix.state (name, value) VALUES (?, ?)", (EPOCH, epoch))
            conn.execute(f"PRAGMA ix.user_version = {INDEX_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return fresh


def _state(conn: sqlite3.Connection) -> dict[str, int]:
    return dict(conn.execute("SELECT name, value FROM ix.state").fetchall())


def _generation(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM counters WHERE name = ?", (GENERATION,)).fetchone()
    return int(row[0]) if row else 0


def newest_rows(conn: sqlite3.Connection) -> tuple[int, int]:
    """The newest entry's id and the newest queued row's qid (0 for none): what moves when the indexer has work."""
    top = conn.execute("SELECT id FROM logs ORDER BY id DESC LIMIT 1").fetchone()
    last = conn.execute("SELECT qid FROM unindex ORDER BY qid DESC LIMIT 1").fetchone()
    return (top[0] if top else 0, last[0] if last else 0)


def indexed_through(conn: sqlite3.Connection) -> int:
    """The highest id the index covers (on a connection with the index attached): 0 while it is of an older
    generation of the store's ids."""
    state = _state(conn)
    return state.get(INDEXED, 0) if state.get(GENERATION, 0) == _generation(conn) else 0


def index_pending(conn: sqlite3.Connection) -> tuple[int, int]:
    """One job, in one transaction that reads the store (one snapshot) and writes only the index: delete the queued
    rows it had indexed, index up to CHUNK committed entries beyond its mark. Returns (entries still to index, the
    last queue row handled). Inside the caller's transaction if one is open (a :memory: store's writer job)."""
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN")
    try:
        state = _state(conn)
        done, queued = state.get(INDEXED, 0), state.get(QUEUED, 0)
        generation = _generation(conn)
        if state.get(GENERATION, 0) != generation:  # retention emptied the store: its ids began again at 1
            for table in INDEXES:
                conn.execute(f"INSERT INTO ix.{table} ({table}) VALUES ('delete-all')")
            done = 0  # and the queued rows are all gone from the index with the rest
        top, last = newest_rows(conn)
        newest = last or queued  # qids start at 1: 0 is an empty queue
        if newest > queued and done:
            # queued since the last job's snapshot: those rows were there for every job before, so the ones up to
            # its mark were indexed; the newer ones never were
            for first in range(queued, newest, index_words.BATCH):
                bounds = (first, min(first + index_words.BATCH, newest), done)
                rows = "SELECT id, words AS text FROM unindex WHERE qid > ? AND qid <= ? AND id <= ?"
                index_words.write_words(conn, rows, bounds, delete=True)
            conn.execute(
                "INSERT INTO ix.fields (fields, rowid, text) SELECT 'delete', id, tokens FROM unindex"
                " WHERE qid > ? AND qid <= ? AND id <= ?",
                (queued, newest, done),
            )
        top_id = top or done  # ids start at 1: 0 is an empty store
        upto = min(top_id, done + CHUNK)
        if upto > done:
            for first in range(done, upto, index_words.BATCH):
                rows = f"SELECT id, {SEARCH_TEXT_V18} AS text FROM logs WHERE id > ? AND id <= ?"
                index_words.write_words(conn, rows, (first, min(first + index_words.BATCH, upto)))
            conn.execute(
                f"INSERT INTO ix.fields (rowid, text) SELECT id, {FIELDS_TEXT} FROM logs WHERE id > ? AND id <= ?",
                (done, upto),
            )
        conn.executemany(
            "INSERT INTO ix.state (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            [(INDEXED, max(upto, done)), (QUEUED, newest), (GENERATION, generation)],
        )
        if own:
            conn.execute("COMMIT")
    except BaseException:
        if own and conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return max(top_id - upto, 0), newest


class Indexer:
    """Runs index jobs every `interval` seconds, when `watermark` moved, through `run` (on a connection with the
    index attached), then hands the last queue row handled to `prune` (which deletes those before it from the
    store's queue: the last one stays, so that SQLite never hands its qid out again)."""

    def __init__(
        self,
        run: Callable[[Callable[[sqlite3.Connection], Any]], Any],
        watermark: Callable[[], object],
        prune: Callable[[int], None],
        interval: float,
    ) -> None:
        self._run_job = run
        self._watermark = watermark  # changes when entries were stored or queued: then a round has work
        self._prune = prune
        self.interval = interval
        self._stop = threading.Event()
        self._lock = threading.Lock()  # one job at a time: the thread's rounds and refresh()
        self._seen: object = None
        self._pruned = 0
        self._thread = threading.Thread(target=self._run, name="loglens-indexer", daemon=True)
        self._thread.start()

    def catch_up(self) -> None:
        """Index everything committed so far, and handle the queue (refresh(), and each round of the thread)."""
        with self._lock:
            while True:
                remaining, queued = self._run_job(index_pending)
                if queued > self._pruned:
                    self._prune(queued)
                    self._pruned = queued
                if remaining <= 0 or self._stop.is_set():
                    return

    def _run(self) -> None:
        failing = False  # a failing store (a full disk) is logged once, not every round
        while not self._stop.wait(self.interval):
            try:
                latest = self._watermark()
                if latest == self._seen:
                    continue
                self.catch_up()
                self._seen = latest
                failing = False
            except StoreFailing as exc:  # the next round retries
                if not failing and not self._stop.is_set():
                    log.warning("search indexer: the store is failing, retrying every round: %s", exc)
                failing = True
            except Exception:  # a closed store, or a bug: the next round retries
                if not self._stop.is_set():
                    log.exception("search indexer: indexing failed")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
