"""The SQLite walk reads each id range at most once per page, however late entries spread a minute's ids.

A window's id ranges (its minutes' time-path spans) also hold entries of older minutes: late entries, and the ids
a merged range spans. The walk reads a range once and keeps the older matches it holds for the window they belong
to; the page is still exactly the newest matches by (event time, id).
"""

from __future__ import annotations

import random
import re
import sqlite3
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from loglens.model import MINUTE_MS, Entry, StatsDelta
from loglens.search.query import parse
from loglens.store.sqlite import SQLiteStore
from loglens.store.sqlite import walk as sqlite_walk
from loglens.store.sqlite.query import compile_query, register_functions
from loglens.store.sqlite.walk import Walk
from tests.support.entries import BASE_MS, make_entry

COUNT = 12_000
RANGE_READ = re.compile(r"logs\.id BETWEEN (\d+) AND (\d+) AND logs\.ts_ms BETWEEN -?\d+ AND (\d+)")


def _late_traffic() -> list[Entry]:
    """Entries arriving over 100 minutes, 10% of them late by up to 20 minutes; every 97th one has a rare value."""
    rnd = random.Random(7)
    out = []
    for i in range(COUNT):
        ts = BASE_MS + i * 100 * MINUTE_MS // COUNT
        if rnd.random() < 0.1:
            ts -= rnd.randint(0, 20 * MINUTE_MS)
        rare = i % 97 == 0
        out.append(make_entry(i, ts, metadata={"ms": 1999 if rare else rnd.randint(1, 1000), "i": i}))
    return out


@pytest.fixture(scope="module")
def late_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Entry]]:
    path = tmp_path_factory.mktemp("walk") / "late.db"
    entries = _late_traffic()
    store = SQLiteStore(str(path), synchronous="NORMAL")
    try:
        for first in range(0, COUNT, 500):
            store.write(entries[first : first + 500], StatsDelta(len(entries[first : first + 500])))
    finally:
        store.close()
    return path, entries


SHAPES = [
    {"FIRST_BUDGET": 64, "MAX_BUDGET": 256},
    {"FIRST_BUDGET": 16, "MAX_BUDGET": 1 << 20, "MERGE_GAP": 8, "MERGE_MAX": 64},
    {"FIRST_BUDGET": 2048, "MAX_BUDGET": 1 << 16},  # the real ones
]


def _page(path: Path, shape: dict[str, Any], limit: int) -> tuple[list[int], bool, list[tuple[int, int, int]]]:
    """The ids of the first page of `metadata.ms>1990`, whether more follow, and the id ranges it read (with the
    end of the window that read each)."""
    conn = sqlite3.connect(path)
    register_functions(conn)
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        with mock.patch.multiple(sqlite_walk, **shape):
            walk = Walk(conn, compile_query(parse("metadata.ms>1990")), from_ms=None, to_ms=None, after=None)
            rows, more = walk.page(limit)
    finally:
        conn.close()
    reads = [(int(a), int(b), int(end)) for s in statements for a, b, end in RANGE_READ.findall(s)]
    return [row[0] for row in rows], more, reads


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("limit", [1, 40, 200])
def test_a_page_is_the_newest_matches_by_event_time(
    late_store: tuple[Path, list[Entry]], shape: dict[str, Any], limit: int
) -> None:
    path, entries = late_store
    ids, more, _ = _page(path, shape, limit)
    matches = sorted(((e.ts_ms, i + 1) for i, e in enumerate(entries) if e.metadata and e.metadata["ms"] > 1990))
    matches.reverse()
    assert ids == [log_id for _, log_id in matches[:limit]]
    assert more == (len(matches) > limit)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("limit", [60, 200])  # more than the rare matches of any one range (at most 4096 / 97 + 1)
def test_a_page_reads_each_id_once_across_its_windows(
    late_store: tuple[Path, list[Entry]], shape: dict[str, Any], limit: int
) -> None:
    """A range whose read the page's limit cuts short is read again by the next window (its older matches were not
    all returned); no range of this store fills a page, so none is read twice."""
    path, _ = late_store
    _, _, reads = _page(path, shape, limit)
    assert len({end for *_, end in reads}) > 1, "the page should have needed several windows"
    ranges = sorted((a, b) for a, b, _ in reads)
    for (_, last), (next_first, _) in zip(ranges, ranges[1:], strict=False):
        assert last < next_first, f"ids {next_first}..{last} were read twice in one page"
