"""Property tests: random queries over random entries return exactly what a brute-force Python filter returns,
in the same order; and any string given as q gives results or a clean 400."""

from __future__ import annotations

from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loglens.model import Entry
from loglens.search.query import parse
from loglens.store.sqlite import SQLiteStore
from loglens.validation import StatsDelta
from tests.support.search_oracle import Predicate, entries, queries


@settings(max_examples=60, deadline=None)
@given(entries(), queries, st.integers(1, 15), st.integers(0, 6))
def test_search_returns_exactly_the_brute_force_matches_in_order(
    batch: list[Entry], query: tuple[str, Predicate], limit: int, indexed_commits: int
) -> None:
    text, predicate = query
    store = SQLiteStore(":memory:", index_interval=3600)  # the test decides what the word index holds
    try:
        for n, k in enumerate(range(0, len(batch), 7)):  # several commits: several id ranges per minute
            store.write(batch[k : k + 7], StatsDelta(len(batch[k : k + 7])))
            if n + 1 == indexed_commits:
                store.refresh()  # the first commits through the word index, the later ones newer than it
        expected = [
            i + 1
            for i in sorted(range(len(batch)), key=lambda i: (batch[i].ts_ms, i), reverse=True)
            if predicate(batch[i])
        ]
        got: list[int] = []
        after = None
        while True:
            page = store.search(parse(text), limit=limit, after=after)
            got += [log["id"] for log in page.logs]
            if page.next is None:
                break
            after = page.next
        assert got == expected, text
    finally:
        store.close()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=60) | st.text(alphabet='ab :()"-*<>=.ORNTAD_0123456789metadalevlservic', max_size=40))
def test_any_query_string_gives_results_or_a_clean_400(client: FlaskClient, text: str) -> None:
    response = client.get("/api/logs", query_string={"q": text})
    assert response.status_code in (200, 400), (text, response.status_code)
    body = response.json
    assert body is not None
    if response.status_code == 400:
        assert body["parameter"] == "q" and body["error"]
    else:
        assert body["logs"] == [] and body["next_cursor"] is None
