"""A store on which one query is slow: for the tests of search.query_timeout_seconds.

Every message holds WORDS words; SLOW_QUERY is an OR of TERMS two-word phrases whose words hold digits, so neither
SQLite's word index nor any ClickHouse key can narrow it: each entry is checked against every phrase (the words of
its message compared one by one: the DECOY word defeats a substring pre-check), and no entry matches but the
newest `matching` ones, which start with the first
phrase (a match found at the first term: cheap). Without a deadline the query costs seconds per 10k entries on
SQLite and per 100k on ClickHouse; with one, it must stop.
"""

from __future__ import annotations

from loglens.model import Entry, StatsDelta, iso_from_ms
from loglens.store import EntryWriter

TERMS = 80
WORDS = 12
BASE_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
STEP_MS = 100  # event time between two entries
BATCH = 2000
# a decoy word holding every phrase's words run together (no word boundary between them): a check that looks for
# the words as substrings first (SQLite's row check does) still has to split the message and compare word by word
DECOY = "".join(f"zz{i}qq{i}" for i in range(TERMS))
FILLER = " ".join([*(f"{chr(97 + i % 7) * 40}{i}" for i in range(WORDS)), DECOY])


def slow_query(terms: int = TERMS) -> str:
    """An OR of `terms` phrases (the first matches the `matching` entries of `build`)."""
    return " OR ".join(f'"zz{i} qq{i}"' for i in range(terms))


def entry(i: int, matching: bool) -> Entry:
    ts_ms = BASE_MS + i * STEP_MS
    message = ("zz0 qq0 " if matching else "") + FILLER + f" entry{i}"
    return Entry(ts_ms, ts_ms, iso_from_ms(ts_ms), "INFO", "slow", message, None, None)


def build(store: EntryWriter, entries: int, matching: int = 0) -> None:
    """`entries` entries in event-time order, the newest `matching` of them matching SLOW_QUERY."""
    for start in range(0, entries, BATCH):
        batch = [entry(i, i >= entries - matching) for i in range(start, min(start + BATCH, entries))]
        store.write(batch, StatsDelta(len(batch)))
