"""Every match exactly once, on every backend, whatever order entries arrive in.

The oracle is exact per page: a page read while the store holds the entries W must be the first `limit` entries of
W that match the query, lie in the search's range and sort after the cursor, newest event time first with ties by
id (ids grow in commit order on every backend); and it must say whether more exist. Arrival orders mix in-order
traffic with late entries, backfills far in the past, bursts in one millisecond and commits of every size, and more
entries arrive between the pages of a walk. On SQLite the walk's boundaries (its first window, the id-range merge
gap and length, the field index's candidate cap, a batch's span length) are drawn small as well as real, so that
small stores cross them all; stores of up to 9,000 entries cross the time path's 4,096-id blocks too.
"""

from __future__ import annotations

import contextlib
import random
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from loglens.model import LEVELS, Entry, StatsDelta
from loglens.search.query import parse
from loglens.store import Store
from loglens.store.sqlite import batch
from loglens.store.sqlite import walk as sqlite_walk
from loglens.store.sqlite.walk import _merge
from tests.support.search_oracle import BASE_MS, META_KEYS, SERVICES, USERS, VOCAB, Predicate, anywhere, queries

DAY_MS = 86_400_000
Key = tuple[int, int]  # (ts_ms, seq): seq is the arrival order, which ids follow on every backend
CLICKHOUSE_COMMITS = 30  # most writes of one example on ClickHouse
MOST_PAGES = 100  # of one walk: a limit of 1 over 9,000 matches reads the newest hundred


# -- the time path's id ranges ------------------------------------------------------------------------------------


spans_strategy = st.lists(
    st.tuples(st.integers(0, 300), st.integers(0, 40), st.integers(0, 1000)).map(lambda t: (t[0], t[0] + t[1], t[2])),
    max_size=40,
)


@settings(max_examples=500, deadline=None)
@given(spans_strategy, st.integers(0, 50), st.integers(1, 80))
def test_merged_id_ranges_are_disjoint_cover_every_span_and_bound_its_entries(
    spans: list[tuple[int, int, int]], gap: int, longest: int
) -> None:
    with mock.patch.multiple(sqlite_walk, MERGE_GAP=gap, MERGE_MAX=longest):
        ranges = _merge(list(spans))
    for (_, last, _), (first, _, _) in zip(ranges, ranges[1:], strict=False):
        assert last < first, f"ranges overlap: their ids would be read twice ({ranges})"
    for first, last, newest in spans:
        for i in range(first, last + 1):
            holding = [r for r in ranges if r[0] <= i <= r[1]]
            assert holding, f"id {i} of span {(first, last)} is in no range"
            assert holding[0][2] >= newest, f"range {holding[0]} holds id {i} of a span newer than its bound"
    for first, last, _ in ranges:
        assert any(a <= first <= b for a, b, _ in spans) and any(a <= last <= b for a, b, _ in spans)


# -- arrival orders -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Traffic:
    entries: list[Entry]  # in arrival order; metadata["seq"] is the index here
    commits: list[int]  # sizes of the successive writes


@dataclass(frozen=True)
class Shape:
    count: int
    step_ms: int  # between entries in order; 0: every entry in one millisecond
    late: float  # the share of entries that arrive late ...
    late_ms: int  # ... by up to this
    backfill: float  # the share of entries far behind everything else
    same_ms: float  # the share of entries that take the previous entry's time
    commit_most: int  # the largest write
    seed: int


