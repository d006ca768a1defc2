"""ClickHouse's top users (store/clickhouse/top_users.py): each write's biggest users per bucket name the
candidates and the exact rollup counts them. Checked here against the exact counts of the same entries: every count
shown is exact, and users with more than 1/TOP_USERS_KEPT of the range's entries are found. SQLite's own
approximation is checked by test_topk.py; what both backends answer alike is in test_contract.py."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from loglens.model import MINUTE_MS, Entry, iso_from_ms
from loglens.store.clickhouse import ClickHouseStore, DriverConnection, Endpoint
from loglens.store.clickhouse.schema import MIGRATIONS, TOP_USERS_KEPT, AddColumn, _add_column
from loglens.store.clickhouse.top_users import HOUR, MINUTE, kept_rows
from loglens.validation import StatsDelta
from tests.store.conftest import OPENERS
from tests.support.clickhouse import ClickHouseServer

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
M0 = T0 // MINUTE_MS
SERVICES = 5
USERS = 2_000
# (first minute, last minute, service): minute buckets (up to an hour) and hour buckets, all services and one
CASES = [(M0, M0 + 29, None), (M0 + 60, M0 + 119, "svc-1"), (M0, M0 + 119, None), (M0 + 10, M0 + 179, "svc-3")]


def traffic(count: int, minutes: int, seed: int = 11) -> list[Entry]:
    """Log-uniform users (user-1 busiest, most users rare) over `minutes` minutes and SERVICES services, and a few
    entries without a user."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        ts = T0 + i * minutes * MINUTE_MS // count
        user = f"user-{int(USERS ** rng.random())}" if i % 50 else None
        out.append(Entry(ts, ts, iso_from_ms(ts), "INFO", f"svc-{rng.randrange(SERVICES)}", "m", user, None))
    return out


def exact_counts(entries: list[Entry], first: int, last: int, service: str | None) -> Counter[str]:
    """What the range counts: its minutes, or for ranges over an hour its whole hours (the edges round out)."""
    if last - first + 1 > 60:
        first, last = first // 60 * 60, last // 60 * 60 + 59
    return Counter(
        e.user_id
        for e in entries
        if e.user_id and first <= e.ts_ms // MINUTE_MS <= last and service in (None, e.service)
    )


def assert_within_bound(got: list[tuple[str, int]], exact: Counter[str], limit: int, label: str) -> None:
    """Counts exact, biggest first; every user of the exact top `limit` with more than 1/TOP_USERS_KEPT of the
    entries is listed; the list is as long as it can be."""
    assert len(got) == min(limit, len(exact)), label
    assert all(exact[user] == n for user, n in got), (label, [(u, n, exact[u]) for u, n in got if exact[u] != n])
    assert got == sorted(got, key=lambda row: (-row[1], row[0])), label
    total = sum(exact.values())
    heavy = [
        u for u, n in sorted(exact.items(), key=lambda row: (-row[1], row[0]))[:limit] if n * TOP_USERS_KEPT > total
    ]
    assert heavy, label  # the traffic has users the bound is about
    assert set(heavy) <= {u for u, _ in got}, (label, heavy, got)


@pytest.fixture(params=["clickhouse-18", "clickhouse-26-chdb"])
def open_clickhouse(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ClickHouseStore]:
    store = OPENERS[request.param](request, tmp_path)
    assert isinstance(store, ClickHouseStore)
    yield store
    store.close()


def test_top_users_are_exact_counts_and_never_miss_a_user_with_more_than_one_percent(
    open_clickhouse: ClickHouseStore,
) -> None:
    store = open_clickhouse
    entries = traffic(30_000, 180)
    for lo in range(0, len(entries), 500):  # many inserts: many parts, each write's users kept per bucket
        batch = entries[lo : lo + 500]
        store.write(batch, StatsDelta(valid=len(batch)))
    for first, last, service in CASES:
        exact = exact_counts(entries, first, last, service)
        for limit in (1, 10, 40):
            label = f"minutes {first - M0}..{last - M0} service {service} limit {limit}"
            assert_within_bound(store.top_users(first, last, limit, service), exact, limit, label)
    # a limit beyond the users kept is answered exactly from the rollup
    exact = exact_counts(entries, M0, M0 + 59, None)
    want = sorted(exact.items(), key=lambda row: (-row[1], row[0]))[: TOP_USERS_KEPT + 50]
    assert store.top_users(M0, M0 + 59, TOP_USERS_KEPT + 50) == want
    assert store.top_users(M0 + 500, M0 + 520, 10) == [] and store.top_users(M0, M0 + 5, 10, "nope") == []


