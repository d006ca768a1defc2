"""Facets (the store's facet_counts) on every backend, checked against brute force over the same entries
(tests/support/stats_oracle.py's group values): random filters over small random stores, and fixed filters over a
store of 20,000 entries that arrive as real traffic does."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loglens.model import Entry
from loglens.search.pipeline import parse_pipeline
from loglens.store import Store
from loglens.store.base import Facet
from tests.store.test_stats import HOUR_MS, _predicate, big_store, fresh_store, write  # noqa: F401
from tests.support import stats_oracle as oracle
from tests.support.search_oracle import BASE_MS, META_KEYS, Predicate, entries, queries

FIELDS = ["service", "level", "user_id", *(f"metadata.{key}" for key in META_KEYS)]


def brute_force(matching: Sequence[Entry], fields: Sequence[str], limit: int) -> list[Facet]:
    """Per field: the `limit` biggest values (ties by value), and the distinct values, entries without one as one."""
    out = []
    for field in fields:
        counts = Counter(oracle.group_value(e, field) for e in matching)
        ranked = sorted(((v, n) for v, n in counts.items() if v is not None), key=lambda vn: (-vn[1], vn[0]))
        out.append(Facet(field, ranked[:limit], len(counts)))
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    batch=entries(),
    query=queries,
    cut=st.integers(0, 300_000),
    limit=st.sampled_from([1, 2, 5]),
    fields=st.lists(st.sampled_from(FIELDS), min_size=1, max_size=len(FIELDS), unique=True),
)
def test_facet_counts_equal_brute_force_over_random_entries(
    fresh_store: Callable[[], Store],  # noqa: F811
    batch: list[Entry],
    query: tuple[str, Predicate],
    cut: int,
    limit: int,
    fields: list[str],
) -> None:
    store = fresh_store()
    write(store, batch)
    from_ms, to_ms = BASE_MS + cut // 3, BASE_MS + cut + 1
    got = store.facet_counts(parse_pipeline(query[0]).filter, from_ms, to_ms, fields, limit)
    want = brute_force(oracle.matching(batch, query[1], from_ms, to_ms), fields, limit)
    assert got == want, query[0]


def test_facet_counts_at_scale_with_late_entries_and_bursts_equal_brute_force(
    big_store: tuple[Store, list[Entry]],  # noqa: F811
) -> None:
    store, batch = big_store
    fields = ["service", "level", "user_id", "metadata.region", "metadata.ms", "metadata.absent"]
    for text in ["", "level>=ERROR", "card", "service:svc-03", "-level:INFO"]:
        for lo, hi in [(BASE_MS, BASE_MS + 6 * HOUR_MS), (BASE_MS + HOUR_MS + 17, BASE_MS + 2 * HOUR_MS - 3)]:
            got = store.facet_counts(parse_pipeline(text).filter, lo, hi, fields, 5)
            want = brute_force(oracle.matching(batch, _predicate(text), lo, hi), fields, 5)
            assert got == want, f"{text!r} over [{lo}, {hi})"
            assert got[-1].values == [] and got[0].values, "a key no entry carries has no values; service has"


def test_facet_counts_over_nothing_answer_every_field_empty(fresh_store: Callable[[], Store]) -> None:  # noqa: F811
    store = fresh_store()
    got = store.facet_counts(parse_pipeline("").filter, BASE_MS, BASE_MS + 1000, ["service", "metadata.n"], 5)
    assert got == [Facet("service", [], 0), Facet("metadata.n", [], 0)]
