"""Saved searches in the store, on every backend: add, read by name and by id, list by name, overwrite and
rename, delete, the unique name, the bound on their number, and that they outlive a reopen."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from loglens.search.saved import MAX_SAVED_SEARCHES, SavedSearchConflict, SavedSpec, saved_query
from loglens.search.stats import Stats
from loglens.store import Store

SPEC = SavedSpec("errors by service", "level>=ERROR | stats count() by service", "1h", "", ("metadata.region",))


def test_a_saved_search_is_read_back_by_name_and_by_id(store: Store) -> None:
    saved = store.saved_searches.add_saved(SPEC, 1_000)
    assert saved.spec == SPEC and saved.created_ms == saved.updated_ms == 1_000
    assert len(saved.id) == 16
    assert store.saved_searches.saved_by_name(SPEC.name) == saved
    assert store.saved_searches.saved_by_id(saved.id) == saved
    assert store.saved_searches.saved_by_name("nope") is None and store.saved_searches.saved_by_id("nope") is None


def test_the_alert_rules_read_a_saved_query_by_name(store: Store) -> None:
    store.saved_searches.add_saved(SPEC, 1_000)
    found = saved_query(store, SPEC.name)
    assert found.query == SPEC.query and found.from_ == "1h"
    assert isinstance(found.pipeline().aggregate, Stats)
    with pytest.raises(KeyError, match="no saved search named 'missing'"):
        saved_query(store, "missing")


def test_the_list_is_ordered_by_name(store: Store) -> None:
    for name in ("b", "c", "a"):
        store.saved_searches.add_saved(SavedSpec(name, f"service:{name}"), 1)
    assert [s.name for s in store.saved_searches.list_saved()] == ["a", "b", "c"]


def test_a_name_is_unique(store: Store) -> None:
    store.saved_searches.add_saved(SPEC, 1)
    with pytest.raises(SavedSearchConflict, match="exists"):
        store.saved_searches.add_saved(SavedSpec(SPEC.name, "level:INFO"), 2)
    assert [s.query for s in store.saved_searches.list_saved()] == [SPEC.query]


def test_overwriting_keeps_the_id_and_the_creation_time_and_may_rename(store: Store) -> None:
    saved = store.saved_searches.add_saved(SPEC, 1)
    new = SavedSpec("renamed", "level:WARNING", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", ())
    replaced = store.saved_searches.replace_saved(saved.id, new, 5)
    assert replaced is not None and replaced.id == saved.id and replaced.spec == new
    assert (replaced.created_ms, replaced.updated_ms) == (1, 5)
    assert store.saved_searches.saved_by_name(SPEC.name) is None
    assert store.saved_searches.saved_by_name("renamed") == replaced
    assert [s.spec for s in store.saved_searches.list_saved()] == [new]
    assert store.saved_searches.replace_saved("0123456789abcdef", new, 6) is None


def test_renaming_onto_another_name_is_refused(store: Store) -> None:
    first = store.saved_searches.add_saved(SavedSpec("first", "a"), 1)
    store.saved_searches.add_saved(SavedSpec("second", "b"), 1)
    with pytest.raises(SavedSearchConflict, match="another saved search is named 'second'"):
        store.saved_searches.replace_saved(first.id, SavedSpec("second", "c"), 2)
    assert store.saved_searches.saved_by_id(first.id) == first


def test_a_deleted_search_is_gone_and_its_name_free_again(store: Store) -> None:
    saved = store.saved_searches.add_saved(SPEC, 1)
    assert store.saved_searches.delete_saved(saved.id) is True
    assert store.saved_searches.delete_saved(saved.id) is False
    assert store.saved_searches.list_saved() == [] and store.saved_searches.saved_by_id(saved.id) is None
    again = store.saved_searches.add_saved(SPEC, 2)
    assert again.id != saved.id and store.saved_searches.saved_by_name(SPEC.name) == again


def test_the_number_of_saved_searches_is_bounded(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    bound = 3  # the bound's value is checked by the API test; its enforcement here, by every backend
    for module in ("loglens.store.sqlite.saved", "loglens.store.clickhouse.saved"):
        monkeypatch.setattr(f"{module}.MAX_SAVED_SEARCHES", bound)
    for i in range(bound):
        store.saved_searches.add_saved(SavedSpec(f"s{i}", "a"), 1)
    with pytest.raises(SavedSearchConflict, match=f"holds {bound} saved searches"):
        store.saved_searches.add_saved(SavedSpec("one more", "a"), 1)
    assert MAX_SAVED_SEARCHES == 500


def test_saved_searches_outlive_a_reopen(make_store: Callable[..., Store], backend: str) -> None:
    store = make_store()
    saved = store.saved_searches.add_saved(SPEC, 1)
    store.close()
    again = make_store().saved_searches
    if backend == "sqlite-memory":  # a new, empty store
        assert again.list_saved() == []
    else:
        assert again.saved_by_name(SPEC.name) == saved


def test_names_and_queries_keep_every_character(store: Store) -> None:
    spec = SavedSpec('quotes " and \\ backslash: ünïcode 🔥', 'message:"a \\"b\\" c\\\\"', "", "", ())
    saved = store.saved_searches.add_saved(spec, 1)
    assert store.saved_searches.saved_by_name(spec.name) == saved and saved.spec == spec