def test_the_kept_users_answer_the_same_once_the_buffer_has_moved_them_into_their_table(
    open_clickhouse: ClickHouseStore,
) -> None:
    """Writes keep their users through a Buffer table (read together with its table): once it has moved them
    (OPTIMIZE flushes it at once, as its timer does after a few seconds), the table holds them all."""
    store = open_clickhouse
    entries = traffic(6_000, 120, seed=7)
    for lo in range(0, len(entries), 1000):
        batch = entries[lo : lo + 1000]
        store.write(batch, StatsDelta(valid=len(batch)))
    before = [store.top_users(first, last, 10, service) for first, last, service in CASES]
    kept = store._query("SELECT span, sum(count) FROM {rollup_user_top_buffer} GROUP BY span ORDER BY span")
    assert kept == [(60, 6_000 - 120), (3600, 6_000 - 120)]  # 1 entry in 50 has no user; < 100 users a minute
    store._query("OPTIMIZE TABLE {rollup_user_top_buffer}")
    assert store._query("SELECT span, sum(count) FROM {rollup_user_top} GROUP BY span ORDER BY span") == kept
    assert [store.top_users(first, last, 10, service) for first, last, service in CASES] == before


def test_a_steady_user_among_hundreds_of_one_off_users_a_minute_is_found_with_its_exact_count(
    open_clickhouse: ClickHouseStore,
) -> None:
    """Each minute 300 one-off users and the steady user 5 times (1.6% of the entries): more users a minute than a
    write keeps, and over the hour the steady user is the only one seen twice."""
    store = open_clickhouse
    entries = []
    for minute in range(60):
        ts = T0 + minute * MINUTE_MS
        users = [f"once-{minute}-{k}" for k in range(300)] + ["steady"] * 5
        entries += [Entry(ts, ts, iso_from_ms(ts), "INFO", "api", "m", u, None) for u in users]
    for lo in range(0, len(entries), 1000):
        batch = entries[lo : lo + 1000]
        store.write(batch, StatsDelta(valid=len(batch)))
    for service in (None, "api"):
        got = store.top_users(M0, M0 + 59, 3, service)
        assert got[0] == ("steady", 300) and [n for _, n in got[1:]] == [1, 1], got


def test_a_store_from_before_the_kept_users_ranks_its_entries_when_upgraded(
    clickhouse_server: ClickHouseServer, tmp_path: Path
) -> None:
    """Migration 10 ranks the entries a schema-9 database holds; later writes add their own biggest users."""
    endpoint = Endpoint("127.0.0.1", clickhouse_server.tcp_port, "default", "")
    entries = traffic(8_000, 120, seed=5)
    old, new = entries[:5000], entries[5000:]
    source = ClickHouseStore(lambda: DriverConnection(endpoint), database="tu_source")
    try:
        source.write(old, StatsDelta(valid=len(old)))
    finally:
        source.close()
    conn = DriverConnection(endpoint)
    try:
        conn.query("CREATE DATABASE tu_v9")
        conn.query(
            "CREATE TABLE tu_v9.schema_version (version UInt32, applied_ms Int64) ENGINE = MergeTree() ORDER BY version"
        )
        for version, statements in enumerate(MIGRATIONS[:9], 1):
            for statement in statements:
                if isinstance(statement, AddColumn):
                    _add_column(conn, "tu_v9", statement)
                else:
                    conn.query(statement.format(db="tu_v9"))
            conn.insert("tu_v9.schema_version", ("version", "applied_ms"), [(version, 0)])
        conn.query("INSERT INTO tu_v9.logs SELECT * FROM tu_source.logs")
    finally:
        conn.close()
    store = ClickHouseStore(lambda: DriverConnection(endpoint), database="tu_v9")
    try:
        for first, last, service in CASES:
            exact = exact_counts(old, first, last, service)
            assert_within_bound(store.top_users(first, last, 10, service), exact, 10, f"before {first - M0}")
        store.write(new, StatsDelta(valid=len(new)))
        for first, last, service in CASES:
            exact = exact_counts(entries, first, last, service)
            assert_within_bound(store.top_users(first, last, 10, service), exact, 10, f"after {first - M0}")
    finally:
        store.close()


def test_entries_outside_clickhouses_datetime_range_keep_no_row_and_the_others_are_kept() -> None:
    inside = 1_767_225_600_000  # 2026-01-01
    rows = kept_rows([(-62_135_647_200_000, "past"), (253_402_347_599_000, "future"), (inside, "now"), (inside, "now")])
    minute = inside // MINUTE_MS
    assert sorted(rows) == [(MINUTE, minute, "now", 2), (HOUR, minute // 60, "now", 2)]