def make_traffic(shape: Shape) -> Traffic:
    rnd = random.Random(shape.seed)
    out: list[Entry] = []
    for seq in range(shape.count):
        ts = BASE_MS + DAY_MS // 2 + seq * shape.step_ms
        roll = rnd.random()
        if roll < shape.backfill:
            ts = BASE_MS + rnd.randrange(0, DAY_MS // 4)
        elif roll < shape.backfill + shape.late:
            ts -= rnd.randint(0, shape.late_ms)
        elif out and roll < shape.backfill + shape.late + shape.same_ms:
            ts = out[-1].ts_ms
        message = " ".join(rnd.choice(VOCAB) for _ in range(rnd.randint(1, 4)))
        metadata: dict[str, Any] = {"seq": seq}
        for name in rnd.sample(META_KEYS, rnd.randint(0, 2)):
            metadata[name] = rnd.choice(["req-1", "eu", "eu-west", "3", 3, 1.5, 0, True, 10])
        user = rnd.choice([None, *USERS])
        level, service = rnd.choice(LEVELS), rnd.choice(SERVICES)
        out.append(Entry(ts, BASE_MS + seq, f"t{seq}", level, service, message, user, metadata))
    commits: list[int] = []
    left = shape.count
    while left > 0:
        commits.append(min(left, rnd.randint(1, shape.commit_most)))
        left -= commits[-1]
    return Traffic(out, commits)


shapes = st.builds(
    Shape,
    count=st.sampled_from([0, 1, 30, 300, 2_000, 5_000, 9_000]),
    step_ms=st.sampled_from([0, 1, 37, 500, 5_000]),
    late=st.sampled_from([0.0, 0.02, 0.3]),
    late_ms=st.sampled_from([1, 60_000, 3_600_000]),
    backfill=st.sampled_from([0.0, 0.01, 0.1]),
    same_ms=st.sampled_from([0.0, 0.3]),
    commit_most=st.sampled_from([1, 7, 100, 1_000, 20_000]),
    seed=st.integers(0, 2**32),
)
traffic = shapes.map(make_traffic)


@st.composite
def walk_shape(draw: st.DrawFn) -> dict[str, int]:
    """The SQLite walk's boundaries: real ones, or small enough for small stores to cross."""
    return {
        "FIRST_BUDGET": draw(st.sampled_from([1, SMALL["FIRST_BUDGET"], REAL["FIRST_BUDGET"]])),
        "MERGE_GAP": draw(st.sampled_from([0, SMALL["MERGE_GAP"], REAL["MERGE_GAP"]])),
        "MERGE_MAX": draw(st.sampled_from([1, SMALL["MERGE_MAX"], REAL["MERGE_MAX"]])),
        "FIELD_CANDIDATES": draw(st.sampled_from([0, SMALL["FIELD_CANDIDATES"], REAL["FIELD_CANDIDATES"]])),
        "SPAN_IDS": draw(st.sampled_from([1, SMALL["SPAN_IDS"], REAL["SPAN_IDS"]])),
    }


REAL = {"FIRST_BUDGET": 2048, "MERGE_GAP": 4096, "MERGE_MAX": 4096, "FIELD_CANDIDATES": 20_000, "SPAN_IDS": 4096}
SMALL = {"FIRST_BUDGET": 16, "MERGE_GAP": 8, "MERGE_MAX": 64, "FIELD_CANDIDATES": 5, "SPAN_IDS": 64}


@contextlib.contextmanager
def shaped(shape: dict[str, int]) -> Iterator[None]:
    walk = {k: v for k, v in shape.items() if k != "SPAN_IDS"}
    with mock.patch.multiple(sqlite_walk, **walk), mock.patch.object(batch, "SPAN_IDS", shape["SPAN_IDS"]):
        yield


# -- the oracle ---------------------------------------------------------------------------------------------------


def key(entry: Entry) -> Key:
    assert entry.metadata is not None
    return entry.ts_ms, int(entry.metadata["seq"])


def seq_of(log: dict[str, Any]) -> int:
    return int(log["metadata"]["seq"])


class Oracle:
    """What the store holds, and what a page of a search over it must be."""

    def __init__(self, predicate: Predicate, from_ms: int | None, to_ms: int | None) -> None:
        self.predicate = predicate
        self.from_ms = from_ms
        self.to_ms = to_ms
        self.stored: list[Entry] = []

    def matches(self, entry: Entry) -> bool:
        if self.from_ms is not None and entry.ts_ms < self.from_ms:
            return False
        if self.to_ms is not None and entry.ts_ms >= self.to_ms:
            return False
        return self.predicate(entry)

    def page(self, after: Key | None, limit: int) -> tuple[list[int], bool]:
        """The seqs of the page after `after` (None: the first page), and whether more follow."""
        rest = sorted(key(e) for e in self.stored if self.matches(e) and (after is None or key(e) < after))
        rest.reverse()
        return [seq for _, seq in rest[:limit]], len(rest) > limit


def cursor_key(store_cursor: tuple[int, int], seq_by_id: dict[int, int]) -> Key:
    ts_ms, log_id = store_cursor
    return ts_ms, seq_by_id[log_id]


# -- stores -------------------------------------------------------------------------------------------------------


@pytest.fixture
def fresh_store(backend: str, request: pytest.FixtureRequest) -> Iterator[Callable[[], Store]]:
    """An empty store of the backend for each example: a new SQLite store; on ClickHouse one database per test,
    emptied between examples by dropping every day partition (retention with a cutoff after all test data)."""
    from tests.store.conftest import OPENERS

    opened: list[Store] = []
    shared: list[Store] = []
    with tempfile.TemporaryDirectory(prefix="loglens-once-") as tmp:

        def make() -> Store:
            if backend.startswith("sqlite"):
                for store in opened:
                    store.close()
                opened.clear()
                path = Path(tempfile.mkdtemp(dir=tmp))
                store = OPENERS[backend](request, path, index_interval=3600)  # the test decides what is indexed
                opened.append(store)
                return store
            if not shared:
                shared.append(OPENERS[backend](request, Path(tmp)))
            shared[0].apply_retention(BASE_MS + 3 * DAY_MS)
            return shared[0]

        yield make
        for store in opened + shared:
            store.close()


def commits_for(backend: str, flow: Traffic) -> list[int]:
    """The flow's commit sizes; on ClickHouse, where each INSERT costs tens of milliseconds, at most
    CLICKHOUSE_COMMITS of them (neighbours joined), so that an example stays within seconds."""
    if not backend.startswith("clickhouse") or len(flow.commits) <= CLICKHOUSE_COMMITS:
        return list(flow.commits)
    size = -(-len(flow.entries) // CLICKHOUSE_COMMITS)
    return [min(size, len(flow.entries) - k) for k in range(0, len(flow.entries), size)]


def write(store: Store, oracle: Oracle, entries: list[Entry], index: bool) -> None:
    store.write(entries, StatsDelta(len(entries)))
    oracle.stored += entries
    if index:
        store.refresh()  # SQLite: the word and field indexes now cover these; else they are read one by one


@pytest.mark.slow
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    flow=traffic,
    query=queries,
    shape=walk_shape(),
    limit=st.sampled_from([1, 3, 20, 100, 1000]),
    range_=st.tuples(st.sampled_from([None, 0, DAY_MS // 2]), st.sampled_from([None, DAY_MS // 2 + 600_000])),
    before=st.floats(0, 1),
    indexing=st.sampled_from(["never", "sometimes", "always"]),
    rnd=st.randoms(use_true_random=False),
)
@example(  # the issue's shape, every boundary real: pages repeated late entries' neighbours
    flow=make_traffic(Shape(9_000, 500, 0.02, 3_600_000, 0.0, 0.0, 1_000, 7)),
    query=("", lambda e: True),
    shape=REAL,
    limit=1000,
    range_=(None, None),
    before=1.0,
    indexing="always",
    rnd=random.Random(0),
)
@example(  # small boundaries, some entries indexed, others arriving while the pages are read
    flow=make_traffic(Shape(2_000, 37, 0.3, 60_000, 0.01, 0.3, 100, 1)),
    query=("timeout", lambda e: anywhere(e, ["timeout"], False)),
    shape=SMALL,
    limit=20,
    range_=(None, None),
    before=0.5,
    indexing="sometimes",
    rnd=random.Random(1),
)
def test_pages_hold_each_match_once_in_order_while_entries_arrive(
    backend: str,
    fresh_store: Callable[[], Store],
    flow: Traffic,
    query: tuple[str, Predicate],
    shape: dict[str, int],
    limit: int,
    range_: tuple[int | None, int | None],
    before: float,
    indexing: str,
    rnd: random.Random,
) -> None:
    text, predicate = query
    from_ms, to_ms = (None if r is None else BASE_MS + r for r in range_)
    oracle = Oracle(predicate, from_ms, to_ms)
    store = fresh_store()
    seq_by_id: dict[int, int] = {}
    commits = commits_for(backend, flow)
    start = 0

    def next_commit() -> None:
        nonlocal start
        size = commits.pop(0)
        index = indexing == "always" or (indexing == "sometimes" and rnd.random() < 0.5)
        write(store, oracle, flow.entries[start : start + size], index)
        start += size

    with shaped(shape):
        while commits and start < before * len(flow.entries):
            next_commit()
        after: Key | None = None
        store_cursor: tuple[int, int] | None = None
        pages = 0
        while True:
            page = store.search(parse(text), from_ms=from_ms, to_ms=to_ms, limit=limit, after=store_cursor)
            seq_by_id.update((log["id"], seq_of(log)) for log in page.logs)
            expected, more = oracle.page(after, limit)
            got = [seq_of(log) for log in page.logs]
            assert got == expected, f"page {pages + 1} of {text!r} after {after} (limit {limit})"
            assert (page.next is not None) == more, f"page {pages + 1} of {text!r}: wrong 'more' ({page.next})"
            if page.next is None or pages == MOST_PAGES:
                break
            after, store_cursor = cursor_key(page.next, seq_by_id), page.next
            pages += 1
            for _ in range(rnd.randint(0, 2)):  # entries keep arriving between the pages
                if commits:
                    next_commit()


@pytest.mark.slow
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(flow=traffic, shape=walk_shape(), service=st.sampled_from([None, *SERVICES]))
def test_recent_logs_and_the_tail_read_each_entry_once(
    backend: str, fresh_store: Callable[[], Store], flow: Traffic, shape: dict[str, int], service: str | None
) -> None:
    oracle = Oracle(lambda e: service is None or e.service == service, None, None)
    store = fresh_store()
    with shaped(shape):
        start = 0
        for size in commits_for(backend, flow):
            write(store, oracle, flow.entries[start : start + size], index=start % 2 == 0)
            start += size
        # the dashboard's recent logs: the newest by event time
        expected, _ = oracle.page(None, 20)
        assert [seq_of(log) for log in store.recent_logs(20, service)] == expected
        # the live tail's catch-up (a reconnect with Last-Event-ID 0): every entry once, in commit order
        query = parse("" if service is None else f"service:{service}")
        tailed: list[int] = []
        last, upto = 0, store.last_id()
        while True:
            logs = store.tail(query, last, upto, 500)
            tailed += [seq_of(log) for log in logs]
            if len(logs) < 500:
                break
            last = logs[-1]["id"]
        assert tailed == [key(e)[1] for e in flow.entries if oracle.matches(e)]


def test_the_real_boundaries_are_the_ones_the_test_draws() -> None:
    """REAL must name the store's own values, or the test's 'real' examples test something else."""
    assert {name: getattr(sqlite_walk, name) for name in REAL if name != "SPAN_IDS"} == {
        name: value for name, value in REAL.items() if name != "SPAN_IDS"
    }
    assert batch.SPAN_IDS == REAL["SPAN_IDS"]
