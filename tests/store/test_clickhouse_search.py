"""Search on ClickHouse (18.16 server and 26.9 through chdb): the search branch's property test, same oracle.

Random queries over random entries must return exactly what the brute-force Python filter returns, in the same
order (newest event time first, ties by write order), page after page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loglens.model import Entry, StatsDelta
from loglens.search.query import parse
from loglens.store import Store
from tests.support.search_oracle import BASE_MS, Predicate, entries, queries

DAY_MS = 86_400_000


@pytest.fixture(params=["clickhouse-18", "clickhouse-26-chdb"])
def ch_store(request: pytest.FixtureRequest, make_store_for: Callable[[str], Store]) -> Iterator[Store]:
    yield make_store_for(str(request.param))


@pytest.fixture
def make_store_for(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Callable[[str], Store]]:
    from tests.store.conftest import OPENERS

    opened: list[Store] = []

    def make(backend: str) -> Store:
        store = OPENERS[backend](request, tmp_path_factory.mktemp(backend))
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


def every_page(store: Store, text: str, limit: int) -> list[int]:
    got: list[int] = []
    after = None
    while True:
        page = store.search(parse(text), limit=limit, after=after)
        got += [log["id"] for log in page.logs]
        if page.next is None:
            return got
        after = page.next


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=entries(), query=queries, limit=st.integers(1, 15))
def test_search_returns_exactly_the_brute_force_matches_in_order(
    ch_store: Store, batch: list[Entry], query: tuple[str, Predicate], limit: int
) -> None:
    text, predicate = query
    ch_store.apply_retention(BASE_MS + 2 * DAY_MS)  # empty the store: every day before the cutoff's is dropped
    for k in range(0, len(batch), 7):  # several inserts
        ch_store.write(batch[k : k + 7], StatsDelta(len(batch[k : k + 7])))
    # ids are opaque on ClickHouse but grow in commit order on one node: rank them to get each entry's index
    index = {log_id: i for i, log_id in enumerate(sorted(every_page(ch_store, "", 1000)))}
    assert len(index) == len(batch)
    expected = [
        i for i in sorted(range(len(batch)), key=lambda i: (batch[i].ts_ms, i), reverse=True) if predicate(batch[i])
    ]
    assert [index[log_id] for log_id in every_page(ch_store, text, limit)] == expected, text


def test_tail_get_log_and_fields(ch_store: Store) -> None:
    first = [
        Entry(BASE_MS + i, BASE_MS, f"t{i}", "INFO", "svc", f"req {i} done", None, {"n": i, "r": "eu"})
        for i in range(5)
    ]
    ch_store.write(first, StatsDelta(5))
    upto = ch_store.last_id()
    assert [log["message"] for log in ch_store.tail(parse("done"), 0, upto, 10)] == [f"req {i} done" for i in range(5)]
    assert [log["message"] for log in ch_store.tail(parse("metadata.n>=3"), 0, upto, 10)] == [
        "req 3 done",
        "req 4 done",
    ]
    newest = ch_store.search(parse(""), limit=1).logs[0]
    assert ch_store.get_log(newest["id"]) == newest and ch_store.get_log(1) is None
    assert ch_store.fields(3) == {"n": ["4", "3", "2"], "r": ["eu"]}
    ch_store.write([first[0]._replace(message="later")], StatsDelta(1))
    assert [log["message"] for log in ch_store.tail(parse(""), upto, ch_store.last_id(), 10)] == ["later"]
