"""Aggregations on every backend, checked against brute force over the same entries (tests/support/stats_oracle.py):
random filters and stages over small random stores, and fixed questions over a store of 20,000 entries that arrive
as real traffic does (late, in bursts of one millisecond, far in the past)."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from loglens.model import LEVEL_RANK, Entry, StatsDelta, iso_from_ms, parse_timestamp_ms
from loglens.search.pipeline import Pipeline, Stats, Timechart, parse_pipeline
from loglens.search.query import parse
from loglens.search.stats import OTHER, answer
from loglens.store import Store
from tests.support import stats_oracle as oracle
from tests.support.search_oracle import BASE_MS, Predicate, anywhere, entries, queries

DAY_MS = 86_400_000
HOUR_MS = 3_600_000


@pytest.fixture
def fresh_store(backend: str, request: pytest.FixtureRequest) -> Iterator[Callable[..., Store]]:
    """An empty store for each example: a new one on SQLite (opened with `max_logs` when given); on ClickHouse one
    database per test, emptied between examples by retention with a cutoff after all test data."""
    from tests.store.conftest import OPENERS

    opened: list[Store] = []
    with tempfile.TemporaryDirectory(prefix="loglens-stats-") as tmp:

        def make(**kwargs: int) -> Store:
            if backend.startswith("sqlite") or not opened:
                for store in opened:
                    store.close()
                opened.clear()
                opened.append(OPENERS[backend](request, Path(tempfile.mkdtemp(dir=tmp)), **kwargs))
            else:
                opened[0].apply_retention(BASE_MS + 30 * DAY_MS)
            return opened[0]

        yield make
        for store in opened:
            store.close()


def same(got: Any, want: Any) -> bool:
    if isinstance(got, float) and isinstance(want, float):
        return math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9)
    return bool(got == want)


def assert_rows(got: list[list[Any]], want: list[list[Any]], context: str) -> None:
    order = lambda row: tuple((v is None, str(v)) for v in row)  # noqa: E731
    got, want = sorted(got, key=order), sorted(want, key=order)
    assert len(got) == len(want), f"{context}: {len(got)} rows, expected {len(want)}:\n{got}\n{want}"
    for g, w in zip(got, want, strict=True):
        assert all(same(a, b) for a, b in zip(g, w, strict=True)), f"{context}: row {g}, expected {w}"


STAGES = [
    "stats count()",
    "stats count() by service",
    "stats count(), count_distinct(user_id) by level",
    "stats sum(metadata.n), avg(metadata.n), min(metadata.n), max(metadata.n) by service",
    "stats p50(metadata.n), p90(metadata.n), p95(metadata.n), p99(metadata.n)",
    "stats count() by metadata.region, user_id",
    "stats count_distinct(metadata.n) by service",
    "top 2 user_id",
]


def write(store: Store, batch: list[Entry]) -> None:
    for k in range(0, len(batch), 5000):
        store.write(batch[k : k + 5000], StatsDelta(len(batch[k : k + 5000])))
    store.refresh()


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(batch=entries(), query=queries, stage=st.sampled_from(STAGES), cut=st.integers(0, 300_000))
def test_stats_equal_brute_force_over_random_entries(
    fresh_store: Callable[[], Store], batch: list[Entry], query: tuple[str, Predicate], stage: str, cut: int
) -> None:
    store = fresh_store()
    write(store, batch)
    text = f"{query[0]} | {stage}"
    pipeline = parse_pipeline(text)
    got = answer(store, pipeline, BASE_MS + cut // 3, BASE_MS + cut + 1, max_buckets=60)
    matching = oracle.matching(batch, query[1], BASE_MS + cut // 3, BASE_MS + cut + 1)
    want, groups = oracle.table(pipeline, matching, 1000)
    if pipeline.limit is not None:  # top: the biggest groups, ties by group text
        want.sort(key=lambda r: (-r[-1], tuple((v is None, str(v)) for v in r[:-1])))
        want = want[: pipeline.limit]
        assert got.rows == want, text
    assert_rows(got.rows, want, text)
    assert got.groups == groups and got.folded == 0


def test_a_timechart_counts_every_bucket_with_gaps_as_zero(fresh_store: Callable[[], Store]) -> None:
    store = fresh_store()
    batch = oracle.disorderly(3000, 1, BASE_MS, HOUR_MS)
    write(store, batch)
    pipeline = parse_pipeline("timeout | timechart span=5m count(), avg(metadata.ms), p95(metadata.ms) by level")
    stage = pipeline.aggregate
    assert isinstance(stage, Timechart)
    got = answer(store, pipeline, BASE_MS + 7 * 60_000, BASE_MS + HOUR_MS + 1, max_buckets=60)
    assert got.span_seconds == 300 and got.times[0] == BASE_MS + 5 * 60_000 and len(got.times) == 12
    matching = oracle.matching(
        batch, lambda e: anywhere(e, ["timeout"], False), got.times[0] + 120_000, BASE_MS + HOUR_MS + 1
    )
    want = oracle.timechart(stage, matching, got.times, 300_000)
    assert {(s["group"], s["column"]) for s in got.series} == set(want)
    for series in got.series:
        expected = want[(series["group"], series["column"])]
        assert all(same(a, b) for a, b in zip(series["values"], expected, strict=True)), series


BIG_QUESTIONS = [
    "| stats count() by service",
    "level>=ERROR | stats count(), count_distinct(user_id), p95(metadata.ms), avg(metadata.ms) by service, level",
    "card | stats count() by metadata.region",
    "service:svc-03 | stats p50(metadata.ms), p99(metadata.ms), min(metadata.ms), max(metadata.ms), sum(metadata.ms)",
    "-level:INFO | stats count_distinct(user_id) by service | sort -count | limit 5",
]


@pytest.fixture
def big_store(fresh_store: Callable[[], Store]) -> tuple[Store, list[Entry]]:
    store = fresh_store()
    batch = oracle.disorderly(20_000, 7, BASE_MS, 6 * HOUR_MS)
    write(store, batch)
    return store, batch


def test_stats_at_scale_with_late_entries_and_bursts_equal_brute_force(big_store: tuple[Store, list[Entry]]) -> None:
    store, batch = big_store
    for text in BIG_QUESTIONS:
        pipeline = parse_pipeline(text)
        predicate = _predicate(text)
        for lo, hi in [(BASE_MS, BASE_MS + 6 * HOUR_MS), (BASE_MS + HOUR_MS + 17, BASE_MS + 2 * HOUR_MS - 3)]:
            got = answer(store, pipeline, lo, hi, max_buckets=60)
            want, _ = oracle.table(pipeline, oracle.matching(batch, predicate, lo, hi), 1000)
            if pipeline.limit is not None:
                want.sort(key=lambda r: (-r[-1], str(r[0])))
                assert [r[0] for r in got.rows] == [r[0] for r in want[: pipeline.limit]], text
                want = want[: pipeline.limit]
            assert_rows(got.rows, want, f"{text} over [{lo}, {hi})")


def test_groups_past_the_bound_fold_into_one_exact_other_row(big_store: tuple[Store, list[Entry]]) -> None:
    store, batch = big_store
    pipeline = parse_pipeline("| stats count(), count_distinct(service), p90(metadata.ms) by user_id")
    got = answer(store, pipeline, BASE_MS, BASE_MS + 6 * HOUR_MS, max_buckets=60, max_groups=50)
    matching = oracle.matching(batch, lambda e: True, BASE_MS, BASE_MS + 6 * HOUR_MS)
    want, groups = oracle.table(pipeline, matching, 1000)
    assert got.groups == groups == 501 and got.folded == groups - 50 and len(got.rows) == 51
    by_count = sorted(want, key=lambda r: (-r[1], (r[0] is None, str(r[0]))))
    assert_rows(got.rows[:-1], by_count[:50], "kept groups")
    kept = {r[0] for r in by_count[:50]}
    rest = [e for e in matching if e.user_id not in kept]
    other = [OTHER, *(oracle.compute(a, rest) for a in pipeline.aggregate.aggs)]  # type: ignore[union-attr]
    assert_rows([got.rows[-1]], [other], "the (other) row")


def test_a_timechart_keeps_the_biggest_series_and_folds_the_rest(big_store: tuple[Store, list[Entry]]) -> None:
    store, batch = big_store
    pipeline = parse_pipeline("| timechart span=1h count(), count_distinct(user_id) by service")
    got = answer(store, pipeline, BASE_MS, BASE_MS + 6 * HOUR_MS, max_buckets=60, max_series=5)
    stage = pipeline.aggregate
    assert isinstance(stage, Timechart)
    matching = oracle.matching(batch, lambda e: True, BASE_MS, BASE_MS + 6 * HOUR_MS)
    want = oracle.timechart(stage, matching, got.times, HOUR_MS)
    totals = {g: sum(v) for (g, c), v in want.items() if c == "count"}
    biggest = sorted(totals, key=lambda g: (-totals[g], str(g)))[:5]
    assert [s["group"] for s in got.series if s["column"] == "count"] == [*sorted(biggest), OTHER]
    rest = [e for e in matching if e.service not in biggest]
    folded = oracle.timechart(Timechart(stage.aggs, None, 3600), rest, got.times, HOUR_MS)
    for series in got.series:
        source = (
            folded[(None, series["column"])] if series["group"] == OTHER else want[(series["group"], series["column"])]
        )
        assert series["values"] == source, series


def _predicate(text: str) -> Predicate:
    filter_text = text.split("|")[0].strip()
    return {
        "": lambda e: True,
        "level>=ERROR": lambda e: e.level in ("ERROR", "CRITICAL"),
        "card": lambda e: anywhere(e, ["card"], False),
        "service:svc-03": lambda e: e.service == "svc-03",
        "-level:INFO": lambda e: e.level != "INFO",
    }[filter_text]


def test_an_empty_range_answers_no_rows(fresh_store: Callable[[], Store]) -> None:
    store = fresh_store()
    got = answer(store, parse_pipeline("| stats count() by service"), BASE_MS, BASE_MS + 1000, max_buckets=60)
    assert got.rows == [] and got.groups == 0
    assert isinstance(parse_pipeline("| stats count()").aggregate, Stats)
    assert Pipeline  # the module's public names are what the API uses


# -- the bounded match count (/api/logs?count=true) ------------------------------------------------------------

OPEN_MS = 1 << 62


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    batch=entries(),
    query=queries,
    cut=st.one_of(st.none(), st.integers(0, 300_000)),
    most=st.sampled_from([0, 1, 3, 10_000]),
)
def test_the_match_count_equals_brute_force_up_to_its_bound(
    fresh_store: Callable[[], Store], batch: list[Entry], query: tuple[str, Predicate], cut: int | None, most: int
) -> None:
    store = fresh_store()
    write(store, batch)
    from_ms, to_ms = (None, None) if cut is None else (BASE_MS + cut // 3, BASE_MS + cut + 1)
    low, high = -OPEN_MS if from_ms is None else from_ms, OPEN_MS if to_ms is None else to_ms
    want = len(oracle.matching(batch, query[1], low, high))
    got = store.count_matches(parse_pipeline(query[0]).filter, from_ms, to_ms, most, 60.0)
    assert got == min(want, most + 1), (query[0], from_ms, to_ms, most)


# -- counts by service and level: the rollup's fast path (store/sqlite/rollup_stats.py) ----------------------------

# Filters that name only services and levels, and stages that only count by them: what the rollup answers.
ROLLUP_FILTERS: dict[str, Predicate] = {
    "": lambda e: True,
    "level:ERROR": lambda e: e.level == "ERROR",
    "level>=WARNING": lambda e: LEVEL_RANK[e.level] >= LEVEL_RANK["WARNING"],
    "level:err*": lambda e: e.level.startswith("ERR"),
    "service:svc-03": lambda e: e.service == "svc-03",
    "service:svc-0*": lambda e: e.service.startswith("svc-0"),
    "-level:INFO": lambda e: e.level != "INFO",
    "service:svc-01 OR level:DEBUG": lambda e: e.service == "svc-01" or e.level == "DEBUG",
    "NOT (service:svc-02 level:INFO)": lambda e: not (e.service == "svc-02" and e.level == "INFO"),
}
ROLLUP_STAGES = [
    "stats count()",
    "stats count() by service",
    "stats count() by level",
    "stats count() by level, service",
    "top 3 service",
    "timechart span=1m count() by level",
    "timechart span=5m count() by service",
    "timechart span=2m count()",
    "timechart span=1h count() by service",
]
STREAM_START = BASE_MS + DAY_MS - 90 * 60_000  # the entries cross midnight: retention can drop a whole day


def stream(n: int, seed: int) -> list[Entry]:
    """`n` entries arriving in order over three hours from STREAM_START: bursts sharing one event time, 10% late by
    up to an hour (event time before arrival), 20 services."""
    import random

    rnd = random.Random(seed)
    out: list[Entry] = []
    levels = ["DEBUG", "INFO", "INFO", "INFO", "WARNING", "ERROR", "CRITICAL"]
    for i in range(n):
        arrived = STREAM_START + i * 3 * HOUR_MS // n
        ts = out[-1].ts_ms if out and rnd.random() < 0.2 else arrived - rnd.randrange(0, 1000)
        if rnd.random() < 0.1:
            ts -= rnd.randrange(0, HOUR_MS)
        service, level = f"svc-{rnd.randrange(20):02d}", rnd.choice(levels)
        out.append(Entry(ts, arrived, iso_from_ms(ts), level, service, "m", None, None))
    return out


def stored_entries(store: Store) -> list[Entry]:
    """Every entry the store holds, read back through its search."""
    out: list[Entry] = []
    after = None
    while True:
        page = store.search(parse(""), limit=1000, after=after)
        for d in page.logs:
            ts = parse_timestamp_ms(d["timestamp"])
            out.append(Entry(ts, 0, d["timestamp"], d["level"], d["service"], d["message"], d.get("user_id"), None))
        if page.next is None:
            return out
        after = page.next


def rollup_case(*values: Any) -> dict[str, Any]:
    """An explicit example of the test below, its arguments in order."""
    names = ("seed", "filter_text", "stage", "lo", "minutes", "extra", "aligned", "evict", "cut", "bound")
    return dict(zip(names, values, strict=True))


# the paths hypothesis may take a while to find: whole hours under a timechart of minutes, stale hours and minutes
# after eviction, a retention cut through the range
@example(**rollup_case(0, "", "timechart span=5m count() by service", -60_000, 180, 0, True, False, None, None))
@example(**rollup_case(1, "level:ERROR", "stats count() by service", -HOUR_MS, 180, 1234, False, True, None, 4))
@example(
    **rollup_case(2, "service:svc-0*", "timechart span=1h count()", -HOUR_MS // 2, 180, 0, True, False, 5_400_000, None)
)
@example(**rollup_case(3, "-level:INFO", "stats count() by level, service", 0, 175, 59_999, False, True, 6_000_000, 4))
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    seed=st.integers(0, 1000),
    filter_text=st.sampled_from(sorted(ROLLUP_FILTERS)),
    stage=st.sampled_from(ROLLUP_STAGES),
    lo=st.integers(-HOUR_MS, 3 * HOUR_MS),
    minutes=st.integers(2, 180),
    extra=st.integers(0, 59_999),
    aligned=st.booleans(),
    evict=st.booleans(),
    cut=st.one_of(st.none(), st.integers(0, 3 * HOUR_MS)),
    bound=st.sampled_from([None, 4]),
)
def test_counts_by_service_and_level_equal_brute_force_after_eviction_and_retention(
    fresh_store: Callable[..., Store],
    seed: int,
    filter_text: str,
    stage: str,
    lo: int,
    minutes: int,
    extra: int,
    aligned: bool,
    evict: bool,
    cut: int | None,
    bound: int | None,
) -> None:
    """Over the entries the store still holds after max_logs eviction (SQLite) and retention, late ones and
    bursts among them, whole and part minutes at the range's ends: the same counts as brute force, (other) too."""
    batch = stream(3000, seed)
    store = fresh_store(max_logs=2000) if evict else fresh_store()
    for k in range(0, len(batch), 200):  # as traffic arrives: the rollups' rows span several batches' ids
        store.write(batch[k : k + 200], StatsDelta(200))
    store.refresh()
    if cut is not None:
        store.apply_retention(STREAM_START + cut)
    held = stored_entries(store)
    from_ms = STREAM_START + lo
    if aligned:
        from_ms -= from_ms % 60_000
    to_ms = from_ms + minutes * 60_000 + (0 if aligned else extra)
    pipeline = parse_pipeline(f"{filter_text} | {stage}")
    limits = {"max_groups": bound, "max_series": bound} if bound else {}
    got = answer(store, pipeline, from_ms, to_ms, max_buckets=200, **limits)  # type: ignore[arg-type]
    matching = oracle.matching(held, ROLLUP_FILTERS[filter_text], from_ms, to_ms)
    context = f"{filter_text} | {stage} over [{from_ms}, {to_ms}), bound {bound}"
    kind = pipeline.aggregate
    if isinstance(kind, Timechart):
        span_ms = (kind.span_seconds or 60) * 1000
        want = oracle.timechart(kind, matching, got.times, span_ms)
        totals = {g: sum(v) for (g, _), v in want.items()}
        kept = sorted(totals, key=lambda g: (-totals[g], str(g)))[: bound or 20]
        for series in got.series:
            if series["group"] == OTHER:
                rest = [e for e in matching if kind.by and oracle.group_value(e, kind.by) not in kept]
                expected = oracle.timechart(Timechart(kind.aggs, None, kind.span_seconds), rest, got.times, span_ms)
                assert series["values"] == expected[(None, "count")], context
            else:
                assert series["values"] == want[(series["group"], series["column"])], context
        assert {s["group"] for s in got.series} - {OTHER} == set(kept), context
        return
    want, groups = oracle.table(pipeline, matching, 1000)
    want.sort(key=lambda r: (-r[-1], tuple((v is None, str(v)) for v in r[:-1])))
    if pipeline.limit is not None:
        assert got.rows == want[: pipeline.limit], context
        return
    assert got.groups == groups, context
    if bound and len(want) > bound:
        rest = sum(r[-1] for r in want[bound:])
        assert got.rows[-1][0] == OTHER and got.rows[-1][-1] == rest, context
        want = want[:bound]
        got.rows = got.rows[:-1]
    assert_rows(got.rows, want, context)


