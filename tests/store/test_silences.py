"""Silences stored on every backend: created, listed by state, expired early and kept as history."""

from __future__ import annotations

import pytest

from loglens.alerts.silence_gate import silenced_check
from loglens.alerts.silences import Matcher, Silence
from loglens.store import Store

T0 = 1_767_225_600_000
HOUR = 3_600_000


def silence(sid: str, starts: int, ends: int, created: int = T0, **extra: object) -> Silence:
    matchers = (Matcher("service", "=", "payment"), Matcher("rule", "=~", "error_.*"), Matcher("labels.team", "=", "a"))
    return Silence(sid, matchers, starts, ends, "deploy of payment", "alice", created, **extra)  # type: ignore[arg-type]


def test_a_silence_reads_back_as_it_was_stored(store: Store) -> None:
    made = silence("s1", T0, T0 + HOUR)
    store.silence_book.add(made)
    assert store.silence_book.get("s1") == made
    assert store.silence_book.get("nope") is None
    assert [str(m) for m in made.matchers] == ["service=payment", "rule=~error_.*", "labels.team=a"]


def test_silences_list_by_state_newest_created_first(store: Store) -> None:
    book = store.silence_book
    book.add(silence("past", T0 - 2 * HOUR, T0 - HOUR, created=T0 - 3 * HOUR))
    book.add(silence("now-a", T0 - HOUR, T0 + HOUR, created=T0 - HOUR))
    book.add(silence("now-b", T0, T0 + HOUR, created=T0 - HOUR))  # same created time: by id, descending
    book.add(silence("later", T0 + HOUR, T0 + 2 * HOUR, created=T0))
    ids = {state: [s.id for s in book.find(state, T0, 100)] for state in ("active", "pending", "expired", "all")}
    assert ids == {
        "active": ["now-b", "now-a"],
        "pending": ["later"],
        "expired": ["past"],
        "all": ["later", "now-b", "now-a", "past"],
    }
    assert [s.id for s in book.find("all", T0, 2)] == ["later", "now-b"]
    # the edges: a silence is active from its start (included) to its end (excluded)
    assert [s.id for s in book.find("active", T0 + HOUR, 100)] == ["later"]
    assert [s.id for s in book.find("expired", T0 + HOUR, 100)] == ["now-b", "now-a", "past"]


def test_expiring_ends_a_silence_now_and_keeps_it(store: Store) -> None:
    book = store.silence_book
    book.add(silence("s1", T0 - HOUR, T0 + HOUR))
    ended = book.expire("s1", T0, "bob")
    assert ended is not None
    assert (ended.starts_at_ms, ended.ends_at_ms, ended.expired_by) == (T0 - HOUR, T0, "bob")
    assert book.get("s1") == ended
    assert [s.id for s in book.find("expired", T0, 10)] == ["s1"]
    assert book.find("active", T0, 10) == []
    again = book.expire("s1", T0 + 5, "carol")  # already over: unchanged
    assert again == ended
    assert book.expire("nope", T0, "bob") is None


def test_expiring_a_pending_silence_ends_it_before_it_starts(store: Store) -> None:
    book = store.silence_book
    book.add(silence("s1", T0 + HOUR, T0 + 2 * HOUR))
    ended = book.expire("s1", T0, "bob")
    assert ended is not None and (ended.starts_at_ms, ended.ends_at_ms) == (T0, T0)
    assert ended.state(T0) == "expired"
    assert book.find("pending", T0, 10) == [] and book.find("active", T0, 10) == []


@pytest.mark.parametrize("count", [30])
def test_many_silences_list_completely(store: Store, count: int) -> None:
    for i in range(count):
        store.silence_book.add(silence(f"s{i:03d}", T0, T0 + HOUR, created=T0 + i % 3))
    found = store.silence_book.find("active", T0, 1000)
    assert [s.id for s in found] == sorted((f"s{i:03d}" for i in range(count)), key=lambda x: (int(x[1:]) % 3, x))[::-1]


def test_the_delivery_check_reads_the_stores_active_silences_at_each_call(store: Store) -> None:
    now = [T0 / 1000]
    silenced = silenced_check(store.silence_book, lambda: now[0])
    alert = {"rule": "error_rate", "service": "payment", "severity": "CRITICAL", "labels": {"team": "a"}}
    assert not silenced(alert)
    store.silence_book.add(silence("s1", T0, T0 + HOUR))
    assert silenced(alert)
    assert not silenced({**alert, "labels": {"team": "b"}})
    now[0] = (T0 + HOUR) / 1000  # its end: notifications go out again
    assert not silenced(alert)