def test_a_store_from_before_the_level_rollups_counts_its_entries_from_them_after_the_upgrade(tmp_path: Path) -> None:
    """Migration 19 counts the entries a schema-13 store holds into the level rollups; later writes add to them."""
    import sqlite3

    from loglens.store.sqlite import SQLiteStore
    from loglens.store.sqlite.batch import prepare, search_params
    from loglens.store.sqlite.migrations import MIGRATIONS, statements
    from loglens.store.sqlite.query import register_functions
    from loglens.store.sqlite.writes import INGEST_SEARCH

    path = tmp_path / "v13.db"
    conn = sqlite3.connect(path, isolation_level=None)
    register_functions(conn)
    conn.execute("PRAGMA legacy_alter_table = ON")  # as migrate() runs them
    for version, script in enumerate(MIGRATIONS[:13], 1):
        for statement in statements(script):
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {version}")
    batch = stream(3000, 5)
    old, new = batch[:2000], batch[2000:]
    conn.execute(INGEST_SEARCH, search_params([prepare(old, StatsDelta(len(old)))], 10_000))
    conn.close()
    store = SQLiteStore(str(path))
    try:
        store.write(new, StatsDelta(len(new)))
        with sqlite3.connect(path) as check:
            assert check.execute("SELECT sum(count) FROM rollup_level WHERE service = ''").fetchone()[0] == 3000
            assert check.execute("SELECT sum(count) FROM rollup_level_hour WHERE service != ''").fetchone()[0] == 3000
        lo, hi = STREAM_START - HOUR_MS, STREAM_START + 3 * HOUR_MS
        for text in ("| stats count() by service, level", "level>=WARNING | timechart span=1h count() by service"):
            pipeline = parse_pipeline(text)
            got = answer(store, pipeline, lo, hi, max_buckets=200)
            matching = oracle.matching(batch, ROLLUP_FILTERS[text.split("|")[0].strip()], lo, hi)
            stage = pipeline.aggregate
            if isinstance(stage, Timechart):
                want = oracle.timechart(stage, matching, got.times, HOUR_MS)
                assert {(s["group"], s["column"]): s["values"] for s in got.series} == want, text
            else:
                assert_rows(got.rows, oracle.table(pipeline, matching, 1000)[0], text)
    finally:
        store.close()
